from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "zhiyuan.activities"
    label = "activities"
    verbose_name = _("志愿服务项目与活动")

    def ready(self):
        # projects and the organizer's side of activities (ACT-1, ACT-2)
        from zhiyuan.activities import scopes

        scopes.register()
        self._register_projects()
        self._ready_square()
        from zhiyuan.activities.attendance import register_attendance_hooks  # ACT-4, ACT-5

        register_attendance_hooks()
        from zhiyuan.activities import enrollment_setup  # ACT-3

        enrollment_setup.ready()
        from zhiyuan.activities.reminders import shift_reminders_run  # ACT-7
        from zhiyuan.core.notifications import register_periodic_notice

        register_periodic_notice("activities.shift_reminder", shift_reminders_run)

    def _register_projects(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav

        register_audit_actions(
            "activities.",
            _("志愿服务项目与活动"),
            {
                "activities.project.create": _("创建项目"),
                "activities.project.update": _("修改项目"),
                "activities.project.submit": _("提交项目审核"),
                "activities.project.approve": _("项目立项"),
                "activities.project.reject": _("项目未通过"),
                "activities.project.start": _("项目开始实施"),
                "activities.project.close": _("项目结项"),
                "activities.project.evaluate": _("项目成效评估"),
                "activities.project.flags": _("设置示范/品牌项目"),
                "activities.project.export": _("导出项目"),
                "activities.activity.create": _("创建活动"),
                "activities.activity.update": _("修改活动"),
                "activities.activity.publish": _("发布活动"),
                "activities.activity.close": _("停止招募"),
                "activities.activity.reopen": _("重新招募"),
                "activities.activity.cancel": _("取消活动"),
                "activities.activity.finish": _("结束活动"),
                "activities.activity.export": _("导出活动"),
            },
        )
        managers = frozenset({Role.ORG_ADMIN, Role.REGION_MANAGER, Role.PLATFORM_ADMIN})
        register_nav(NavItem("projects", _("项目库"), "activities:project_list", roles=managers, order=60, group="manage"))
        register_nav(
            NavItem("activities_manage", _("活动管理"), "activities:manage_list", roles=managers, order=61, group="manage")
        )

    def _ready_square(self):
        """The square for everyone in the menu; the evaluation audit labels (ACT-2, ACT-6)."""
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav

        register_nav(NavItem("activities_square", _("活动广场"), "activities:square", order=30, audience="anyone"))
        register_audit_actions(
            "activities.rating.",
            _("活动评价"),
            {
                "activities.rating.volunteer_create": _("评价志愿者"),
                "activities.rating.volunteer_update": _("修改对志愿者的评价"),
            },
        )

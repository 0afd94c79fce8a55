from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "zhiyuan.activities"
    label = "activities"
    verbose_name = _("志愿服务项目与活动")

    def ready(self):
        self._ready_square()

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

"""What the enrollment part of the activities app registers at start-up (called from
``ActivitiesConfig.ready``): who sees and handles enrollments (scope providers), audit labels,
navigation."""

from django.utils.translation import gettext_lazy as _


def _admin_org_ids(actor) -> list[int]:
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    return sorted(actor_object_ids(actor, Role.ORG_ADMIN))


def organizer_scope(actor):
    """The admins of the organizing organization hold its activities and their enrollments
    (谁组织谁记录)."""
    from django.db.models import Q

    ids = _admin_org_ids(actor)
    return Q(organization_id__in=ids) if ids else None


def organizer_test(actor, obj) -> bool:
    return obj.organization_id in set(_admin_org_ids(actor))


def own_scope(actor):
    """A volunteer sees their own enrollments."""
    from django.db.models import Q

    return Q(volunteer__user_id=actor.pk)


def own_test(actor, obj) -> bool:
    from zhiyuan.volunteers.models import Volunteer

    return Volunteer.objects.filter(pk=obj.volunteer_id, user_id=actor.pk).exists()


def ready() -> None:
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import register_scope_provider
    from zhiyuan.core.audit_actions import register_audit_actions, register_audit_detail_labels
    from zhiyuan.core.nav import NavItem, register_nav

    register_scope_provider("activities.Enrollment", organizer_scope, actions=("view", "manage", "export"), test=organizer_test)
    register_scope_provider("activities.Enrollment", own_scope, actions=("view",), test=own_test)
    # The organizer's hold on its activities (the ``projects`` part registers the same rule; a
    # provider registered twice only repeats one OR term).
    register_scope_provider(
        "activities.Activity", organizer_scope, actions=("view", "manage", "operate", "export"), test=organizer_test
    )
    register_audit_actions(
        "activities.",
        _("志愿服务活动"),
        {
            "activities.enrollment.accept": _("录用报名"),
            "activities.enrollment.reject": _("不录用报名"),
            "activities.enrollment.cancel": _("取消报名"),
            "activities.enrollment.promote": _("候补递补录用"),
            "activities.enrollment.cancel_all": _("活动取消，取消全部报名"),
            "activities.enrollment.export": _("导出报名名单"),
        },
    )
    register_audit_detail_labels(
        {"slot": _("岗位班次"), "was": _("原状态"), "from": _("原状态"), "to": _("新状态"), "cancelled": _("取消人数")}
    )
    register_nav(
        NavItem(
            "activities.my_enrollments", _("我的报名"), "activities:my_enrollments", roles=frozenset({Role.VOLUNTEER}), order=23
        )
    )

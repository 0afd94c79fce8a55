from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _admin_ids(actor) -> list[int]:
    from zhiyuan.records.permissions import admin_org_ids

    return sorted(admin_org_ids(actor))


def org_admin_scope(actor):
    """Admins of the organizing body see and act on its hours (REC-2)."""
    from django.db.models import Q

    ids = _admin_ids(actor)
    return Q(organization_id__in=ids) if ids else None


def org_admin_test(actor, obj) -> bool:
    return obj.organization_id in set(_admin_ids(actor))


def own_scope(actor):
    """A volunteer sees their own entries, requests and grants (PIPL 45)."""
    from django.db.models import Q

    from zhiyuan.volunteers.selectors import volunteer_or_none

    v = volunteer_or_none(actor)
    return Q(volunteer_id=v.pk) if v is not None else None


def own_test(actor, obj) -> bool:
    from zhiyuan.volunteers.models import Volunteer

    return Volunteer.objects.filter(pk=obj.volunteer_id, user_id=actor.pk).exists()


class RecordsConfig(AppConfig):
    name = "zhiyuan.records"
    label = "records"
    verbose_name = _("服务时长与记录")

    def ready(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import register_scope_provider
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.sealed import register_sealed_column
        from zhiyuan.records.models import EVIDENCE_PURPOSE

        for label in ("records.HourEntry", "records.CorrectionRequest", "records.HonourGrant"):
            register_scope_provider(label, org_admin_scope, actions=("view", "manage", "review"), test=org_admin_test)
            register_scope_provider(label, own_scope, actions=("view",), test=own_test)
        register_sealed_column("records.CorrectionRequest", "evidence_key_sealed", purpose=EVIDENCE_PURPOSE)
        register_audit_actions(
            "records.",
            _("服务时长"),
            {
                "records.hours.confirm": _("确认服务时长"),
                "records.hours.void_attendance": _("签到记录不计时长"),
                "records.hours.void": _("作废服务时长"),
                "records.hours.correct": _("更正服务时长"),
                "records.honour.propose": _("申报荣誉时长"),
                "records.honour.approve": _("批准荣誉时长"),
                "records.honour.reject": _("驳回荣誉时长"),
                "records.correction.file": _("提交时长更正申请"),
                "records.correction.accept": _("通过时长更正申请"),
                "records.correction.reject": _("驳回时长更正申请"),
                "records.correction.evidence": _("查看更正证明材料"),
            },
        )
        register_nav(NavItem("records_my", _("我的时长"), "records:my_hours", roles=frozenset({Role.VOLUNTEER}), order=35))
        register_nav(
            NavItem(
                "records_org",
                _("时长确认"),
                "records:org_home",
                roles=frozenset({Role.ORG_ADMIN}),
                order=74,
                group="manage",
            )
        )

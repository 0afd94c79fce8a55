from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _admin_org_ids(actor) -> list[int]:
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    return sorted(actor_object_ids(actor, Role.ORG_ADMIN))


def org_admin_policy_scope(actor):
    """An organization admin sees and manages the policies their organization holds (and those
    of its sub-teams, as with the organization itself)."""
    from django.db.models import Q

    ids = _admin_org_ids(actor)
    return (Q(holder_id__in=ids) | Q(holder__parent_id__in=ids)) if ids else None


def org_admin_policy_test(actor, policy) -> bool:
    if policy.holder_id is None:
        return False
    ids = set(_admin_org_ids(actor))
    return policy.holder_id in ids or policy.holder.parent_id in ids


def _insured_index_value(person) -> str:
    from zhiyuan.volunteers.documents import document_unseal

    v = person.volunteer
    return f"{v.id_type}:{document_unseal(v.id_number_sealed)}"


def insured_rows(volunteer) -> list[dict]:
    from zhiyuan.insurance.selectors import insured_export_rows

    return insured_export_rows(volunteer)


class InsuranceConfig(AppConfig):
    name = "zhiyuan.insurance"
    label = "insurance"
    verbose_name = _("志愿者保险")

    def ready(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import register_scope_provider
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.notifications import register_periodic_notice
        from zhiyuan.core.sealed import register_blind_index, register_sealed_column
        from zhiyuan.insurance.models import DOCUMENT_PURPOSE
        from zhiyuan.insurance.services import policy_expiry_alerts_run
        from zhiyuan.volunteers.data_export import register_data_export_provider
        from zhiyuan.volunteers.documents import ID_PURPOSE

        register_scope_provider(
            "insurance.InsurancePolicy", org_admin_policy_scope, actions=("view", "manage"), test=org_admin_policy_test
        )
        register_sealed_column("insurance.InsurancePolicy", "document_key_sealed", purpose=DOCUMENT_PURPOSE)
        # the person's own cover in "download all my data" (PIPL 45)
        register_data_export_provider("insurance", _("保险保障"), insured_rows)
        register_blind_index(
            "insurance.InsuredPerson", "id_number_index", purpose=ID_PURPOSE, fields=("volunteer",),
            value_of=_insured_index_value,
        )  # fmt: skip
        register_audit_actions(
            "insurance.",
            _("志愿者保险"),
            {
                "insurance.policy.create": _("登记保单"),
                "insurance.policy.update": _("修改保单"),
                "insurance.policy.cancel": _("退保"),
                "insurance.policy.document_upload": _("上传保单文件"),
                "insurance.policy.document_download": _("下载保单文件"),
                "insurance.policy.export": _("导出保单"),
                "insurance.insured.import": _("导入被保险人名单"),
                "insurance.insured.remove": _("移出被保险人名单"),
                "insurance.insured.export": _("导出被保险人名单"),
            },
        )
        register_nav(
            NavItem(
                "insurance",
                _("保险管理"),
                "insurance:list",
                roles=frozenset({Role.ORG_ADMIN, Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=72,
                group="manage",
            )
        )
        # periodic notices (manage.py notifications_remind; core/notifications.py)
        register_periodic_notice("insurance.expiry", policy_expiry_alerts_run)

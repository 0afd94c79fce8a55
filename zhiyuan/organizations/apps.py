from functools import partial

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _admin_org_ids(actor) -> list[int]:
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    return sorted(actor_object_ids(actor, Role.ORG_ADMIN))


def org_admin_scope(actor):
    """An organization admin sees the organizations they administer and their sub-teams."""
    from django.db.models import Q

    ids = _admin_org_ids(actor)
    return (Q(pk__in=ids) | Q(parent_id__in=ids)) if ids else None


def org_admin_test(actor, org) -> bool:
    """``org_admin_scope`` for one organization, from the actor's cached roles."""
    ids = set(_admin_org_ids(actor))
    return org.pk in ids or (org.parent_id is not None and org.parent_id in ids)


def org_admin_volunteer_scope(actor):
    """An organization admin sees the volunteers who are active members of (or applied to) their
    organizations and sub-teams — not invitees, who have not yet agreed to join."""
    from django.db.models import Q

    from zhiyuan.organizations.models import Membership

    ids = _admin_org_ids(actor)
    if not ids:
        return None
    members = Membership.objects.filter(
        Q(organization_id__in=ids) | Q(organization__parent_id__in=ids),
        status__in=[Membership.Status.ACTIVE, Membership.Status.APPLIED],
    ).values("volunteer_id")
    return Q(pk__in=members)


class OrganizationsConfig(AppConfig):
    name = "zhiyuan.organizations"
    label = "organizations"
    verbose_name = _("志愿服务组织")

    def ready(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import (
            register_role_hooks,
            register_role_object_picker,
            register_role_object_resolver,
            register_scope_provider,
            role_object_of,
        )
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.organizations.counts import volunteer_restriction_changed
        from zhiyuan.organizations.models import Organization
        from zhiyuan.organizations.picker import organization_options
        from zhiyuan.organizations.selectors import membership_export_rows
        from zhiyuan.organizations.services.common import admin_membership_on_grant, admin_membership_on_revoke
        from zhiyuan.volunteers.data_export import register_data_export_provider
        from zhiyuan.volunteers.services.consent import register_restriction_listener

        # ORG-4: an organization's admins (and its parent's) see it and manage its members and
        # profile; reviewing stays with its region managers (Organization.region_actions).
        register_scope_provider("organizations.Organization", org_admin_scope, actions=("view", "manage"), test=org_admin_test)
        register_audit_actions(
            "organizations.",
            _("志愿服务组织"),
            {
                "organizations.org.apply": _("申请成立组织"),
                "organizations.org.approve": _("通过组织申请"),
                "organizations.org.reject": _("不通过组织申请"),
                "organizations.org.update": _("修改组织信息"),
                "organizations.org.suspend": _("暂停组织"),
                "organizations.org.reinstate": _("恢复组织"),
                "organizations.org.deregister": _("注销组织"),
                "organizations.org.export": _("导出组织名单"),
                "organizations.member.apply": _("申请加入组织"),
                "organizations.member.invite": _("邀请成员"),
                "organizations.member.accept": _("接受组织邀请"),
                "organizations.member.decline": _("谢绝组织邀请"),
                "organizations.member.approve": _("通过加入申请"),
                "organizations.member.reject": _("拒绝加入申请"),
                "organizations.member.leave": _("退出组织"),
                "organizations.member.remove": _("移除成员"),
                "organizations.member.role": _("变更成员角色"),
                "organizations.member.export": _("导出成员名单"),
            },
        )
        register_role_object_resolver(Role.ORG_ADMIN, partial(role_object_of, Organization))
        register_role_hooks(Role.ORG_ADMIN, on_grant=admin_membership_on_grant, on_revoke=admin_membership_on_revoke)
        register_role_object_picker(Role.ORG_ADMIN, organization_options)
        register_scope_provider("volunteers.Volunteer", org_admin_volunteer_scope)
        register_restriction_listener(volunteer_restriction_changed)
        register_data_export_provider("memberships", _("组织成员身份"), membership_export_rows)
        # ORG-5 (activity index 活跃度) hooks in here once activities exist: see selectors.activity_index.
        register_nav(NavItem("organizations_directory", _("志愿组织"), "organizations:directory", order=35, audience="anyone"))
        register_nav(NavItem("organizations.my", _("我的组织"), "organizations:my", roles=frozenset({Role.VOLUNTEER}), order=22))
        register_nav(
            NavItem("organizations_admin", _("我管理的组织"), "organizations:mine", roles=frozenset({Role.ORG_ADMIN}), order=25)
        )
        register_nav(
            NavItem(
                "organizations_manage",
                _("组织管理"),
                "organizations:manage",
                roles=frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=65,
                group="manage",
            )
        )

"""Who may use the manager pages of the accounts app; fetch-and-authorize helpers live in
``selectors`` (404 for invisible) and ``services.can_manage_assignment`` (403 for visible but
not allowed)."""

from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_region_prefixes
from zhiyuan.core.errors import PermissionDenied


def can_manage_roles(actor) -> bool:
    """Platform admins and region managers (with a region) see the role management page."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor))


def require_role_manager(actor) -> None:
    if not can_manage_roles(actor):
        raise PermissionDenied(_("只有平台管理员和区域管理员可以管理角色。"))


def can_read_audit(actor) -> bool:
    """ACC-3: platform admins read the whole audit log, region managers the entries of their
    region (``lists.audit_scope``)."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor))


def require_audit_reader(actor) -> None:
    if not can_read_audit(actor):
        raise PermissionDenied(_("只有平台管理员和区域管理员可以查看审计日志。"))

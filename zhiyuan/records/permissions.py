"""Who may do what with hours (REC-2: 谁组织谁记录 — only the organizing body records).

The organizing body is the activity's organization; it acts through its admins (the ``org_admin``
role bound to that organization). Region managers see the hours inside their region (the
records querysets' ``region_actions``) but record nothing; platform admins neither.
"""

from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import VIEW, actor_object_ids, actor_region_prefixes, get_for
from zhiyuan.core.errors import PermissionDenied

NOT_ORGANIZER = _("只有组织该活动的组织的管理员可以记录其服务时长（谁组织谁记录）。")


def admin_org_ids(actor) -> set[int]:
    return actor_object_ids(actor, Role.ORG_ADMIN)


def is_org_admin(actor, organization_id: int) -> bool:
    return organization_id in admin_org_ids(actor)


def records_check(actor, organization_id: int) -> None:
    """403 unless ``actor`` administers the organizing organization (REC-2)."""
    if not is_org_admin(actor, organization_id):
        raise PermissionDenied(NOT_ORGANIZER)


def can_approve_honour(actor, grant) -> bool:
    """The second person of an honour grant: another admin of the organization, or a region
    manager whose region holds it (the supervisory 文明办). Never the proposer."""
    if actor.pk == grant.proposed_by_id:
        return False
    if is_org_admin(actor, grant.organization_id):
        return True
    return any(grant.region_code.startswith(p) for p in actor_region_prefixes(actor))


def organization_get_for_records(*, actor, id):
    """The organization whose hours ``actor`` records: 404 when invisible (as missing), 403 when
    visible but the actor is not its admin."""
    from zhiyuan.organizations.models import Organization

    org = get_for(actor, Organization, id, VIEW)
    records_check(actor, org.pk)
    return org

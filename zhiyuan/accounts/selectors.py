"""Reads of the accounts app, scoped by ``visible_to(actor)`` (ARCHITECTURE rule 1). The lists
(role assignments, audit log, API tokens) are declared once in ``lists.py``."""

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.permissions import require_role_manager
from zhiyuan.accounts.scopes import VIEW, get_for


def role_assignment_get(*, actor, id) -> RoleAssignment:
    """One assignment visible to the actor (``scopes.get_for``): NotFound (404) for missing and
    out-of-scope alike."""
    require_role_manager(actor)
    return get_for(actor, RoleAssignment.objects.select_related("user", "granted_by", "revoked_by"), id, VIEW)

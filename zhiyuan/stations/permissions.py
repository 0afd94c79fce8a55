"""Who may do what with service points: the rules are the scope actions declared on
``ServicePointQuerySet.region_actions`` and the station-admin provider in ``apps.py``
(ARCHITECTURE rule 8). Fetching is ``selectors.service_point_get(actor=, id=, action=)``; these
answer the same question for a point already in hand (buttons, re-checks)."""

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import MANAGE, OPERATE, actor_is_platform_admin, actor_object_ids, actor_region_prefixes, can
from zhiyuan.accounts.scopes import region_in_scope as region_in_scope


def can_manage_points(actor) -> bool:
    """Platform admins and region managers use the manager pages (list, create, export)."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor))


def can_manage_point(actor, point) -> bool:
    """Create/update/close/reopen, appoint station admins: the region manager whose region holds
    the point, or a platform admin."""
    return can(actor, point, MANAGE)


def is_station_admin_of(actor, point) -> bool:
    return point.pk in actor_object_ids(actor, Role.STATION_ADMIN)


def can_edit_operations(actor, point) -> bool:
    """Opening hours, contact, checklist, functions: the point's own station admins, and its managers."""
    return can(actor, point, OPERATE)

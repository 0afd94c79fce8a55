"""Who may do what with service points. Fetching (404 for invisible) is in ``selectors``;
these answer "visible, but may this actor change it?" (403)."""

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_object_ids, actor_region_prefixes, actor_token_prefix


def can_manage_points(actor) -> bool:
    """Platform admins and region managers use the manager pages (list, create, export)."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor))


def region_in_scope(actor, region_code: str) -> bool:
    """May the actor place a point in ``region_code``? Platform admins anywhere, region managers
    inside their region; an API token narrowed to a region only inside it."""
    token_prefix = actor_token_prefix(actor)
    if token_prefix and not region_code.startswith(token_prefix):
        return False
    if actor_is_platform_admin(actor):
        return True
    return any(region_code.startswith(p) for p in actor_region_prefixes(actor))


def can_manage_point(actor, point) -> bool:
    """Create/update/close/reopen, appoint station admins: the region manager whose region holds
    the point, or a platform admin."""
    return region_in_scope(actor, point.region_code)


def is_station_admin_of(actor, point) -> bool:
    return point.pk in actor_object_ids(actor, Role.STATION_ADMIN)


def can_edit_operations(actor, point) -> bool:
    """Opening hours, contact, checklist, functions: the point's own station admins, and its managers."""
    return is_station_admin_of(actor, point) or can_manage_point(actor, point)

"""Who may do what with organizations. Fetching (404 for invisible) is in ``selectors``; these
answer "visible, but may this actor change it?" (403)."""

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_object_ids, actor_region_prefixes, actor_token_prefix


def can_manage_organizations(actor) -> bool:
    """Platform admins and region managers use the manager pages (list, review queue, export)."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor))


def region_in_scope(actor, region_code: str) -> bool:
    """Is ``region_code`` inside the actor's region scope? Platform admins everywhere, region
    managers inside their region; an API token narrowed to a region only inside it."""
    token_prefix = actor_token_prefix(actor)
    if token_prefix and not region_code.startswith(token_prefix):
        return False
    if actor_is_platform_admin(actor):
        return True
    return any(region_code.startswith(p) for p in actor_region_prefixes(actor))


def can_review(actor, org) -> bool:
    """ORG-3: review, suspend, reinstate and deregister — the region manager whose region holds the
    organization (city managers for every county below them), or a platform admin."""
    return region_in_scope(actor, org.region_code)


def is_org_admin_of(actor, org) -> bool:
    return org.pk in actor_object_ids(actor, Role.ORG_ADMIN)


def can_manage_members(actor, org) -> bool:
    """ORG-4: the organization's own admins, the admins of its parent (sub-teams), and the region
    managers responsible for it."""
    return (
        is_org_admin_of(actor, org)
        or (org.parent_id is not None and org.parent_id in actor_object_ids(actor, Role.ORG_ADMIN))
        or can_review(actor, org)
    )


def can_edit_profile(actor, org) -> bool:
    """Profile fields (intro, address, contact, sponsor): its admins and its region managers."""
    return can_manage_members(actor, org)

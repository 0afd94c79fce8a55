"""Who may do what with organizations: the rules are the scope actions declared on
``OrganizationQuerySet.region_actions`` and the org-admin provider in ``apps.py`` (ARCHITECTURE
rule 8). Fetching is ``selectors.organization_get(actor=, id=, action=)`` (404 invisible, 403 not
allowed); these answer the same question for an object already in hand (buttons, re-checks)."""

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import MANAGE, REVIEW, actor_is_platform_admin, actor_object_ids, actor_region_prefixes, can
from zhiyuan.accounts.scopes import region_in_scope as region_in_scope


def can_manage_organizations(actor) -> bool:
    """Platform admins and region managers use the manager pages (list, review queue, export)."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor))


def can_review(actor, org) -> bool:
    """ORG-3: review, suspend, reinstate and deregister — the region manager whose region holds the
    organization (city managers for every county below them), or a platform admin."""
    return can(actor, org, REVIEW)


def is_org_admin_of(actor, org) -> bool:
    return org.pk in actor_object_ids(actor, Role.ORG_ADMIN)


def can_manage_members(actor, org) -> bool:
    """ORG-4: the organization's own admins, the admins of its parent (sub-teams), and the region
    managers responsible for it."""
    return can(actor, org, MANAGE)


def can_edit_profile(actor, org) -> bool:
    """Profile fields (intro, address, contact, sponsor): its admins and its region managers."""
    return can(actor, org, MANAGE)

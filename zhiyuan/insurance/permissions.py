"""Who may do what with insurance policies: the scope actions on
``InsurancePolicyQuerySet.region_actions`` (region managers: view, manage, export inside their
region; platform admins everything) and the holder organization's admins (view, manage; the
provider in ``apps.py``). Fetching is ``selectors.policy_get``."""

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import MANAGE, actor_has_role, actor_is_platform_admin, actor_region_prefixes, can


def can_use_insurance(actor) -> bool:
    """The insurance pages: organization admins, region managers, platform admins."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor)) or actor_has_role(actor, Role.ORG_ADMIN)


def can_manage_policy(actor, policy) -> bool:
    return can(actor, policy, MANAGE)

"""Writes of the organizations app, split by sub-domain (STYLE.md)."""

from zhiyuan.organizations.services.memberships import (
    membership_apply,
    membership_approve,
    membership_invite,
    membership_leave,
    membership_reject,
    membership_remove,
    membership_respond,
    membership_role_change,
)
from zhiyuan.organizations.services.organizations import (
    MANAGER_FIELDS,
    PROFILE_FIELDS,
    categories_clean,
    category_codes,
    organization_apply,
    organization_deregister,
    organization_reinstate,
    organization_review,
    organization_status_change,
    organization_suspend,
    organization_update,
    uscc_clean,
)

__all__ = [
    "MANAGER_FIELDS",
    "PROFILE_FIELDS",
    "categories_clean",
    "category_codes",
    "membership_apply",
    "membership_approve",
    "membership_invite",
    "membership_leave",
    "membership_reject",
    "membership_remove",
    "membership_respond",
    "membership_role_change",
    "organization_apply",
    "organization_deregister",
    "organization_reinstate",
    "organization_review",
    "organization_status_change",
    "organization_suspend",
    "organization_update",
    "uscc_clean",
]

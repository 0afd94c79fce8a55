"""Who besides region managers reaches projects and activities (ARCHITECTURE rule 8).

Region managers hold ``ActivitiesQuerySet.region_actions`` (view, review, export) inside their
region. Organization admins manage their own organization's — and its sub-teams' — projects
(view, manage, export) and activities (view, manage, operate, export): registered in ``ActivitiesConfig.ready``.
Every ``test`` says the same as its provider for one object, from the actor's cached roles."""

from django.db.models import Q

PROJECT_ACTIONS = ("view", "manage", "export")
ACTIVITY_ACTIONS = ("view", "manage", "operate", "export")


def admin_org_ids(actor) -> list[int]:
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    return sorted(actor_object_ids(actor, Role.ORG_ADMIN))


def org_admin_q(actor):
    """Rows of the organizations the actor administers and of their sub-teams."""
    ids = admin_org_ids(actor)
    return (Q(organization_id__in=ids) | Q(organization__parent_id__in=ids)) if ids else None


def org_admin_test(actor, obj) -> bool:
    ids = set(admin_org_ids(actor))
    if not ids:
        return False
    if obj.organization_id in ids:
        return True
    return obj.organization.parent_id in ids


def register() -> None:
    from zhiyuan.accounts.scopes import register_scope_provider

    register_scope_provider("activities.Project", org_admin_q, actions=PROJECT_ACTIONS, test=org_admin_test)
    register_scope_provider("activities.Activity", org_admin_q, actions=ACTIVITY_ACTIONS, test=org_admin_test)

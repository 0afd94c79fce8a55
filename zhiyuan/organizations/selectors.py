"""Reads of the organizations app. Every manager query starts from
``Organization.objects.visible_to`` (ARCHITECTURE rule 1); the public directory shows active
organizations only, without personal data (no contact person, no member names). The lists
(managers' list, review queue, directory, members) are declared in ``lists.py``."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import (
    MANAGE,
    REVIEW,
    VIEW,
    actor_object_ids,
    get_for,
    pk_or_404,
)
from zhiyuan.core.errors import NotFound
from zhiyuan.organizations.models import (
    Membership,
    Organization,
    OrganizationStatusChange,
    Status,
)
from zhiyuan.regions.models import Region
from zhiyuan.volunteers import code_tables
from zhiyuan.volunteers.models import processable_q
from zhiyuan.volunteers.numbers import normalize_volunteer_no


@dataclass
class MemberFilters:
    q: str = ""  # part of the name, or the volunteer number
    role: str = ""
    status: str = ""  # "" = open memberships (applied, invited, active); "all" = every row


_pk = pk_or_404


def category_labels(org: Organization) -> list[str]:
    """The organization's service categories as labels (uses the prefetched ``categories``)."""
    return [code_tables.label("service_category", c.code) for c in org.categories.all()]


def organization_get(*, actor, id, action: str = VIEW) -> Organization:
    """One organization for ``action`` (view, review, manage): NotFound (404) for missing and
    out-of-scope alike, PermissionDenied (403) when visible but not the actor's to ``action``
    (its own admin opening the review)."""
    return get_for(actor, Organization.objects.select_related("parent").prefetch_related("categories"), id, action)


def organization_get_for_review(*, actor, id) -> Organization:
    return organization_get(actor=actor, id=id, action=REVIEW)


def organization_get_for_members(*, actor, id) -> Organization:
    return organization_get(actor=actor, id=id, action=MANAGE)


def organization_get_for_edit(*, actor, id) -> Organization:
    return organization_get(actor=actor, id=id, action=MANAGE)


def status_history(*, org: Organization) -> QuerySet[OrganizationStatusChange]:
    return org.status_changes.select_related("actor").order_by("at", "id")


def admin_organizations(*, actor) -> QuerySet[Organization]:
    """The organizations the actor administers (any status: a suspended one is still theirs to see)."""
    ids = actor_object_ids(actor, Role.ORG_ADMIN)
    return Organization.objects.filter(pk__in=sorted(ids)).select_related("parent").order_by("name", "id")


def my_applications(*, actor) -> QuerySet[Organization]:
    """Organizations the actor applied to create (to follow the review)."""
    if not getattr(actor, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(created_by=actor).order_by("-created_at", "-id")


# VOL-6 / PIPL 47: a person who withdrew consent (``Volunteer.restricted_at``) is kept but no longer
# processed — left out of member lists, member exports and member counts like every volunteer list.
NOT_RESTRICTED = processable_q("volunteer__")


def member_scope(*, org: Organization) -> QuerySet[Membership]:
    """Every membership of ``org`` (the caller has fetched ``org`` with
    ``organization_get_for_members``), without restricted people (VOL-6)."""
    return Membership.objects.filter(NOT_RESTRICTED, organization=org).select_related("volunteer", "volunteer__user")


def member_filter(qs: QuerySet[Membership], f: MemberFilters) -> QuerySet[Membership]:
    """The member list's filters: part of the name or the volunteer number, a role, a status
    ("" = open memberships: applied, invited, active; "all" = every row)."""
    q = (f.q or "").strip()[:50]
    if q:
        # the number also as shown, grouped: "0000 012 345 6"
        qs = qs.filter(Q(volunteer__name__icontains=q) | Q(volunteer__volunteer_no=normalize_volunteer_no(q)))
    if f.role in Membership.Role.values:
        qs = qs.filter(role=f.role)
    if f.status in Membership.Status.values:
        qs = qs.filter(status=f.status)
    elif f.status != "all":
        qs = qs.filter(status__in=Membership.OPEN)
    return qs


def membership_get(*, org: Organization, id) -> Membership:
    """One membership of ``org`` for its admins; a restricted person's is NotFound (VOL-6)."""
    m = (
        Membership.objects.select_related("volunteer", "volunteer__user")
        .filter(NOT_RESTRICTED, organization=org, pk=_pk(id))
        .first()
    )
    if m is None:
        raise NotFound()
    return m


def my_memberships(*, volunteer) -> QuerySet[Membership]:
    return Membership.objects.filter(volunteer=volunteer).select_related("organization").order_by("status", "-updated_at", "-id")


def my_membership_get(*, volunteer, id) -> Membership:
    m = Membership.objects.select_related("organization").filter(volunteer=volunteer, pk=_pk(id)).first()
    if m is None:
        raise NotFound()
    return m


def membership_export_rows(*, volunteer) -> list[dict]:
    """VOL-6 / PIPL 45: the person's own memberships, every status, for "download all my data"
    (registered with ``volunteers.data_export`` in ``OrganizationsConfig.ready``)."""

    def iso(value):
        return value.isoformat() if value else None

    rows = Membership.objects.filter(volunteer=volunteer).select_related("organization").order_by("created_at", "id")
    return [
        {
            "organization_id": m.organization_id,
            "organization_name": m.organization.name,
            "organization_kind": str(m.organization.get_kind_display()),
            "role": m.role,
            "role_label": str(m.get_role_display()),
            "status": m.status,
            "status_label": str(m.get_status_display()),
            "applied_at": iso(m.created_at),
            "joined_at": iso(m.joined_at),
            "ended_at": iso(m.ended_at),
            "reason": m.reason,
        }
        for m in rows
    ]


# --- public directory (ORG-6) ------------------------------------------------------------------------


def public_organization_get(*, id) -> Organization:
    """An active organization (404 for anything else: pending, rejected, suspended, deregistered)."""
    qs = Organization.objects.select_related("parent").prefetch_related("categories")
    org = qs.filter(pk=_pk(id), status=Status.ACTIVE).first()
    if org is None:
        raise NotFound()
    return org


def public_sub_teams(*, org: Organization) -> QuerySet[Organization]:
    return org.sub_teams.filter(status=Status.ACTIVE).prefetch_related("categories").order_by("name", "id")


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))


def region_name(code: str) -> str:
    return region_names([code]).get(code, code)


# --- ORG-5 activity index 活跃度 (hook) ---------------------------------------------------------------
#
# The index needs activities, hours and ratings, which live in apps above this one (activities,
# records). ARCHITECTURE "Layers": a lower app never imports a higher one, so the activities app
# registers the computation at start-up with ``register_activity_index_provider(fn)``, where
# ``fn(org_ids) -> {org_id: float 0–100}``. Planned formula (documented in docs once built; periods
# and weights are settings, RULES.md "Indicators" [open]):
#   index = 100 × (0.30·activities + 0.30·hours + 0.20·active members + 0.10·ratings + 0.10·recency),
#   each term normalized to 0–1 against the region's 90th percentile over the last 12 months.
# Until a provider is registered the index is ``None`` and pages show "暂无".

_activity_index_provider = None


def register_activity_index_provider(provider) -> None:
    global _activity_index_provider
    _activity_index_provider = provider


def activity_index(*, org_ids) -> dict[int, float]:
    """ORG-5: the activity index per organization ({} until the activities app provides it)."""
    if _activity_index_provider is None:
        return {}
    return dict(_activity_index_provider(list(org_ids)))

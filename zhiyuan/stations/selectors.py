"""Reads of the stations app. Every manager query starts from ``ServicePoint.objects.visible_to``
(ARCHITECTURE rule 1); the public list shows active points only, without personal data."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import MANAGE, OPERATE, VIEW, actor_object_ids, get_for
from zhiyuan.regions.codes import normalize_code, region_prefix
from zhiyuan.regions.models import Region
from zhiyuan.stations.models import PARENT_LEVELS, Kind, NetworkLevel, ServicePoint, Status

NETWORK_NONE = "none"  # filter value: points outside the practice network
RELATED = ("parent", "operator_organization")  # shown with every point on manager pages and the API


@dataclass
class ServicePointFilters:
    q: str = ""  # part of the name or the address
    network_level: str = ""  # centre | institute | station | none
    kind: str = ""  # station | post | point | room
    status: str = ""  # active | closed | "" (all)
    region: str = ""  # a 2/4/6/9/12-digit code: points inside it


def _apply_filters(qs: QuerySet, f: ServicePointFilters) -> QuerySet:
    q = (f.q or "").strip()[:50]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if f.network_level == NETWORK_NONE:
        qs = qs.filter(network_level="")
    elif f.network_level in NetworkLevel.values:
        qs = qs.filter(network_level=f.network_level)
    if f.kind in Kind.values:
        qs = qs.filter(kind=f.kind)
    if f.status in Status.values:
        qs = qs.filter(status=f.status)
    if f.region:
        try:
            qs = qs.filter(region_code__startswith=region_prefix(normalize_code(str(f.region))))
        except ValueError:
            qs = qs.none()
    return qs


def service_point_list(*, actor, filters: ServicePointFilters | None = None) -> QuerySet[ServicePoint]:
    """Points the actor may see (region managers: their region; platform admins: all; station
    admins: their own points), filtered, in region then name order."""
    qs = ServicePoint.objects.visible_to(actor).select_related(*RELATED)
    return _apply_filters(qs, filters or ServicePointFilters()).order_by("region_code", "name", "id")


def service_point_get(*, actor, id, action: str = VIEW) -> ServicePoint:
    """One point for ``action`` (view, manage, operate): NotFound (404) for missing and out-of-scope
    alike, PermissionDenied (403) when visible but not the actor's to ``action`` (a station admin
    opening a manager action on their own point)."""
    return get_for(actor, ServicePoint.objects.select_related(*RELATED), id, action)


def service_point_get_for_manage(*, actor, id) -> ServicePoint:
    return service_point_get(actor=actor, id=id, action=MANAGE)


def service_point_get_for_operations(*, actor, id) -> ServicePoint:
    """A point whose hours/contact/checklist the actor may edit (its station admin or manager)."""
    return service_point_get(actor=actor, id=id, action=OPERATE)


def my_service_points(*, actor) -> QuerySet[ServicePoint]:
    """The points the actor is station admin of (closed ones included: they can still see them)."""
    ids = actor_object_ids(actor, Role.STATION_ADMIN)
    return ServicePoint.objects.filter(pk__in=sorted(ids)).select_related(*RELATED).order_by("name", "id")


def station_admin_list(*, point: ServicePoint) -> QuerySet[RoleAssignment]:
    """Active station-admin assignments of a point (the caller has fetched ``point`` in scope)."""
    return (
        RoleAssignment.objects.filter(role=Role.STATION_ADMIN, object_id=point.pk, active=True)
        .select_related("user", "granted_by")
        .order_by("granted_at", "id")
    )


def parent_candidates(*, actor, network_level: str, exclude_id: int | None = None) -> QuerySet[ServicePoint]:
    """Visible active points that may be the parent of a point at ``network_level``."""
    allowed = PARENT_LEVELS.get(network_level or "")
    qs = ServicePoint.objects.visible_to(actor).filter(status=Status.ACTIVE, network_level__in=allowed or [])
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("region_code", "name")


def public_service_point_list(*, filters: ServicePointFilters | None = None) -> QuerySet[ServicePoint]:
    """STA-1/STA-2: active points for anyone. Callers show only public fields (never the contact
    person or their phone)."""
    f = filters or ServicePointFilters()
    f = ServicePointFilters(q=f.q, network_level=f.network_level, kind=f.kind, status=Status.ACTIVE, region=f.region)
    qs = ServicePoint.objects.filter(status=Status.ACTIVE).select_related("operator_organization")
    return _apply_filters(qs, f).order_by("region_code", "name", "id")


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))

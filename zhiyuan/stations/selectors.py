"""Reads of the stations app. Every manager query starts from ``ServicePoint.objects.visible_to``
(ARCHITECTURE rule 1). The lists (manager, public, 「我的站点」) are declared once in ``lists.py``."""

from django.db.models import QuerySet

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import MANAGE, OPERATE, VIEW, get_for
from zhiyuan.regions.models import Region
from zhiyuan.stations.models import PARENT_LEVELS, ServicePoint, Status

RELATED = ("parent", "operator_organization")  # shown with every point on manager pages and the API


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


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))

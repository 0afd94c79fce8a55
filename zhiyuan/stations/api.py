"""/api/v1/stations — service points (STA-1, REG-4) and their station admins (ACC-2).
Thin: parse → one service/selector → schema (STYLE.md)."""

from ninja import Router

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.core.api import ERRORS
from zhiyuan.core.lists import list_operation
from zhiyuan.stations import selectors, services
from zhiyuan.stations.lists import MY_POINTS, POINTS, PUBLIC_POINTS
from zhiyuan.stations.models import ServicePoint
from zhiyuan.stations.schemas import (
    CloseIn,
    OperationsIn,
    PublicServicePointOut,
    ServicePointCreateIn,
    ServicePointOut,
    ServicePointPatchIn,
    StationAdminIn,
    StationAdminOut,
)

router = Router(tags=["stations"])
public_router = Router(tags=["stations"], auth=None)  # no authentication: the public directory
router.add_router("/public", public_router)


def public_out(p: ServicePoint, names: dict) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "network_level": p.network_level,
        "kind": p.kind,
        "type_label": p.type_label,
        "region_code": p.region_code,
        "region_name": names.get(p.region_code, ""),
        "address": p.address,
        "latitude": float(p.latitude) if p.latitude is not None else None,
        "longitude": float(p.longitude) if p.longitude is not None else None,
        "opening_hours": p.opening_hours,
        "service_phone": p.service_phone,
        "functions": list(p.functions or []),
        "operator_organization_name": p.public_operator_name,
    }


def point_out(p: ServicePoint, names: dict | None = None) -> dict:
    names = names if names is not None else selectors.region_names([p.region_code])
    return {
        **public_out(p, names),
        "parent_id": p.parent_id,
        "parent_name": p.parent.name if p.parent_id else "",
        "contact_name": p.contact_name,
        "contact_phone": p.contact_phone,
        "operator_organization_id": p.operator_organization_id,
        "operator_organization_name": p.operator_name,
        "operator_organization_status": p.operator_organization.status if p.operator_organization_id else "",
        "checklist": {**{f: v for f, _label, v in p.six_haves}, "count": p.six_haves_count},
        "status": p.status,
        "closed_at": p.closed_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def admin_out(a: RoleAssignment) -> dict:
    return {
        "id": a.pk,
        "user_id": a.user_id,
        "user_name": a.user.display_name,
        "user_mobile_masked": a.user.masked_mobile,
        "active": a.active,
        "granted_at": a.granted_at,
        "revoked_at": a.revoked_at,
    }


# The lists are declared once (``lists.py``); their query parameters, OpenAPI and the answer
# ``{items, next_cursor}`` (keyset: pass ``next_cursor`` back as ``cursor``) derive from the spec.

# GET /public/points: active points for anyone (STA-1/STA-2), public fields only.
list_operation(public_router, "/points", PUBLIC_POINTS, row=PublicServicePointOut, operation_id="list_public_service_points",
               to_row=lambda p: public_out(p, {p.region_code: p.region_name}), errors=ERRORS)  # fmt: skip

# GET /points: points visible to the caller (region managers their region, platform admins all,
# station admins their own points).
list_operation(router, "/points", POINTS, row=ServicePointOut, operation_id="list_service_points",
               to_row=lambda p: point_out(p, {p.region_code: p.region_name}), errors=ERRORS)  # fmt: skip

# GET /mine: the points the caller is station admin of (closed ones included).
list_operation(router, "/mine", MY_POINTS, row=ServicePointOut, operation_id="list_my_service_points",
               to_row=lambda p: point_out(p, {p.region_code: p.region_name}), errors=ERRORS)  # fmt: skip


@router.post("/points", response={201: ServicePointOut, **ERRORS}, operation_id="create_service_point")
def create_service_point(request, payload: ServicePointCreateIn):
    values = services.ServicePointInput(**payload.dict())
    return 201, point_out(services.service_point_create(actor=request.user, values=values, request=request))


@router.get("/points/{point_id}", response={200: ServicePointOut, **ERRORS}, operation_id="get_service_point")
def get_service_point(request, point_id: int):
    return point_out(selectors.service_point_get(actor=request.user, id=point_id))


@router.patch("/points/{point_id}", response={200: ServicePointOut, **ERRORS}, operation_id="update_service_point")
def update_service_point(request, point_id: int, payload: ServicePointPatchIn):
    """Change the fields sent (managers of the point). A station admin uses
    ``PATCH /points/{id}/operations`` instead."""
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    change = services.ServicePointInput(**payload.dict(exclude_unset=True))
    return point_out(services.service_point_update(actor=request.user, point=point, change=change, request=request))


@router.patch(
    "/points/{point_id}/operations", response={200: ServicePointOut, **ERRORS}, operation_id="update_service_point_operations"
)
def update_service_point_operations(request, point_id: int, payload: OperationsIn):
    """Opening hours, contact, functions and the six-haves checklist (the point's station admins
    and managers)."""
    point = selectors.service_point_get_for_operations(actor=request.user, id=point_id)
    change = services.ServicePointInput(**payload.dict(exclude_unset=True))
    return point_out(services.service_point_operations_update(actor=request.user, point=point, change=change, request=request))


@router.post("/points/{point_id}/close", response={200: ServicePointOut, **ERRORS}, operation_id="close_service_point")
def close_service_point(request, point_id: int, payload: CloseIn):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    return point_out(services.service_point_close(actor=request.user, point=point, reason=payload.reason, request=request))


@router.post("/points/{point_id}/reopen", response={200: ServicePointOut, **ERRORS}, operation_id="reopen_service_point")
def reopen_service_point(request, point_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    return point_out(services.service_point_reopen(actor=request.user, point=point, request=request))


@router.get("/points/{point_id}/admins", response={200: list[StationAdminOut], **ERRORS}, operation_id="list_station_admins")
def list_station_admins(request, point_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    return [admin_out(a) for a in selectors.station_admin_list(point=point)]


@router.post("/points/{point_id}/admins", response={201: StationAdminOut, **ERRORS}, operation_id="assign_station_admin")
def assign_station_admin(request, point_id: int, payload: StationAdminIn):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    return 201, admin_out(services.station_admin_assign(actor=request.user, point=point, mobile=payload.mobile, request=request))


@router.post(
    "/points/{point_id}/admins/{assignment_id}/revoke",
    response={200: StationAdminOut, **ERRORS},
    operation_id="revoke_station_admin",
)
def revoke_station_admin(request, point_id: int, assignment_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    a = services.station_admin_revoke(actor=request.user, point=point, assignment_id=assignment_id, request=request)
    return admin_out(a)

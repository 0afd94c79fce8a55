import datetime

from ninja import Schema

from zhiyuan.core.api import InSchema

Coordinate = float | str | None


class OperationsIn(InSchema):
    """What a station admin may change (every field optional: only those sent change)."""

    opening_hours: str | None = None
    service_phone: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    functions: list[str] | None = None
    has_place: bool | None = None
    has_team: bool | None = None
    has_projects: bool | None = None
    has_facilities: bool | None = None
    has_rules: bool | None = None
    has_signage: bool | None = None


class ServicePointPatchIn(OperationsIn):
    name: str | None = None
    network_level: str | None = None
    kind: str | None = None
    parent_id: int | None = None
    region_code: str | None = None
    address: str | None = None
    latitude: Coordinate = None
    longitude: Coordinate = None
    operator_organization_id: int | None = None


class ServicePointCreateIn(InSchema):
    name: str
    network_level: str = ""
    kind: str = "station"
    parent_id: int | None = None
    region_code: str
    address: str
    latitude: Coordinate = None
    longitude: Coordinate = None
    opening_hours: str = ""
    service_phone: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    operator_organization_id: int | None = None
    functions: list[str] = []
    has_place: bool = False
    has_team: bool = False
    has_projects: bool = False
    has_facilities: bool = False
    has_rules: bool = False
    has_signage: bool = False


class ChecklistOut(Schema):
    has_place: bool
    has_team: bool
    has_projects: bool
    has_facilities: bool
    has_rules: bool
    has_signage: bool
    count: int


class PublicServicePointOut(Schema):
    """Public fields only: never the contact person or their phone."""

    id: int
    name: str
    network_level: str
    kind: str
    type_label: str
    region_code: str
    region_name: str
    address: str
    latitude: float | None
    longitude: float | None
    opening_hours: str
    service_phone: str
    functions: list[str]
    # The operating organization's name while it is active ("" otherwise, or when none).
    operator_organization_name: str


class ServicePointOut(PublicServicePointOut):
    """Manager view: ``operator_organization_name`` is given whatever the organization's status,
    which ``operator_organization_status`` tells ("" when the point has no operator)."""

    parent_id: int | None
    parent_name: str
    contact_name: str
    contact_phone: str
    operator_organization_id: int | None
    operator_organization_status: str
    checklist: ChecklistOut
    status: str
    closed_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CloseIn(InSchema):
    reason: str = ""


class StationAdminIn(InSchema):
    mobile: str


class StationAdminOut(Schema):
    id: int
    user_id: int
    user_name: str
    user_mobile_masked: str
    active: bool
    granted_at: datetime.datetime
    revoked_at: datetime.datetime | None

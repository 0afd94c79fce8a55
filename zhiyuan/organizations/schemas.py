import datetime

from ninja import Schema

from zhiyuan.core.api import InSchema


class OrganizationApplyIn(InSchema):
    name: str
    kind: str
    region_code: str
    address: str
    contact_name: str
    contact_phone: str
    intro: str = ""
    uscc: str = ""
    sponsor_type: str = ""
    sponsor_name: str = ""
    team_category: str = ""
    categories: list[str] = []  # service category codes, at most 8
    parent_id: int | None = None


class OrganizationPatchIn(InSchema):
    name: str | None = None
    region_code: str | None = None
    uscc: str | None = None
    intro: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    sponsor_type: str | None = None
    sponsor_name: str | None = None
    team_category: str | None = None
    categories: list[str] | None = None  # replaces the list; [] clears it


class ReviewIn(InSchema):
    decision: str  # approve | reject
    reason: str = ""


class OrganizationStatusIn(InSchema):
    action: str  # suspend | reinstate | deregister
    reason: str = ""


class ReasonIn(InSchema):
    reason: str = ""


class InviteIn(InSchema):
    volunteer_no: str
    role: str = "member"


class ApproveIn(InSchema):
    role: str = ""


class RoleIn(InSchema):
    role: str


class RespondIn(InSchema):
    accept: bool


class CategoryOut(Schema):
    code: str
    label: str


class PublicOrganizationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    intro: str
    region_code: str
    region_name: str
    address: str
    sponsor_type: str
    sponsor_name: str
    team_category: str
    categories: list[CategoryOut]
    parent_id: int | None
    parent_name: str
    member_count: int


class PublicOrganizationDetailOut(PublicOrganizationOut):
    sub_teams: list[PublicOrganizationOut]


class OrganizationStatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    at: datetime.datetime


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    intro: str
    region_code: str
    region_name: str
    address: str
    contact_name: str
    contact_phone: str
    uscc: str
    sponsor_type: str
    sponsor_name: str
    team_category: str
    categories: list[CategoryOut]
    parent_id: int | None
    parent_name: str
    status: str
    status_label: str
    status_reason: str
    reviewed_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class OrganizationDetailOut(OrganizationOut):
    history: list[OrganizationStatusChangeOut]


class MembershipOut(Schema):
    id: int
    organization_id: int
    volunteer_id: int
    volunteer_no: str
    volunteer_name: str
    role: str
    role_label: str
    status: str
    status_label: str
    reason: str
    created_at: datetime.datetime
    joined_at: datetime.datetime | None
    ended_at: datetime.datetime | None


class MyMembershipOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    role: str
    status: str
    status_label: str
    reason: str
    created_at: datetime.datetime
    joined_at: datetime.datetime | None

import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

from zhiyuan.core.api import InSchema, IsoDate


class PolicyIn(InSchema):
    holder_id: int | None = Field(None, ge=1, le=2**63 - 1, description="the holder organization; none for a platform policy")
    region_code: str = Field("", max_length=12, description="platform policies: the 12-digit region it covers")
    insurer: str = Field(..., max_length=100)
    policy_no: str = Field(..., max_length=60)
    kind: str = Field("accident", description="accident | liability")
    cover: str = Field(..., description="members | listed | activity")
    starts_on: IsoDate
    ends_on: IsoDate
    sum_insured: str = Field(..., max_length=20, description="yuan, e.g. 500000.00")
    note: str = Field("", max_length=200)


class PolicyListItemOut(Schema):
    id: int
    holder_id: int | None
    holder_name: str
    insurer: str
    policy_no: str
    kind: str
    cover: str
    starts_on: datetime.date
    ends_on: datetime.date
    status: str
    insured_count: int


class PolicyOut(PolicyListItemOut):
    region_code: str
    sum_insured: str
    cancelled_on: datetime.date | None
    has_document: bool
    note: str


class CancelIn(InSchema):
    on: IsoDate
    reason: str = Field("", max_length=200)


class InsuredOut(Schema):
    id: int
    volunteer_id: int
    volunteer_no: str
    name: str
    id_number_masked: str
    added_at: datetime.datetime


class InsuredImportRowErrorOut(Schema):
    row: int
    field: str
    field_label: str
    message: str


class InsuredImportOut(Schema):
    rows: int
    matched: int
    added: int
    already: int
    ok: bool
    file_errors: list[str]
    errors: list[InsuredImportRowErrorOut]


class CoverCheckIn(InSchema):
    organization_id: int = Field(..., ge=1, le=2**63 - 1)
    on: IsoDate
    volunteer_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(..., min_length=1, max_length=1000)
    kind: str = Field("accident", description="accident | liability")


class CoverAnswerOut(Schema):
    volunteer_id: int
    covered: bool
    reason: str
    policy_id: int | None
    policy_no: str


class CoverCheckOut(Schema):
    items: list[CoverAnswerOut]
    not_found: list[int]


class ExpiringOut(Schema):
    items: list[PolicyListItemOut]
    within_days: int

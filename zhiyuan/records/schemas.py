import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

from zhiyuan.core.api import InSchema, IsoDate, IsoDateTime

REASON = Field("", max_length=200)


class TotalsOut(Schema):
    credit_minutes: int
    honour_minutes: int


class YearTotalsOut(TotalsOut):
    year: int


class OrgTotalsOut(TotalsOut):
    organization_id: int
    organization_name: str


class HoursSummaryOut(Schema):
    volunteer_id: int
    lifetime: TotalsOut
    years: list[YearTotalsOut]
    organizations: list[OrgTotalsOut]


class EntryOut(Schema):
    id: int
    volunteer_id: int
    organization_id: int
    activity_id: int | None
    activity_title: str
    attendance_id: int | None
    kind: str = Field(description="credit | honour")
    action: str = Field(description="confirm | correct | void")
    minutes: int = Field(description="signed: a void or a downward correction is negative")
    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None
    service_date: datetime.date
    refers_to_id: int | None
    correction_id: int | None
    honour_grant_id: int | None
    reason: str
    recorded_by_id: int | None
    approved_by_id: int | None
    created_at: datetime.datetime


class QueueRowOut(Schema):
    attendance_id: int
    volunteer_id: int
    volunteer_name: str
    volunteer_no: str
    activity_id: int
    activity_title: str
    shift_starts_at: datetime.datetime
    shift_ends_at: datetime.datetime
    check_in_at: datetime.datetime
    check_out_at: datetime.datetime | None
    flags: list[str]
    needs_decision: list[str] = Field(description="empty: may be confirmed as it is (also in bulk)")


class ConfirmIn(InSchema):
    ends_at: IsoDateTime | None = Field(None, description="the verified end of service; required for a flagged attendance")
    reason: str = REASON


class HoursReasonIn(InSchema):
    reason: str = Field(..., max_length=200)


class BulkIn(InSchema):
    attendance_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(..., max_length=1000)


class SkippedOut(Schema):
    attendance_id: int
    code: str
    message: str


class BulkOut(Schema):
    confirmed: list[int]
    skipped: list[SkippedOut]


class CorrectIn(InSchema):
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None
    minutes: int | None = Field(None, ge=1, le=1_000_000, description="honour entries: the corrected minutes")
    reason: str = Field(..., max_length=200)


class HonourIn(InSchema):
    volunteer_no: str = Field(..., max_length=16)
    minutes: int = Field(..., ge=1, le=1_000_000)
    service_date: IsoDate
    reason: str = Field(..., max_length=200)
    activity_id: int | None = Field(None, ge=1, le=2**63 - 1)


class HonourOut(Schema):
    id: int
    organization_id: int
    volunteer_id: int
    volunteer_name: str
    activity_id: int | None
    minutes: int
    service_date: datetime.date
    reason: str
    status: str = Field(description="pending | approved | rejected")
    proposed_by_id: int
    decided_by_id: int | None
    decision_note: str


class DecisionIn(InSchema):
    note: str = REASON


class HourCorrectionOut(Schema):
    id: int
    volunteer_id: int
    organization_id: int
    activity_id: int | None
    entry_id: int | None
    kind: str = Field(description="error | missing")
    claimed_minutes: int | None
    claimed_starts_at: datetime.datetime | None
    claimed_ends_at: datetime.datetime | None
    explanation: str
    has_evidence: bool
    status: str = Field(description="pending | accepted | rejected")
    decision_note: str
    created_at: datetime.datetime


class AcceptIn(InSchema):
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None
    minutes: int | None = Field(None, ge=1, le=1_000_000)
    note: str = REASON

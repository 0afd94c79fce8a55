"""Schemas of the check-in API (``api_attendance.py``)."""

import datetime

from ninja import Schema
from pydantic import Field

from zhiyuan.core.api import InSchema


class AttendanceCheckIn(InSchema):
    method: str = Field(..., description="qr (the organizer's rotating QR code) | code (the 6-digit session code)")
    token: str = Field("", max_length=1000, description="method qr: the scanned token or the scan-page URL")
    code: str = Field("", max_length=6, description="method code: the 6 digits read out")
    shift_id: int | None = Field(None, ge=1, le=2**63 - 1, description="optional: the shift the volunteer means")
    client_request_id: str = Field(..., min_length=8, max_length=64, description="unique per attempt; a retry repeats it")
    device_time: datetime.datetime | None = Field(None, description="when it happened on the device (offline records)")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class EcardScanIn(InSchema):
    kind: str = Field("in", description="in | out")
    token: str = Field(..., max_length=1000, description="the volunteer's e-card token or the URL in its QR code")
    client_request_id: str = Field(..., min_length=8, max_length=64)
    device_time: datetime.datetime | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class AttendanceManualIn(InSchema):
    kind: str = Field("in", description="in | out")
    volunteer_no: str = Field("", max_length=16)
    enrollment_id: int | None = Field(None, ge=1, le=2**63 - 1)
    reason: str = Field(..., max_length=200)
    at: datetime.datetime | None = Field(None, description="the real time (default now); required after the shift")
    client_request_id: str = Field(..., min_length=8, max_length=64)


class AttendanceResultOut(Schema):
    attendance_id: int
    kind: str
    method: str
    at: str
    shift_id: int
    activity_id: int
    volunteer_no: str
    volunteer_name: str
    check_in_at: str
    check_out_at: str | None
    flags: list[str]
    replayed: bool = False


class CheckinSessionOut(Schema):
    shift_id: int
    qr_token: str
    qr_expires_at: int
    qr_refresh_seconds: int
    code: str
    code_changes_at: int


class AttendanceRowOut(Schema):
    id: int
    volunteer_no: str
    volunteer_name: str
    check_in_at: datetime.datetime
    check_in_method: str
    check_out_at: datetime.datetime | None
    check_out_method: str
    flags: list[str]
    reason: str

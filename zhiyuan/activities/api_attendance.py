"""/api/v1/activities — check-in and check-out (ACT-4, ACT-5). Thin: parse → one service → schema.

* ``POST /attendance/check-in`` and ``/attendance/check-out`` — the volunteer, by the organizer's
  QR code or the session code; 201 when recorded, 200 with ``replayed`` when the same
  ``client_request_id`` was recorded before (nothing written twice).
* ``GET /shifts/{id}/checkin-session`` — the organizer's current QR token and code.
* ``POST /shifts/{id}/attendance/scan`` — the organizer scanned a volunteer's e-card.
* ``POST /shifts/{id}/attendance/manual`` — the organizer records by hand with a reason.
* ``GET /shifts/{id}/attendance`` — the shift's attendance (keyset list)."""

from django.utils.translation import gettext_lazy as _
from ninja import Router

from zhiyuan.activities import attendance as svc
from zhiyuan.activities.lists_attendance import ATTENDANCE
from zhiyuan.activities.schemas_attendance import (
    AttendanceCheckIn,
    AttendanceManualIn,
    AttendanceResultOut,
    AttendanceRowOut,
    CheckinSessionOut,
    EcardScanIn,
)
from zhiyuan.core.api import ERRORS
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_operation

router = Router(tags=["attendance"])


def _req(kind: str, payload) -> svc.CheckRequest:
    return svc.CheckRequest(
        kind=kind,
        client_request_id=payload.client_request_id,
        device_time=payload.device_time,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )


def _answer(outcome):
    result, replayed = outcome
    return (200 if replayed else 201), {**result, "replayed": replayed}


def _volunteer_check(request, kind: str, payload: AttendanceCheckIn):
    req = _req(kind, payload)
    if payload.method == "qr":
        return _answer(svc.attendance_check_by_qr(actor=request.user, req=req, token=payload.token, shift_id=payload.shift_id))
    if payload.method == "code":
        return _answer(svc.attendance_check_by_code(actor=request.user, req=req, code=payload.code, shift_id=payload.shift_id))
    msg = _("签到方式须为 qr（扫活动码）或 code（签到码）。")
    raise DomainError("invalid", msg, fields={"method": [msg]}, status=422)


@router.post(
    "/attendance/check-in", response={200: AttendanceResultOut, 201: AttendanceResultOut, **ERRORS}, operation_id="check_in"
)
def check_in(request, payload: AttendanceCheckIn):
    """Check in by the organizer's QR code or the 6-digit session code (ACT-4)."""
    return _volunteer_check(request, svc.IN, payload)


@router.post(
    "/attendance/check-out", response={200: AttendanceResultOut, 201: AttendanceResultOut, **ERRORS}, operation_id="check_out"
)
def check_out(request, payload: AttendanceCheckIn):
    """Check out by the organizer's QR code or the session code; needs a check-in."""
    return _volunteer_check(request, svc.OUT, payload)


@router.get("/shifts/{shift_id}/checkin-session", response={200: CheckinSessionOut, **ERRORS}, operation_id="get_checkin_session")
def get_checkin_session(request, shift_id: int):
    """The organizer's current QR token and session code for the shift."""
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id)
    return svc.checkin_session(shift=shift)


@router.post(
    "/shifts/{shift_id}/attendance/scan",
    response={200: AttendanceResultOut, 201: AttendanceResultOut, **ERRORS},
    operation_id="scan_ecard",
)
def scan_ecard(request, shift_id: int, payload: EcardScanIn):
    """The organizer scanned a volunteer's e-card (VOL-8) to check them in or out (audited)."""
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id)
    req = _req(payload.kind, payload)
    return _answer(svc.attendance_check_by_ecard(actor=request.user, shift=shift, req=req, token=payload.token, request=request))


@router.post(
    "/shifts/{shift_id}/attendance/manual",
    response={200: AttendanceResultOut, 201: AttendanceResultOut, **ERRORS},
    operation_id="record_attendance_manually",
)
def record_attendance_manually(request, shift_id: int, payload: AttendanceManualIn):
    """The organizer records a check-in or check-out by hand with a reason (flagged manual, audited)."""
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id)
    req = svc.CheckRequest(kind=payload.kind, client_request_id=payload.client_request_id)
    return _answer(
        svc.attendance_record_manual(
            actor=request.user,
            shift=shift,
            req=req,
            reason=payload.reason,
            volunteer_no=payload.volunteer_no,
            enrollment_id=payload.enrollment_id,
            at=payload.at,
            request=request,
        )
    )


def attendance_row(a) -> dict:
    return {
        "id": a.pk,
        "volunteer_no": a.volunteer.volunteer_no,
        "volunteer_name": a.volunteer.name,
        "check_in_at": a.check_in_at,
        "check_in_method": a.check_in_method,
        "check_out_at": a.check_out_at,
        "check_out_method": a.check_out_method,
        "flags": list(a.flags),
        "reason": a.reason,
    }


def _shift_context(request, shift_id: int) -> dict:
    return {"shift": svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id, action="view")}


list_operation(router, "/shifts/{shift_id}/attendance", ATTENDANCE, row=AttendanceRowOut, operation_id="list_shift_attendance",
               to_row=attendance_row, errors=ERRORS, path_params={"shift_id": int}, context=_shift_context)  # fmt: skip

"""/api/v1/activities — enrollment (ACT-3): sign up, cancel, decide, my enrollments, an
activity's enrollments and the eligibility check. Thin: parse → one service or selector → schema
(STYLE.md)."""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema

from zhiyuan.activities import enrollment as svc
from zhiyuan.activities.enrollment_lists import ACTIVITY_ENROLLMENTS, MY_ENROLLMENTS, activity_get_for_enrollments
from zhiyuan.activities.models import Enrollment, Shift
from zhiyuan.core.api import ERRORS, InSchema
from zhiyuan.core.errors import NotFound
from zhiyuan.core.lists import list_operation
from zhiyuan.volunteers.selectors import volunteer_for

router = Router(tags=["enrollment"])


class EnrollmentCreateIn(InSchema):
    shift_id: int = Field(..., ge=1, le=2**63 - 1)
    position_id: int = Field(..., ge=1, le=2**63 - 1)
    note: str = Field("", max_length=200, description="报名留言")


class EnrollmentCancelIn(InSchema):
    reason: str = Field("", max_length=200)


class EnrollmentDecisionIn(InSchema):
    decision: Literal["accept", "reject"]
    reason: str = Field("", max_length=200, description="不录用时必填")


class ActivityEnrollmentOut(Schema):
    id: int
    activity_id: int
    activity_title: str
    shift_id: int
    position_id: int
    position_name: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    cancel_deadline: dt.datetime
    note: str
    reason: str


class ActivityEnrollmentRow(Schema):
    id: int
    volunteer_no: str
    name: str
    shift_id: int
    position_id: int
    position_name: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    note: str
    reason: str


class EnrollmentReasonOut(Schema):
    code: str
    message: str


class EnrollmentPositionOut(Schema):
    slot_id: int
    position_id: int
    position_name: str
    capacity: int
    accepted: int
    waitlisted: int
    eligible: bool
    reasons: list[EnrollmentReasonOut]
    enrollment_id: int | None


class EnrollmentEligibilityOut(Schema):
    activity_id: int
    shift_id: int
    positions: list[EnrollmentPositionOut]


class EnrollmentEligibilityParams(Schema):
    shift_id: int = Field(..., ge=1, le=2**63 - 1)


def enrollment_out(e: Enrollment) -> dict:
    return {
        "id": e.pk,
        "activity_id": e.activity_id,
        "activity_title": e.activity.title,
        "shift_id": e.shift_id,
        "position_id": e.slot.position_id,
        "position_name": e.slot.position.name,
        "status": e.status,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "applied_at": e.applied_at,
        "decided_at": e.decided_at,
        "cancel_deadline": svc.cancel_deadline(e, e.activity),
        "note": e.note,
        "reason": e.reason,
    }


def activity_row(e: Enrollment) -> dict:
    return {
        "id": e.pk,
        "volunteer_no": e.volunteer.volunteer_no,
        "name": e.volunteer.name,
        "shift_id": e.shift_id,
        "position_id": e.slot.position_id,
        "position_name": e.slot.position.name,
        "status": e.status,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "applied_at": e.applied_at,
        "decided_at": e.decided_at,
        "note": e.note,
        "reason": e.reason,
    }


@router.post("/{activity_id}/enrollments", response={201: ActivityEnrollmentOut, **ERRORS}, operation_id="create_enrollment")
def create_enrollment(request, activity_id: int, payload: EnrollmentCreateIn):
    """Sign the signed-in volunteer up for a position on a shift: 201 with ``status`` accepted,
    waitlisted or pending (review); 409 with every reason when not eligible."""
    slot = svc.slot_for(activity_id=activity_id, shift_id=payload.shift_id, position_id=payload.position_id)
    e = svc.enroll(request.user, slot, payload.note)
    e.slot = slot
    e.activity = slot.shift.activity
    return 201, enrollment_out(e)


@router.post(
    "/enrollments/{enrollment_id}/cancel", response={200: ActivityEnrollmentOut, **ERRORS}, operation_id="cancel_enrollment"
)
def cancel_enrollment(request, enrollment_id: int, payload: EnrollmentCancelIn):
    """The volunteer withdraws their own sign-up (accepted: before the cancellation deadline)."""
    return enrollment_out(svc.cancel(request.user, enrollment_id, payload.reason))


@router.post(
    "/enrollments/{enrollment_id}/decision", response={200: ActivityEnrollmentOut, **ERRORS}, operation_id="decide_enrollment"
)
def decide_enrollment(request, enrollment_id: int, payload: EnrollmentDecisionIn):
    """The organizing organization's admin accepts (onto the waitlist when full) or rejects."""
    return enrollment_out(svc.decide(request.user, enrollment_id, payload.decision, payload.reason))


@router.get(
    "/{activity_id}/eligibility", response={200: EnrollmentEligibilityOut, **ERRORS}, operation_id="check_enrollment_eligibility"
)
def check_enrollment_eligibility(request, activity_id: int, params: Query[EnrollmentEligibilityParams]):
    """May the signed-in volunteer take each position of the shift, and if not, why."""
    volunteer = volunteer_for(request.user)
    shift = (
        Shift.objects.select_related("activity__organization", "activity__insurance_policy")
        .filter(pk=params.shift_id, activity_id=activity_id)
        .exclude(activity__status="draft")
        .first()
    )
    if shift is None:
        raise NotFound()
    answers = svc.eligibility_for_shift(volunteer, shift)
    return {
        "activity_id": shift.activity_id,
        "shift_id": shift.pk,
        "positions": [
            {
                "slot_id": s.pk,
                "position_id": s.position_id,
                "position_name": s.position.name,
                "capacity": s.capacity,
                "accepted": s.accepted,
                "waitlisted": s.waitlisted,
                "eligible": a.ok,
                "reasons": [{"code": r.code, "message": r.message} for r in a.reasons],
                "enrollment_id": a.enrollment_id,
            }
            for s, a in answers
        ],
    }


list_operation(
    router,
    "/enrollments/mine",
    MY_ENROLLMENTS,
    row=ActivityEnrollmentOut,
    operation_id="list_my_enrollments",
    to_row=enrollment_out,
    errors=ERRORS,
)


def _activity_context(request, activity_id: int) -> dict:
    return {"activity": activity_get_for_enrollments(request.user, activity_id)}


list_operation(
    router,
    "/{activity_id}/enrollments",
    ACTIVITY_ENROLLMENTS,
    row=ActivityEnrollmentRow,
    operation_id="list_activity_enrollments",
    to_row=activity_row,
    errors=ERRORS,
    path_params={"activity_id": int},
    context=_activity_context,
)

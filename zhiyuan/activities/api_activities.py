"""/api/v1/activities/manage — activities, the organizer's side (ACT-2): the list of the
activities the caller organizes (or supervises), create and edit with positions and a schedule,
publish, close and reopen recruitment, cancel, finish. Thin: parse → one service → schema."""

import datetime
from decimal import Decimal

from ninja import Router, Schema
from pydantic import Field

from zhiyuan.accounts.scopes import MANAGE
from zhiyuan.activities import services
from zhiyuan.activities.lists import ACTIVITIES
from zhiyuan.activities.models import Activity
from zhiyuan.activities.schedule import Recurrence
from zhiyuan.core.api import ERRORS, ErrorOut, InSchema, IsoDate, IsoDateTime
from zhiyuan.core.exports import export_operation
from zhiyuan.core.lists import list_operation

router = Router(tags=["activities-manage"])
ERRS = {**ERRORS, 422: ErrorOut}
ID = Field(..., ge=1, le=2**63 - 1)


class PositionIn(InSchema):
    id: int | None = Field(None, ge=1, le=2**63 - 1, description="an existing position (edit); none = new")
    name: str = Field(..., max_length=50)
    duties: str = Field("", max_length=1000)
    slots: int = Field(..., ge=1, le=10_000, description="places per shift")
    skills: list[str] = Field([], max_length=10, description="volunteers skill codes")
    min_age: int | None = Field(None, ge=0, le=120)
    max_age: int | None = Field(None, ge=0, le=120)
    minors_allowed: bool = False
    dangerous: bool = Field(False, description="dangerous work: minors are never allowed")
    insurance_required: bool = False
    required_course_ids: list[int] = Field([], max_length=10)
    required_qualification_ids: list[int] = Field([], max_length=10)


class ShiftIn(InSchema):
    starts_at: IsoDateTime
    ends_at: IsoDateTime


class RecurrenceIn(InSchema):
    weekdays: list[int] = Field(..., min_length=1, max_length=7, description="0 = Monday … 6 = Sunday")
    start: str = Field(..., max_length=5, description="HH:MM")
    end: str = Field(..., max_length=5, description="HH:MM, same day")
    from_date: IsoDate
    until: IsoDate
    exceptions: list[IsoDate] = Field([], max_length=366, description="dates left out")


class _ActivityFields(InSchema):
    title: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=32)
    content: str | None = Field(None, max_length=5000)
    conditions: str | None = Field(None, max_length=2000)
    signup_method: str | None = Field(None, max_length=200)
    risks: str | None = Field(None, max_length=2000)
    safeguards: str | None = Field(None, max_length=2000)
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    geofence_m: int | None = Field(None, ge=10, le=10_000)
    visibility: str | None = Field(None, description="public | members")
    enrollment_mode: str | None = Field(None, description="auto | review")
    cancel_deadline_hours: int | None = Field(None, ge=0, le=720)
    region_code: str | None = Field(None, max_length=12)
    project_id: int | None = Field(None, ge=1, le=2**63 - 1)
    insurance_policy_id: int | None = Field(None, ge=1, le=2**63 - 1)
    shifts: list[ShiftIn] | None = Field(None, max_length=366, description="explicit shifts (one = a single event)")
    recurrence: RecurrenceIn | None = Field(None, description="a weekly series instead of shifts")
    positions: list[PositionIn] | None = Field(None, max_length=20, description="the whole list of positions")


class ActivityCreateIn(_ActivityFields):
    organization_id: int = ID
    title: str = Field(..., max_length=100)
    category: str = Field(..., max_length=32)


class ActivityUpdateIn(_ActivityFields):
    """Only the fields sent change; ``positions`` sent is the whole new list; ``shifts`` or
    ``recurrence`` sent replaces the schedule."""


class PositionOut(Schema):
    id: int
    name: str
    duties: str
    slots: int
    skills: list[str]
    min_age: int | None
    max_age: int | None
    minors_allowed: bool
    dangerous: bool
    insurance_required: bool
    required_course_ids: list[int]
    required_qualification_ids: list[int]


class SlotOut(Schema):
    position_id: int
    capacity: int
    accepted: int
    pending: int
    waitlisted: int


class ShiftOut(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    cancelled: bool
    slots: list[SlotOut]


class ActivityRowOut(Schema):
    id: int
    title: str
    organization_id: int
    organization_name: str
    region_code: str
    category: str
    status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    recurring: bool
    address: str
    slots_total: int
    slots_open: int


class ActivityOut(ActivityRowOut):
    project_id: int | None
    content: str
    conditions: str
    signup_method: str
    risks: str
    safeguards: str
    contact_name: str
    contact_phone: str
    latitude: Decimal | None
    longitude: Decimal | None
    geofence_m: int
    visibility: str
    enrollment_mode: str
    cancel_deadline_hours: int
    insurance_policy_id: int | None
    recurrence: dict
    published_at: datetime.datetime | None
    positions: list[PositionOut]
    shifts: list[ShiftOut]


class ActivityCancelIn(InSchema):
    reason: str = Field(..., max_length=200, description="those enrolled are told")


def activity_row(a: Activity) -> dict:
    return {
        "id": a.pk,
        "title": a.title,
        "organization_id": a.organization_id,
        "organization_name": a.organization.name,
        "region_code": a.region_code,
        "category": a.category,
        "status": a.status,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "recurring": bool(a.recurrence),
        "address": a.address,
        "slots_total": a.slots_total,
        "slots_open": a.slots_open,
    }


def activity_out(a: Activity) -> dict:
    plan = services.activity_plan(activity=a)
    return {
        **activity_row(a),
        **{
            k: getattr(a, k)
            for k in (
                "project_id",
                "content",
                "conditions",
                "signup_method",
                "risks",
                "safeguards",
                "contact_name",
                "contact_phone",
                "latitude",
                "longitude",
                "geofence_m",
                "visibility",
                "enrollment_mode",
                "cancel_deadline_hours",
                "insurance_policy_id",
                "recurrence",
                "published_at",
            )
        },
        "positions": [
            {
                **{
                    k: getattr(p, k)
                    for k in (
                        "id",
                        "name",
                        "duties",
                        "slots",
                        "skills",
                        "min_age",
                        "max_age",
                        "minors_allowed",
                        "dangerous",
                        "insurance_required",
                    )
                },
                "required_course_ids": [c.pk for c in p.required_courses.all()],
                "required_qualification_ids": [q.pk for q in p.required_qualifications.all()],
            }
            for p in plan.positions
        ],
        "shifts": [
            {
                "id": s.pk,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "cancelled": s.cancelled,
                "slots": [
                    {k: getattr(slot, k) for k in ("position_id", "capacity", "accepted", "pending", "waitlisted")}
                    for slot in s.slot_list
                ],
            }
            for s in plan.shifts
        ],
    }


def _input(payload, *, exclude=()) -> services.ActivityInput:
    data = payload.model_dump(exclude_unset=True, exclude=set(exclude))
    if "shifts" in data:
        data["shifts"] = None if data["shifts"] is None else [(s["starts_at"], s["ends_at"]) for s in data["shifts"]]
        if data["shifts"] is None:
            del data["shifts"]
    if "recurrence" in data:
        r = data.pop("recurrence")
        if r is not None:
            data["recurrence"] = Recurrence(weekdays=r["weekdays"], start=r["start"], end=r["end"], first=r["from_date"],
                                            until=r["until"], exceptions=r.get("exceptions", []))  # fmt: skip
    if "positions" in data:
        data["positions"] = [services.PositionInput(**p) for p in (data["positions"] or [])]
    return services.ActivityInput(**data)


list_operation(router, "", ACTIVITIES, row=ActivityRowOut, operation_id="list_managed_activities", to_row=activity_row,
               errors=ERRS)  # fmt: skip
export_operation(router, "/export.xlsx", ACTIVITIES, operation_id="export_activities", errors=ERRS)


@router.post("", response={201: ActivityOut, **ERRS}, operation_id="create_activity")
def create_activity(request, payload: ActivityCreateIn):
    """A new draft activity of an organization the caller administers, with its positions and a
    schedule (``shifts`` or ``recurrence``); all or nothing. Audited."""
    activity = services.activity_create(
        actor=request.user, organization_id=payload.organization_id, values=_input(payload, exclude=("organization_id",)),
        request=request,
    )  # fmt: skip
    return 201, activity_out(activity)


@router.get("/{activity_id}", response={200: ActivityOut, **ERRS}, operation_id="get_managed_activity")
def get_managed_activity(request, activity_id: int):
    """One activity with its positions and shifts and each slot's counts (404 outside the scope)."""
    return activity_out(services.activity_get(actor=request.user, id=activity_id))


@router.patch("/{activity_id}", response={200: ActivityOut, **ERRS}, operation_id="update_activity")
def update_activity(request, activity_id: int, payload: ActivityUpdateIn):
    """Edit a draft, published or closed activity. 409 when a change would remove a shift or a
    position someone enrolled in, or make a slot smaller than its accepted enrollments."""
    activity = services.activity_get(actor=request.user, id=activity_id, action=MANAGE)
    activity = services.activity_update(actor=request.user, activity=activity, change=_input(payload), request=request)
    return activity_out(activity)


def _transition(fn):
    def operation(request, activity_id: int):
        activity = services.activity_get(actor=request.user, id=activity_id, action=MANAGE)
        return activity_out(fn(actor=request.user, activity=activity, request=request))

    return operation


for _path, _fn, _op, _doc in (
    ("publish", services.activity_publish, "publish_activity",
     "Publish the recruitment notice (422 naming each missing part: time, place with coordinates, content, "
     "conditions, positions, how to sign up, risks, safeguards, contact)."),
    ("close", services.activity_close_recruitment, "close_activity_recruitment", "Stop recruiting (停止招募)."),
    ("reopen", services.activity_reopen_recruitment, "reopen_activity_recruitment", "Recruit again (not after the end)."),
    ("finish", services.activity_finish, "finish_activity", "Mark a published or closed activity finished once begun."),
):  # fmt: skip
    _view = _transition(_fn)
    _view.__name__, _view.__doc__ = _op, _doc
    router.post(f"/{{activity_id}}/{_path}", response={200: ActivityOut, **ERRS}, operation_id=_op)(_view)


@router.post("/{activity_id}/cancel", response={200: ActivityOut, **ERRS}, operation_id="cancel_activity")
def cancel_activity(request, activity_id: int, payload: ActivityCancelIn):
    """Cancel a draft, published or closed activity with a reason."""
    activity = services.activity_get(actor=request.user, id=activity_id, action=MANAGE)
    return activity_out(services.activity_cancel(actor=request.user, activity=activity, reason=payload.reason, request=request))

"""/api/v1/activities — the activity square (ACT-2) and evaluation (ACT-6). Thin: parse → one
selector/service (``square.py``, ``evaluations.py``) → schema."""

import datetime as dt

from ninja import Router, Schema
from pydantic import Field

from zhiyuan.activities import evaluations
from zhiyuan.activities.square import SQUARE, signup_open, square_activity_detail
from zhiyuan.core.api import ERRORS, InSchema
from zhiyuan.core.audit import client_ip
from zhiyuan.core.lists import list_operation

router = Router(tags=["activities"])


class SquareCardOut(Schema):
    id: int
    title: str
    organization_id: int
    organization_name: str
    category: str
    category_label: str
    region_code: str
    region_name: str
    address: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    latitude: float | None
    longitude: float | None
    distance_m: int | None = Field(None, description="metres from (lat, lng) when they were given")
    slots_total: int
    slots_open: int
    visibility: str
    rating_average: float | None
    rating_count: int


def _float(v):
    return float(v) if v is not None else None


def card_out(a) -> dict:
    return {
        "id": a.pk, "title": a.title, "organization_id": a.organization_id, "organization_name": a.organization.name,
        "category": a.category, "category_label": a.category_label, "region_code": a.region_code,
        "region_name": a.region_name, "address": a.address, "starts_at": a.starts_at, "ends_at": a.ends_at,
        "latitude": _float(a.latitude), "longitude": _float(a.longitude),
        "distance_m": round(a.distance) if a.distance is not None else None,
        "slots_total": a.slots_total, "slots_open": a.slots_open, "visibility": a.visibility,
        "rating_average": a.rating_average, "rating_count": a.rating_count,
    }  # fmt: skip


# GET /square: published, open activities for anyone (members-only ones for members): keyset pages
# over the (status, starts_at, id) index, or nearest first inside a bounding box; no count.
list_operation(router, "/square", SQUARE, row=SquareCardOut, operation_id="list_square_activities",
               to_row=card_out, errors=ERRORS, auth=None)  # fmt: skip


class PublicPositionOut(Schema):
    id: int
    name: str
    duties: str
    slots_per_shift: int
    open_slots: int = Field(description="open slots over the listed shifts")
    skills: list[str]
    min_age: int | None
    max_age: int | None
    minors_allowed: bool
    dangerous: bool
    insurance_required: bool
    required_courses: list[str]
    required_qualifications: list[str]


class PublicShiftOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    cancelled: bool
    open_slots: int


class PublicActivityOut(SquareCardOut):
    status: str
    project_name: str | None
    content: str
    conditions: str
    signup_method: str
    risks: str
    safeguards: str
    contact_name: str
    contact_phone: str
    signup_open: bool
    positions: list[PublicPositionOut]
    shifts: list[PublicShiftOut] = Field(description="the next shifts not yet ended (at most 60)")


@router.get("/{activity_id}/public", response={200: PublicActivityOut, **ERRORS}, auth=None,
            operation_id="get_public_activity")  # fmt: skip
def get_public_activity(request, activity_id: int):
    """The recruitment notice of a published (or closed / finished) activity; 404 for drafts,
    cancelled activities and members-only activities of an organization one is not a member of."""
    d = square_activity_detail(actor=request.user, id=activity_id)
    a = d["activity"]
    a.distance = None
    return {
        **card_out(a),
        "status": a.status, "project_name": a.project.name if a.project_id else None, "content": a.content,
        "conditions": a.conditions, "signup_method": a.signup_method, "risks": a.risks, "safeguards": a.safeguards,
        "contact_name": a.contact_name, "contact_phone": a.contact_phone, "signup_open": signup_open(a),
        "positions": [
            {"id": p.pk, "name": p.name, "duties": p.duties, "slots_per_shift": p.slots, "open_slots": p.open_slots,
             "skills": p.skills or [], "min_age": p.min_age, "max_age": p.max_age, "minors_allowed": p.minors_allowed,
             "dangerous": p.dangerous, "insurance_required": p.insurance_required,
             "required_courses": p.course_names, "required_qualifications": p.qualification_names}
            for p in d["positions"]
        ],
        "shifts": [
            {"id": s.pk, "starts_at": s.starts_at, "ends_at": s.ends_at, "cancelled": s.cancelled, "open_slots": s.open_slots}
            for s in d["shifts"]
        ],
    }  # fmt: skip


# --- evaluation (ACT-6) -------------------------------------------------------------------------------


class RatingIn(InSchema):
    stars: int = Field(description="1–5")
    comment: str = Field("", max_length=500)


class RatingOut(Schema):
    activity_id: int
    volunteer_id: int
    stars: int
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime
    editable_until: dt.datetime


def rating_out(r) -> dict:
    return {
        "activity_id": r.activity_id, "volunteer_id": r.volunteer_id, "stars": r.stars, "comment": r.comment,
        "created_at": r.created_at, "updated_at": r.updated_at,
        "editable_until": r.created_at + dt.timedelta(days=evaluations.RATING_EDIT_DAYS),
    }  # fmt: skip


@router.put("/{activity_id}/my-rating", response={200: RatingOut, **ERRORS}, operation_id="rate_activity")
def rate_activity(request, activity_id: int, payload: RatingIn):
    """The signed-in volunteer rates an activity they served on (accepted, checked out, the shift
    over); again within 7 days edits it. 403 for someone who did not take part."""
    a = evaluations.activity_get_for_rating(actor=request.user, id=activity_id)
    r = evaluations.activity_rating_save(actor=request.user, activity=a, stars=payload.stars, comment=payload.comment)
    return rating_out(r)


class ParticipantOut(Schema):
    volunteer_id: int
    name: str
    shifts: int
    minutes: int
    rating: RatingOut | None


@router.get(
    "/{activity_id}/participants", response={200: list[ParticipantOut], **ERRORS}, operation_id="list_activity_participants"
)
def list_activity_participants(request, activity_id: int):
    """The organizer's list of the volunteers who served (one entry each) with their rating.
    404 outside the scope, 403 for a region manager (only the organizer rates)."""
    a = evaluations.activity_get_for_organizer(actor=request.user, id=activity_id)
    return [
        {"volunteer_id": p.volunteer_id, "name": p.name, "shifts": p.shifts, "minutes": p.minutes,
         "rating": rating_out(p.rating) if p.rating else None}
        for p in evaluations.participants(activity=a)
    ]  # fmt: skip


@router.put(
    "/{activity_id}/participants/{volunteer_id}/rating", response={200: RatingOut, **ERRORS}, operation_id="rate_volunteer"
)
def rate_volunteer(request, activity_id: int, volunteer_id: int, payload: RatingIn):
    """The organizer rates one volunteer who served (1–5 stars and a comment); editable 7 days."""
    a = evaluations.activity_get_for_organizer(actor=request.user, id=activity_id)
    r = evaluations.volunteer_rating_save(
        actor=request.user, activity=a, volunteer_id=volunteer_id, stars=payload.stars, comment=payload.comment
    )
    return rating_out(r)


class FeedbackIn(InSchema):
    stars: int = Field(description="1–5")
    comment: str = Field("", max_length=500)
    contact: str = Field("", max_length=50)
    website: str = Field("", max_length=200, description="leave empty (a field for bots)")


class FeedbackOut(Schema):
    id: int
    stars: int
    comment: str
    contact: str
    created_at: dt.datetime


class AcceptedOut(Schema):
    accepted: bool


@router.post(
    "/{activity_id}/feedback", response={201: AcceptedOut, **ERRORS}, auth=None, operation_id="create_beneficiary_feedback"
)
def create_beneficiary_feedback(request, activity_id: int, payload: FeedbackIn):
    """A served person's feedback, without an account: from the activity's start until 30 days
    after its end (409 otherwise), at most 10 per hour from one address (429)."""
    a = evaluations.feedback_activity_get(id=activity_id)
    evaluations.beneficiary_feedback_create(
        activity=a, stars=payload.stars, comment=payload.comment, contact=payload.contact,
        honeypot=payload.website, ip=client_ip(request),
    )  # fmt: skip
    return 201, {"accepted": True}


@router.get("/{activity_id}/feedback", response={200: list[FeedbackOut], **ERRORS}, operation_id="list_beneficiary_feedback")
def list_beneficiary_feedback(request, activity_id: int):
    """The latest 50 feedback entries, for the organizer."""
    a = evaluations.activity_get_for_organizer(actor=request.user, id=activity_id)
    return [
        {"id": f.pk, "stars": f.stars, "comment": f.comment, "contact": f.contact, "created_at": f.created_at}
        for f in evaluations.feedback_recent(activity=a)
    ]

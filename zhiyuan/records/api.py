"""/api/v1/records — hours, the confirmation queue, honour hours and corrections (REC-1 … REC-4).
Thin: parse → one service/selector → schema (STYLE.md); lists through ``core.lists``."""

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Router
from ninja.files import UploadedFile

from zhiyuan.core.api import ERRORS, IsoDateTime, binary_download
from zhiyuan.core.lists import list_operation
from zhiyuan.records import selectors, services
from zhiyuan.records.lists import MY_CORRECTIONS, MY_ENTRIES, ORG_CORRECTIONS, ORG_ENTRIES, ORG_HONOUR, QUEUE
from zhiyuan.records.permissions import organization_get_for_records
from zhiyuan.records.schemas import (
    AcceptIn,
    BulkIn,
    BulkOut,
    ConfirmIn,
    CorrectIn,
    DecisionIn,
    EntryOut,
    HonourIn,
    HonourOut,
    HourCorrectionOut,
    HoursReasonIn,
    HoursSummaryOut,
    QueueRowOut,
)

router = Router(tags=["records"])


def _aware(value):
    """A time without an offset is Asia/Shanghai (the deployment's time zone)."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def entry_out(e) -> dict:
    return {
        "id": e.pk,
        "volunteer_id": e.volunteer_id,
        "organization_id": e.organization_id,
        "activity_id": e.activity_id,
        "activity_title": e.activity.title if e.activity_id else "",
        "attendance_id": e.attendance_id,
        "kind": e.kind,
        "action": e.action,
        "minutes": e.minutes,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "service_date": e.service_date,
        "refers_to_id": e.refers_to_id,
        "correction_id": e.correction_id,
        "honour_grant_id": e.honour_grant_id,
        "reason": e.reason,
        "recorded_by_id": e.recorded_by_id,
        "approved_by_id": e.approved_by_id,
        "created_at": e.created_at,
    }


def queue_row(a) -> dict:
    return {
        "attendance_id": a.pk,
        "volunteer_id": a.volunteer_id,
        "volunteer_name": a.volunteer.name,
        "volunteer_no": a.volunteer.volunteer_no,
        "activity_id": a.activity_id,
        "activity_title": a.activity.title,
        "shift_starts_at": a.shift.starts_at,
        "shift_ends_at": a.shift.ends_at,
        "check_in_at": a.check_in_at,
        "check_out_at": a.check_out_at,
        "flags": list(a.flags or []),
        "needs_decision": services.needs_decision(a),
    }


def honour_out(g) -> dict:
    return {
        "id": g.pk,
        "organization_id": g.organization_id,
        "volunteer_id": g.volunteer_id,
        "volunteer_name": g.volunteer.name,
        "activity_id": g.activity_id,
        "minutes": g.minutes,
        "service_date": g.service_date,
        "reason": g.reason,
        "status": g.status,
        "proposed_by_id": g.proposed_by_id,
        "decided_by_id": g.decided_by_id,
        "decision_note": g.decision_note,
    }


def correction_out(c) -> dict:
    return {
        "id": c.pk,
        "volunteer_id": c.volunteer_id,
        "organization_id": c.organization_id,
        "activity_id": c.activity_id,
        "entry_id": c.entry_id,
        "kind": c.kind,
        "claimed_minutes": c.claimed_minutes,
        "claimed_starts_at": c.claimed_starts_at,
        "claimed_ends_at": c.claimed_ends_at,
        "explanation": c.explanation,
        "has_evidence": c.has_evidence,
        "status": c.status,
        "decision_note": c.decision_note,
        "created_at": c.created_at,
    }


# --- the volunteer ----------------------------------------------------------------------------------


@router.get("/me/summary", response={200: HoursSummaryOut, **ERRORS}, operation_id="get_my_hours")
def get_my_hours(request):
    """The signed-in volunteer's kept totals in minutes: lifetime, per year, per organization
    (from ``HourTotal``, never summed per request). 404 for a user who is not a volunteer."""
    from zhiyuan.volunteers.selectors import volunteer_for

    v = volunteer_for(request.user)
    s = selectors.hours_summary(volunteer_id=v.pk)
    return {
        "volunteer_id": v.pk,
        "lifetime": {"credit_minutes": s.lifetime.credit, "honour_minutes": s.lifetime.honour},
        "years": [{"year": y, "credit_minutes": t.credit, "honour_minutes": t.honour} for y, t in s.years],
        "organizations": [
            {"organization_id": o.pk, "organization_name": o.name, "credit_minutes": t.credit, "honour_minutes": t.honour}
            for o, t in s.organizations
        ],
    }


# GET /me/entries: the volunteer's ledger entries, newest service date first (``year``, ``kind``)
list_operation(router, "/me/entries", MY_ENTRIES, row=EntryOut, operation_id="list_my_hour_entries", to_row=entry_out,
               errors=ERRORS)  # fmt: skip
list_operation(router, "/me/corrections", MY_CORRECTIONS, row=HourCorrectionOut, operation_id="list_my_corrections",
               to_row=correction_out, errors=ERRORS)  # fmt: skip


@router.post("/corrections", response={201: HourCorrectionOut, **ERRORS}, operation_id="create_correction")
def create_correction(
    request,
    kind: Form[str],
    explanation: Form[str],
    entry_id: Form[int | None] = None,
    activity_id: Form[int | None] = None,
    claimed_starts_at: Form[IsoDateTime | None] = None,
    claimed_ends_at: Form[IsoDateTime | None] = None,
    claimed_minutes: Form[int | None] = None,
    file: File[UploadedFile | None] = None,
):
    """File a correction request (multipart). ``kind`` ``error``: ``entry_id`` of one of your
    entries; ``missing``: ``activity_id`` of an activity you enrolled in and the claimed
    interval. Optional evidence ``file`` (PDF, PNG, JPEG), kept encrypted. Audited."""
    req = services.correction_file(
        actor=request.user,
        kind=kind,
        explanation=explanation,
        entry_id=entry_id,
        activity_id=activity_id,
        claimed_starts_at=_aware(claimed_starts_at),
        claimed_ends_at=_aware(claimed_ends_at),
        claimed_minutes=claimed_minutes,
        evidence=file,
        request=request,
    )
    return 201, correction_out(req)


@router.get(
    "/corrections/{correction_id}/evidence",
    response=ERRORS,
    operation_id="download_correction_evidence",
    openapi_extra=binary_download("application/octet-stream"),
)
def download_correction_evidence(request, correction_id: int):
    """The evidence file, for the volunteer who filed it and the deciding organization's admins.
    Every download is audited."""
    req = services.correction_get(actor=request.user, id=correction_id)
    body = services.correction_evidence_read(actor=request.user, correction=req, request=request)
    response = HttpResponse(body, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="evidence-{req.pk}"'
    return response


# --- the organizing body ------------------------------------------------------------------------------


def _org_context(request, org_id: int) -> dict:
    """404 when the organization is invisible, 403 when the caller is not its admin (REC-2)."""
    return {"org": organization_get_for_records(actor=request.user, id=org_id)}


list_operation(router, "/organizations/{org_id}/queue", QUEUE, row=QueueRowOut, operation_id="list_hours_queue",
               to_row=queue_row, errors=ERRORS, path_params={"org_id": int}, context=_org_context)  # fmt: skip
list_operation(router, "/organizations/{org_id}/entries", ORG_ENTRIES, row=EntryOut,
               operation_id="list_organization_hour_entries", to_row=entry_out, errors=ERRORS,
               path_params={"org_id": int}, context=_org_context)  # fmt: skip
list_operation(router, "/organizations/{org_id}/honour", ORG_HONOUR, row=HonourOut, operation_id="list_honour_grants",
               to_row=honour_out, errors=ERRORS, path_params={"org_id": int}, context=_org_context)  # fmt: skip
list_operation(router, "/organizations/{org_id}/corrections", ORG_CORRECTIONS, row=HourCorrectionOut,
               operation_id="list_organization_corrections", to_row=correction_out, errors=ERRORS,
               path_params={"org_id": int}, context=_org_context)  # fmt: skip


@router.post("/attendances/{attendance_id}/confirm", response={201: EntryOut, **ERRORS}, operation_id="confirm_attendance_hours")
def confirm_attendance_hours(request, attendance_id: int, payload: ConfirmIn):
    """Confirm one attendance's hours (the organizing organization's admins only). A flagged
    attendance, or one without check-out, needs ``ends_at`` and a ``reason``. 409 ``overlap``
    names the activity already credited at that time; 409 ``needs_decision`` lists the flags."""
    att = selectors.attendance_get_for_decision(actor=request.user, id=attendance_id)
    entry = services.attendance_confirm(
        actor=request.user, attendance=att, ends_at=_aware(payload.ends_at), reason=payload.reason, request=request
    )
    return 201, entry_out(entry)


@router.post("/attendances/{attendance_id}/void", response={201: EntryOut, **ERRORS}, operation_id="void_attendance_hours")
def void_attendance_hours(request, attendance_id: int, payload: HoursReasonIn):
    """Decide that an attendance earns no hours (a reason is required; a 0-minute void entry)."""
    att = selectors.attendance_get_for_decision(actor=request.user, id=attendance_id)
    return 201, entry_out(services.attendance_void(actor=request.user, attendance=att, reason=payload.reason, request=request))


@router.post("/organizations/{org_id}/queue/confirm", response={200: BulkOut, **ERRORS}, operation_id="confirm_hours_bulk")
def confirm_hours_bulk(request, org_id: int, payload: BulkIn):
    """Confirm many attendances at once: those that need no decision are confirmed, each other
    one is returned in ``skipped`` with its code and reason."""
    org = organization_get_for_records(actor=request.user, id=org_id)
    result = services.attendances_confirm_bulk(actor=request.user, organization=org, ids=payload.attendance_ids, request=request)
    return {"confirmed": result.confirmed, "skipped": result.skipped}


@router.post("/entries/{entry_id}/void", response={201: EntryOut, **ERRORS}, operation_id="void_hour_entry")
def void_hour_entry(request, entry_id: int, payload: HoursReasonIn):
    """Void a confirmation: a compensating entry of minus its present minutes."""
    entry = services.entry_get_for_change(actor=request.user, id=entry_id)
    return 201, entry_out(services.entry_void(actor=request.user, entry=entry, reason=payload.reason, request=request))


@router.post("/entries/{entry_id}/correct", response={201: EntryOut, **ERRORS}, operation_id="correct_hour_entry")
def correct_hour_entry(request, entry_id: int, payload: CorrectIn):
    """Correct a confirmation: a compensating entry of the difference (credit: a new interval,
    overlap-checked; honour: new ``minutes``)."""
    entry = services.entry_get_for_change(actor=request.user, id=entry_id)
    new = services.entry_correct(
        actor=request.user, entry=entry, reason=payload.reason, starts_at=_aware(payload.starts_at),
        ends_at=_aware(payload.ends_at), minutes=payload.minutes, request=request,
    )  # fmt: skip
    return 201, entry_out(new)


@router.post("/organizations/{org_id}/honour", response={201: HonourOut, **ERRORS}, operation_id="propose_honour_hours")
def propose_honour_hours(request, org_id: int, payload: HonourIn):
    """Propose honour hours for a member or participant; written to the ledger only when a second
    person approves."""
    org = organization_get_for_records(actor=request.user, id=org_id)
    grant = services.honour_propose(actor=request.user, organization=org, request=request, **payload.model_dump())
    return 201, honour_out(grant)


@router.post("/honour/{grant_id}/approve", response={200: HonourOut, **ERRORS}, operation_id="approve_honour_hours")
def approve_honour_hours(request, grant_id: int, payload: DecisionIn):
    """Approve (another admin of the organization, or a region manager of its region; never the
    proposer): the ledger entry is written."""
    grant = services.honour_get_for_decision(actor=request.user, id=grant_id)
    return honour_out(services.honour_decide(actor=request.user, grant=grant, approve=True, note=payload.note, request=request))


@router.post("/honour/{grant_id}/reject", response={200: HonourOut, **ERRORS}, operation_id="reject_honour_hours")
def reject_honour_hours(request, grant_id: int, payload: DecisionIn):
    """Reject with a reason (``note``)."""
    grant = services.honour_get_for_decision(actor=request.user, id=grant_id)
    return honour_out(services.honour_decide(actor=request.user, grant=grant, approve=False, note=payload.note, request=request))


@router.post("/corrections/{correction_id}/accept", response={201: EntryOut, **ERRORS}, operation_id="accept_correction")
def accept_correction(request, correction_id: int, payload: AcceptIn):
    """Accept a correction request: the compensating entry (an error: the verified interval or
    minutes; an omission: a new confirmation for the verified interval, default the claimed)."""
    req = services.correction_get_for_decision(actor=request.user, id=correction_id)
    entry = services.correction_accept(
        actor=request.user, correction=req, note=payload.note, starts_at=_aware(payload.starts_at),
        ends_at=_aware(payload.ends_at), minutes=payload.minutes, request=request,
    )  # fmt: skip
    return 201, entry_out(entry)


@router.post("/corrections/{correction_id}/reject", response={200: HourCorrectionOut, **ERRORS}, operation_id="reject_correction")
def reject_correction(request, correction_id: int, payload: HoursReasonIn):
    """Reject a correction request with a reason the volunteer reads."""
    req = services.correction_get_for_decision(actor=request.user, id=correction_id)
    return correction_out(services.correction_reject(actor=request.user, correction=req, reason=payload.reason, request=request))

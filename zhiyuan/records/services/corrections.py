"""Corrections 错误/缺漏 (REC-4; 民政部令第67号: volunteers may ask for errors and omissions to be
corrected, the organization verifies and fixes promptly).

The volunteer files a request with an explanation and, optionally, an evidence file (PDF, PNG or
JPEG, encrypted at rest like an insurance policy document). The organizing body accepts — an
error is fixed by a compensating ``correct`` entry on the entry named, an omission by a new
``confirm`` entry for the interval verified — or rejects with a reason. Nothing is edited in
place; every step is audited and the volunteer is told.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyuan.core import filecrypt
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.notifications import notify
from zhiyuan.core.text import has_control_chars, text_error
from zhiyuan.records.models import (
    EVIDENCE_PURPOSE,
    CorrectionKind,
    CorrectionRequest,
    CorrectionStatus,
    HourEntry,
)
from zhiyuan.records.permissions import is_org_admin, records_check
from zhiyuan.records.services.hours import INVALID, _reason, credit_confirm, entry_correct
from zhiyuan.records.services.ledger import ledger_lock

EVIDENCE_TYPES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
EXPLANATION_MAX = 2000


def _invalid(fields: dict) -> DomainError:
    return DomainError("invalid", INVALID, fields=fields, status=422)


def evidence_dir() -> Path:
    path = Path(settings.ZHIYUAN_PRIVATE_DIR) / "records"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _evidence_check(upload) -> tuple[str, str]:
    limit = settings.ZHIYUAN_RECORDS_EVIDENCE_MAX_MB << 20
    if upload.size > limit:
        raise DomainError(
            "too_large", _("证明材料不能超过%(n)sMB。") % {"n": settings.ZHIYUAN_RECORDS_EVIDENCE_MAX_MB}, status=413
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    content_type = next((t for magic, t in EVIDENCE_TYPES.items() if head.startswith(magic)), None)
    if content_type is None:
        raise _invalid({"file": [_("证明材料须为PDF、PNG或JPEG格式。")]})
    name = Path(str(getattr(upload, "name", "") or "evidence")).name[-100:]
    return content_type, ("evidence" if has_control_chars(name) else name)


def _id(value) -> int:
    """An id from a form or an API field: 0 (matches nothing) unless a valid positive id."""
    try:
        value = int(value or 0)
    except (TypeError, ValueError):
        return 0
    return value if 0 < value < 2**63 else 0


def correction_file(
    *,
    actor,
    kind: str,
    explanation: str,
    entry_id=None,
    activity_id=None,
    claimed_starts_at=None,
    claimed_ends_at=None,
    claimed_minutes=None,
    evidence=None,
    request=None,
) -> CorrectionRequest:
    """The volunteer asks. ``error``: names one of their own entries (``entry_id``); ``missing``:
    names an activity they enrolled in and the interval they served (``claimed_starts_at`` /
    ``claimed_ends_at``). The request goes to the organizing body of that activity."""
    from zhiyuan.activities.models import Activity, Enrollment
    from zhiyuan.volunteers.selectors import volunteer_for

    volunteer = volunteer_for(actor)
    errors: dict = {}
    text = str(explanation or "").strip()
    problem = text_error(text, limit=EXPLANATION_MAX, multiline=True) if text else None
    if not text:
        errors["explanation"] = [_("请说明需要更正的内容。")]
    elif problem:
        errors["explanation"] = [problem]
    values: dict = {}
    if kind == CorrectionKind.ERROR:
        entry = HourEntry.objects.filter(pk=_id(entry_id), volunteer=volunteer).select_related("activity").first()
        if entry is None:
            errors["entry_id"] = [_("请选择要更正的时长记录。")]
        else:
            root_id = entry.refers_to_id or entry.pk
            values = {
                "entry_id": root_id,
                "organization_id": entry.organization_id,
                "region_code": entry.region_code,
                "activity_id": entry.activity_id,
            }
        if claimed_minutes is not None and not 0 <= int(claimed_minutes) <= 24 * 60:  # an int from the form/API
            errors["claimed_minutes"] = [_("分钟数须为0至1440。")]
    elif kind == CorrectionKind.MISSING:
        activity = Activity.objects.filter(pk=_id(activity_id)).first()
        if activity is None or not Enrollment.objects.filter(volunteer=volunteer, activity=activity).exists():
            errors["activity_id"] = [_("请选择您报名参加过的活动。")]
        else:
            values = {
                "organization_id": activity.organization_id,
                "region_code": activity.region_code,
                "activity_id": activity.pk,
            }
        if claimed_starts_at is None or claimed_ends_at is None:
            errors["claimed_ends_at"] = [_("请填写实际服务的开始和结束时间。")]
        elif claimed_ends_at <= claimed_starts_at:
            errors["claimed_ends_at"] = [_("结束时间须晚于开始时间。")]
        elif claimed_ends_at > timezone.now():
            errors["claimed_ends_at"] = [_("结束时间不能晚于当前时间。")]
    else:
        errors["kind"] = [_("请选择更正类型：记录错误或记录缺漏。")]
    content_type = name = ""
    if evidence is not None and getattr(evidence, "size", 0):
        try:
            content_type, name = _evidence_check(evidence)
        except DomainError as exc:
            if exc.status != 422:
                raise
            errors.update(exc.fields)
    if errors:
        raise _invalid(errors)
    path = None
    key = ""
    if content_type:
        path = evidence_dir() / f"{uuid.uuid4().hex}.bin"
        key = filecrypt.encrypt_file(
            evidence, path, purpose=EVIDENCE_PURPOSE, max_bytes=settings.ZHIYUAN_RECORDS_EVIDENCE_MAX_MB << 20
        )
    try:
        with transaction.atomic():
            req = CorrectionRequest.objects.create(
                volunteer=volunteer,
                kind=kind,
                explanation=text,
                claimed_minutes=claimed_minutes if kind == CorrectionKind.ERROR else None,
                claimed_starts_at=claimed_starts_at if kind == CorrectionKind.MISSING else None,
                claimed_ends_at=claimed_ends_at if kind == CorrectionKind.MISSING else None,
                evidence_path=path.name if path else "",
                evidence_key_sealed=key,
                evidence_name=name,
                evidence_type=content_type,
                **values,
            )
            audit_record(
                actor=actor, action="records.correction.file", obj=req, request=request,
                detail={"kind": kind, "entry": req.entry_id, "activity": req.activity_id, "evidence": bool(path)},
            )  # fmt: skip
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return req


def correction_get(*, actor, id) -> CorrectionRequest:
    """The volunteer's own request, or one of an organization the actor administers (or a region
    manager's inside their region); 404 otherwise."""
    from zhiyuan.accounts.scopes import get_for

    return get_for(actor, CorrectionRequest.objects.select_related("activity", "volunteer"), id)


def correction_get_for_decision(*, actor, id) -> CorrectionRequest:
    req = correction_get(actor=actor, id=id)
    records_check(actor, req.organization_id)
    return req


def _notify(req: CorrectionRequest, *, title, body) -> None:
    from django.urls import reverse

    from zhiyuan.volunteers.models import Volunteer

    user = Volunteer.objects.select_related("user").get(pk=req.volunteer_id).user
    notify(
        user=user, kind="records.correction", title=title, body=body, url=reverse("records:my_corrections"),
        dedupe_key=f"records.correction.{req.pk}.{req.status}",
    )  # fmt: skip


def _pending(req: CorrectionRequest) -> CorrectionRequest:
    req = CorrectionRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != CorrectionStatus.PENDING:
        raise Conflict("decided", _("该更正申请已处理。"))
    return req


@transaction.atomic
def correction_accept(
    *, actor, correction: CorrectionRequest, note: str = "", starts_at=None, ends_at=None, minutes=None, request=None
) -> HourEntry:
    """Accept: a compensating entry. An error: ``entry_correct`` on the entry named (new interval
    for credit, new ``minutes`` for honour). An omission: a new credit confirmation for the
    verified interval (``starts_at``/``ends_at``, default the claimed ones), clipped to the
    activity's time, overlap-checked."""
    records_check(actor, correction.organization_id)
    note = _reason(note, required=False, name="note")
    ledger_lock(correction.volunteer_id)
    req = _pending(correction)
    reason = note or _("更正申请 #%(id)d") % {"id": req.pk}
    if req.kind == CorrectionKind.ERROR:
        entry = HourEntry.objects.get(pk=req.entry_id)
        new = entry_correct(
            actor=actor, entry=entry, reason=reason, starts_at=starts_at, ends_at=ends_at, minutes=minutes, correction=req,
            request=request,
        )  # fmt: skip
    else:
        from zhiyuan.activities.models import Activity

        activity = Activity.objects.get(pk=req.activity_id)
        start, end = starts_at or req.claimed_starts_at, ends_at or req.claimed_ends_at
        if end <= start:
            raise _invalid({"ends_at": [_("结束时间须晚于开始时间。")]})
        new, _credit = credit_confirm(
            actor=actor, correction=req, starts_at=start, ends_at=end, window_start=activity.starts_at,
            window_end=activity.ends_at, reason=reason,
        )  # fmt: skip
    CorrectionRequest.objects.filter(pk=req.pk).update(
        status=CorrectionStatus.ACCEPTED, decided_by=actor, decided_at=timezone.now(), decision_note=note
    )
    req.status = CorrectionStatus.ACCEPTED
    audit_record(
        actor=actor,
        action="records.correction.accept",
        obj=req,
        request=request,
        detail={"entry": new.pk, "minutes": new.minutes},
    )
    _notify(req, title=_("更正申请已通过"), body=_("您的时长更正申请已通过，记录已更正。"))
    correction.status = CorrectionStatus.ACCEPTED
    return new


@transaction.atomic
def correction_reject(*, actor, correction: CorrectionRequest, reason: str, request=None) -> CorrectionRequest:
    """Reject with a reason the volunteer reads."""
    records_check(actor, correction.organization_id)
    reason = _reason(reason, required=True)
    req = _pending(correction)
    CorrectionRequest.objects.filter(pk=req.pk).update(
        status=CorrectionStatus.REJECTED, decided_by=actor, decided_at=timezone.now(), decision_note=reason
    )
    req.refresh_from_db()
    audit_record(actor=actor, action="records.correction.reject", obj=req, request=request, detail={"reason": reason})
    _notify(req, title=_("更正申请未通过"), body=_("您的时长更正申请未通过：%(reason)s。") % {"reason": reason})
    return req


def correction_evidence_read(*, actor, correction: CorrectionRequest, request=None) -> bytes:
    """The decrypted evidence for the volunteer who filed it or an admin of the organization that
    decides it; audited."""
    import io

    if not (correction.volunteer.user_id == actor.pk or is_org_admin(actor, correction.organization_id)):
        raise PermissionDenied()
    if not correction.evidence_path:
        raise NotFound(_("该申请没有证明材料。"))
    buf = io.BytesIO()
    filecrypt.decrypt_file(
        evidence_dir() / Path(correction.evidence_path).name, buf, sealed_key=correction.evidence_key_sealed,
        purpose=EVIDENCE_PURPOSE,
    )  # fmt: skip
    audit_record(actor=actor, action="records.correction.evidence", obj=correction, request=request, detail={})
    return buf.getvalue()

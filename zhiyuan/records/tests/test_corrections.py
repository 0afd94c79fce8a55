"""REC-4: 错误/缺漏 — filed by the volunteer with evidence, decided by the organizing body with a
compensating entry or a reason; audited; the volunteer is told; the evidence is encrypted."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhiyuan.core.audit import AuditEntry
from zhiyuan.core.chain import chain_verify
from zhiyuan.core.errors import DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import Notification
from zhiyuan.records import services
from zhiyuan.records.models import CorrectionRequest, HourEntry, HourTotal
from zhiyuan.records.services.corrections import evidence_dir
from zhiyuan.records.tests.factories import attend, past_activity

pytestmark = pytest.mark.django_db
M = dt.timedelta(minutes=1)
PDF = b"%PDF-1.4\n%secret evidence 13800001111\n"


def pdf():
    return SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")


def lifetime(volunteer):
    t = HourTotal.objects.filter(volunteer=volunteer, year=0, organization__isnull=True).first()
    return t.credit_minutes if t else 0


def test_an_error_is_corrected_by_a_compensating_entry(admin, activity, volunteer):
    shift = activity.shifts.get()
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer, check_out=shift.ends_at - 60 * M))
    req = services.correction_file(
        actor=volunteer.user, kind="error", entry_id=entry.pk, explanation="我 12:00 才离开，有签到表为证。", evidence=pdf()
    )
    assert (req.organization_id, req.entry_id, req.status) == (activity.organization_id, entry.pk, "pending")
    # the evidence is encrypted at rest: the stored file never holds the plaintext
    stored = (evidence_dir() / req.evidence_path).read_bytes()
    assert PDF not in stored and b"13800001111" not in stored
    assert services.correction_evidence_read(actor=admin, correction=req) == PDF
    assert services.correction_evidence_read(actor=volunteer.user, correction=req) == PDF

    new = services.correction_accept(actor=admin, correction=req, ends_at=shift.ends_at, note="核对签到表属实")
    assert (new.action, new.minutes, new.refers_to_id, new.correction_id) == ("correct", 60, entry.pk, req.pk)
    assert lifetime(volunteer) == 180
    assert CorrectionRequest.objects.get(pk=req.pk).status == "accepted"
    assert HourEntry.objects.get(pk=entry.pk).minutes == 120  # nothing edited in place
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "records.correction.file",
        "records.correction.accept",
        "records.hours.correct",
        "records.correction.evidence",
    } <= actions
    assert Notification.objects.filter(user=volunteer.user, kind="records.correction").exists()
    assert chain_verify(HourEntry).ok


def test_an_omission_is_recorded_as_a_new_confirmation(org, admin, volunteer):
    activity = past_activity(org, start=14, end=17)
    shift = activity.shifts.get()
    attend(activity, volunteer, check_out=False)  # enrolled and came, but the record was lost
    req = services.correction_file(
        actor=volunteer.user, kind="missing", activity_id=activity.pk, explanation="忘记签到。",
        claimed_starts_at=shift.starts_at - 30 * M, claimed_ends_at=shift.ends_at,
    )  # fmt: skip
    entry = services.correction_accept(actor=admin, correction=req)
    assert (entry.action, entry.kind, entry.minutes, entry.correction_id) == ("confirm", "credit", 180, req.pk)
    assert entry.starts_at == shift.starts_at  # clipped to the activity's time
    assert lifetime(volunteer) == 180


def test_an_omission_may_not_overlap_existing_credit(org, admin, volunteer):
    first = past_activity(org, start=9, end=12, title="上午探访")
    services.attendance_confirm(actor=admin, attendance=attend(first, volunteer))
    second = past_activity(org, start=10, end=12)
    attend(second, volunteer, check_out=False)
    s = second.shifts.get()
    req = services.correction_file(
        actor=volunteer.user, kind="missing", activity_id=second.pk, explanation="漏记", claimed_starts_at=s.starts_at,
        claimed_ends_at=s.ends_at,
    )  # fmt: skip
    with pytest.raises(DomainError) as e:
        services.correction_accept(actor=admin, correction=req)
    assert e.value.code == "overlap" and "上午探访" in str(e.value.message)
    assert CorrectionRequest.objects.get(pk=req.pk).status == "pending"


def test_reject_needs_a_reason_and_tells_the_volunteer(admin, activity, volunteer):
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    req = services.correction_file(actor=volunteer.user, kind="error", entry_id=entry.pk, explanation="时长不对")
    with pytest.raises(DomainError) as e:
        services.correction_reject(actor=admin, correction=req, reason="")
    assert e.value.status == 422
    services.correction_reject(actor=admin, correction=req, reason="签到记录与照片一致")
    req.refresh_from_db()
    assert (req.status, req.decision_note) == ("rejected", "签到记录与照片一致")
    assert Notification.objects.filter(user=volunteer.user, title="更正申请未通过").exists()
    with pytest.raises(DomainError) as e:
        services.correction_accept(actor=admin, correction=req)
    assert e.value.code == "decided"
    assert HourEntry.objects.count() == 1


def test_bad_input_saves_nothing(admin, activity, volunteer, huiyang_volunteer):
    files_before = set(Path(evidence_dir()).glob("*.bin"))
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    cases = [
        ({"kind": "error", "entry_id": entry.pk, "explanation": ""}, "explanation"),
        ({"kind": "error", "entry_id": 999999, "explanation": "x"}, "entry_id"),
        ({"kind": "other", "explanation": "x"}, "kind"),
        ({"kind": "missing", "activity_id": activity.pk, "explanation": "x"}, "claimed_ends_at"),
        (
            {
                "kind": "missing",
                "activity_id": activity.pk,
                "explanation": "x",
                "claimed_starts_at": entry.ends_at,
                "claimed_ends_at": entry.starts_at,
            },
            "claimed_ends_at",
        ),
        ({"kind": "error", "entry_id": entry.pk, "explanation": "x", "evidence": SimpleUploadedFile("a.exe", b"MZ...")}, "file"),
    ]
    for data, field in cases:
        with pytest.raises(DomainError) as e:
            services.correction_file(actor=volunteer.user, **data)
        assert e.value.status == 422 and field in e.value.fields, (data, e.value.fields)
    # another volunteer cannot name this volunteer's entry, nor an activity they never enrolled in
    with pytest.raises(DomainError) as e:
        services.correction_file(actor=huiyang_volunteer.user, kind="error", entry_id=entry.pk, explanation="x")
    assert "entry_id" in e.value.fields
    with pytest.raises(DomainError) as e:
        services.correction_file(
            actor=huiyang_volunteer.user, kind="missing", activity_id=activity.pk, explanation="x",
            claimed_starts_at=entry.starts_at, claimed_ends_at=entry.ends_at,
        )  # fmt: skip
    assert "activity_id" in e.value.fields
    assert not CorrectionRequest.objects.exists()
    assert set(Path(evidence_dir()).glob("*.bin")) == files_before  # no file left behind


def test_evidence_too_large(settings, admin, activity, volunteer):
    settings.ZHIYUAN_RECORDS_EVIDENCE_MAX_MB = 0
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    with pytest.raises(DomainError) as e:
        services.correction_file(actor=volunteer.user, kind="error", entry_id=entry.pk, explanation="x", evidence=pdf())
    assert e.value.status == 413 and not CorrectionRequest.objects.exists()


def test_wrong_scope(admin, other_org_admin, county_manager, other_county_manager, activity, volunteer, huiyang_volunteer):
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    req = services.correction_file(actor=volunteer.user, kind="error", entry_id=entry.pk, explanation="x", evidence=pdf())
    # another organization's admin and another county's manager do not see it at all (404)
    for actor in (other_org_admin, other_county_manager, huiyang_volunteer.user):
        with pytest.raises(NotFound):
            services.correction_get(actor=actor, id=req.pk)
    # the county manager sees it (region) but does not decide it (谁组织谁记录): 403
    assert services.correction_get(actor=county_manager, id=req.pk) == req
    with pytest.raises(PermissionDenied):
        services.correction_get_for_decision(actor=county_manager, id=req.pk)
    with pytest.raises(PermissionDenied):
        services.correction_accept(actor=other_org_admin, correction=req)
    with pytest.raises(PermissionDenied):
        services.correction_evidence_read(actor=county_manager, correction=req)
    assert io.BytesIO(services.correction_evidence_read(actor=admin, correction=req)).read() == PDF


def test_the_evidence_key_is_registered_for_rotation():
    from zhiyuan.core.sealed import sealed_columns

    assert any(c.model_label == "records.CorrectionRequest" and c.column == "evidence_key_sealed" for c in sealed_columns())

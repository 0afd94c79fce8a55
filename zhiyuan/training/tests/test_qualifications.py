"""Qualifications: evidence encrypted at rest, reviewed by the organization or the region,
approved ones count in eligibility, rejected ones need a reason; all audited."""

import datetime as dt

import pytest
from django.conf import settings

from zhiyuan.core.errors import Conflict, DomainError, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.training.models import Qualification
from zhiyuan.training.services import qualifications as svc
from zhiyuan.training.services.eligibility import training_requirements_met
from zhiyuan.training.tests import factories as f


def _submit(volunteer, **values):
    data = {
        "qualification_type": f.qualification_type("first_aid"),
        "certificate_no": "HSH-2025-0001",
        "issuer": "惠州市红十字会",
        "issued_on": dt.date(2025, 5, 2),
        "evidence": f.evidence(),
    }
    data.update(values)
    return svc.qualification_submit(actor=volunteer.user, **data)


def test_evidence_is_encrypted_and_read_back_only_by_holder_and_reviewer(volunteer, county_manager, other_county_manager):
    q = _submit(volunteer)
    stored = (svc.evidence_dir() / q.evidence_file).read_bytes()
    assert b"%PDF" not in stored and b"test evidence" not in stored
    assert str(settings.ZHIYUAN_PRIVATE_DIR) in str(svc.evidence_dir())
    assert svc.qualification_evidence_read(actor=volunteer.user, qualification=q) == f.PDF
    assert svc.qualification_evidence_read(actor=county_manager, qualification=q) == f.PDF
    with pytest.raises(PermissionDenied):
        svc.qualification_evidence_read(actor=other_county_manager, qualification=q)
    assert AuditEntry.objects.filter(action="training.qualification.evidence").count() == 2


def test_bad_evidence_and_dates_are_refused(volunteer):
    with pytest.raises(DomainError) as e:
        _submit(volunteer, evidence=f.evidence(b"MZ\x90\x00 not a pdf", "x.exe"))
    assert "evidence" in e.value.fields
    with pytest.raises(DomainError) as e:
        _submit(volunteer, issued_on=dt.date.today() + dt.timedelta(days=1))
    assert "issued_on" in e.value.fields
    with pytest.raises(DomainError) as e:
        _submit(volunteer, expires_on=dt.date(2020, 1, 1))
    assert "expires_on" in e.value.fields
    with pytest.raises(DomainError):
        _submit(volunteer, evidence=f.evidence(b"%PDF-" + b"0" * (svc.MAX_EVIDENCE_BYTES + 1)))
    assert not Qualification.objects.exists()


def test_approved_counts_in_eligibility_until_the_type_validity(volunteer, county_manager):
    first_aid = f.qualification_type("first_aid")
    q = _submit(volunteer)
    on = dt.date(2026, 6, 1)
    assert training_requirements_met(volunteer=volunteer, requirements=[first_aid], on=on).reasons == ["未取得「急救员」资格"]
    svc.qualification_review(actor=county_manager, qualification=q, approve=True)
    assert training_requirements_met(volunteer=volunteer, requirements=[first_aid], on=on).ok
    assert training_requirements_met(volunteer=volunteer, requirements=[first_aid], on=dt.date(2028, 5, 2)).reasons == [
        "急救员证书已于2028-05-01过期"
    ]
    with pytest.raises(Conflict):
        svc.qualification_review(actor=county_manager, qualification=q, approve=False, reason="重复")
    assert AuditEntry.objects.filter(action="training.qualification.approve", object_id=str(q.pk)).exists()


def test_own_expiry_wins_over_the_type_validity(volunteer, county_manager):
    q = _submit(volunteer, expires_on=dt.date(2026, 5, 1))
    svc.qualification_review(actor=county_manager, qualification=q, approve=True)
    r = training_requirements_met(volunteer=volunteer, requirements=[f.qualification_type("first_aid")], on=dt.date(2026, 6, 1))
    assert r.reasons == ["急救员证书已于2026-05-01过期"]


def test_rejection_needs_a_reason_and_counts_for_nothing(volunteer, county_manager, other_county_manager):
    q = _submit(volunteer)
    with pytest.raises(PermissionDenied):
        svc.qualification_review(actor=other_county_manager, qualification=q, approve=True)
    with pytest.raises(DomainError):
        svc.qualification_review(actor=county_manager, qualification=q, approve=False, reason="")
    svc.qualification_review(actor=county_manager, qualification=q, approve=False, reason="照片不清晰")
    q.refresh_from_db()
    assert q.status == "rejected" and q.reason == "照片不清晰"
    first_aid = f.qualification_type("first_aid")
    assert not training_requirements_met(volunteer=volunteer, requirements=[first_aid], on=dt.date(2026, 1, 1)).ok


def test_the_named_organization_reviews_and_only_for_its_members(volunteer, huiyang_volunteer, county_manager):
    from zhiyuan.organizations.tests.factories import active_org, applicant, member

    admin = applicant("组织管理员")
    org = active_org(county_manager, actor=admin)
    member(org, volunteer, admin=admin)
    with pytest.raises(DomainError):
        _submit(huiyang_volunteer, organization=org)  # not a member
    q = _submit(volunteer, organization=org)
    other_admin = applicant("别的组织管理员")
    active_org(county_manager, actor=other_admin)
    with pytest.raises(PermissionDenied):
        svc.qualification_review(actor=other_admin, qualification=q, approve=True)
    svc.qualification_review(actor=admin, qualification=q, approve=True)
    assert set(Qualification.objects.visible_to(admin).values_list("pk", flat=True)) == {q.pk}
    assert set(Qualification.objects.visible_to(other_admin)) == set()

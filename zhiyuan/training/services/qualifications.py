"""Qualifications (条例 art. 16: legally required qualifications must be held): a volunteer uploads
evidence of an outside certificate (急救员, 心理援助 …); an admin of the organization they named or
a region manager of their region reviews it; an approved one becomes a ``TrainingCertificate``
of that qualification type, which eligibility reads like any other certificate.

The evidence file is encrypted at rest with its own key (``core.filecrypt``) under
``ZHIYUAN_PRIVATE_DIR/qualifications``; it has no URL of its own and is only ever streamed by
``qualification_evidence_read`` to the holder or a reviewer, each reading audited."""

import datetime as dt
import io
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import REVIEW, can
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, PermissionDenied
from zhiyuan.core.filecrypt import decrypt_file, encrypt_file
from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.training.models import (
    CertificateStatus,
    Qualification,
    QualificationStatus,
    QualificationType,
    TrainingCertificate,
)
from zhiyuan.training.services.common import add_months, clean_text, invalid
from zhiyuan.volunteers.minors import today_shanghai
from zhiyuan.volunteers.selectors import volunteer_for

EVIDENCE_PURPOSE = "training.qualification_evidence"
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# what the first bytes of an accepted file must be: PDF, JPEG, PNG
EVIDENCE_TYPES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def evidence_dir() -> Path:
    path = Path(settings.ZHIYUAN_PRIVATE_DIR) / "qualifications"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _evidence_type(head: bytes) -> str | None:
    for magic, content_type in EVIDENCE_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def qualification_submit(
    *,
    actor,
    qualification_type: QualificationType,
    certificate_no: str,
    issuer: str,
    issued_on: dt.date,
    evidence,
    expires_on: dt.date | None = None,
    organization: Organization | None = None,
) -> Qualification:
    """The signed-in volunteer submits an outside certificate with a PDF or photo as evidence.
    ``organization`` (optional) is an organization they are an active member of, whose admins
    then review it beside the region managers."""
    volunteer = volunteer_for(actor)
    errors: dict = {}
    certificate_no = clean_text(errors, "certificate_no", certificate_no, limit=40)
    issuer = clean_text(errors, "issuer", issuer, limit=100)
    if not qualification_type.active:
        errors["qualification_type_id"] = [_("该资格类型已停用。")]
    if not isinstance(issued_on, dt.date) or issued_on > today_shanghai():
        errors["issued_on"] = [_("发证日期不能晚于今天。")]
    elif expires_on is not None and expires_on < issued_on:
        errors["expires_on"] = [_("有效期不能早于发证日期。")]
    if (
        organization is not None
        and not Membership.objects.filter(
            organization=organization, volunteer=volunteer, status=Membership.Status.ACTIVE
        ).exists()
    ):
        errors["organization_id"] = [_("只能提交给您所在的组织审核。")]
    data = evidence.read(MAX_EVIDENCE_BYTES + 1) if evidence is not None else b""
    content_type = _evidence_type(data[:8])
    if not data:
        errors["evidence"] = [_("请上传证书照片或PDF。")]
    elif len(data) > MAX_EVIDENCE_BYTES:
        errors["evidence"] = [_("文件不能超过5MB。")]
    elif content_type is None:
        errors["evidence"] = [_("只接受PDF、JPEG或PNG文件。")]
    if errors:
        raise invalid(errors)
    name = (Path(getattr(evidence, "name", "") or "evidence").name)[:100]
    ref = uuid.uuid4().hex + ".zyf"
    path = evidence_dir() / ref
    sealed_key = encrypt_file(io.BytesIO(data), path, purpose=EVIDENCE_PURPOSE, max_bytes=MAX_EVIDENCE_BYTES)
    try:
        with transaction.atomic():
            q = Qualification.objects.create(
                volunteer=volunteer,
                qualification_type=qualification_type,
                certificate_no=certificate_no,
                issuer=issuer,
                issued_on=issued_on,
                expires_on=expires_on,
                evidence_name=name,
                evidence_type=content_type,
                evidence_file=ref,
                evidence_key_sealed=sealed_key,
                region_code=volunteer.region_code,
                organization=organization,
            )
            audit_record(actor=actor, action="training.qualification.submit", obj=q, detail={"type": qualification_type.code})
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return q


@transaction.atomic
def qualification_review(*, actor, qualification: Qualification, approve: bool, reason: str = "") -> Qualification:
    """Approve (the qualification becomes a certificate valid until its own expiry or the type's
    validity period from issue) or reject with a reason. Only a pending one; audited either way."""
    if not can(actor, qualification, REVIEW):
        raise PermissionDenied()
    q = Qualification.objects.select_for_update().get(pk=qualification.pk)
    if q.status != QualificationStatus.PENDING:
        raise Conflict("already_reviewed", _("该资格证明已审核。"))
    errors: dict = {}
    reason = clean_text(errors, "reason", reason, limit=200, required=not approve)
    if errors:
        raise invalid(errors)
    q.status = QualificationStatus.APPROVED if approve else QualificationStatus.REJECTED
    q.reason = reason
    q.reviewed_by = actor
    q.reviewed_at = timezone.now()
    q.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
    if approve:
        qtype = q.qualification_type
        expires_on = q.expires_on
        if expires_on is None and qtype.validity_months:
            expires_on = add_months(q.issued_on, qtype.validity_months) - dt.timedelta(days=1)
        TrainingCertificate.objects.create(
            certificate_no=f"ZG{q.issued_on:%Y}{q.pk:010d}",
            volunteer_id=q.volunteer_id,
            qualification_type=qtype,
            qualification=q,
            title=qtype.name,
            issuer=q.issuer,
            issued_on=q.issued_on,
            expires_on=expires_on,
            status=CertificateStatus.VALID,
            region_code=q.region_code,
            organization_id=q.organization_id,
        )
    audit_record(
        actor=actor,
        action="training.qualification.approve" if approve else "training.qualification.reject",
        obj=q,
        detail={"reason": reason} if reason else None,
    )
    return q


def qualification_evidence_read(*, actor, qualification: Qualification) -> bytes:
    """The evidence file's bytes for its holder or a reviewer (audited: it is personal data)."""
    own = getattr(qualification.volunteer, "user_id", None) == getattr(actor, "pk", None)
    if not own and not can(actor, qualification, REVIEW):
        raise PermissionDenied()
    buf = io.BytesIO()
    path = evidence_dir() / qualification.evidence_file
    if not path.is_file():
        raise DomainError("evidence_missing", _("证明材料文件缺失。"), status=404)
    decrypt_file(path, buf, sealed_key=qualification.evidence_key_sealed, purpose=EVIDENCE_PURPOSE)
    audit_record(actor=actor, action="training.qualification.evidence", obj=qualification)
    return buf.getvalue()

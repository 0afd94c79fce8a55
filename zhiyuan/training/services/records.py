"""Training records and certificates (SPEC TRN-2; 条例 art. 19: training is recorded truthfully)."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.organizations.models import Organization
from zhiyuan.training.models import (
    CertificateStatus,
    RecordSource,
    TrainingCertificate,
    TrainingCourse,
    TrainingRecord,
    TrainingSession,
)
from zhiyuan.training.services.common import add_months, invalid
from zhiyuan.volunteers.minors import today_shanghai
from zhiyuan.volunteers.models import Volunteer


def renewal_days() -> int:
    """How many days before expiry a holder is reminded to renew (setting, rule 6)."""
    return int(getattr(settings, "ZHIYUAN_TRAINING_RENEWAL_DAYS", 30))


def certificate_expiry(*, course: TrainingCourse, issued_on: dt.date) -> dt.date | None:
    months = course.validity_months or (course.qualification_type.validity_months if course.qualification_type_id else None)
    return add_months(issued_on, months) - dt.timedelta(days=1) if months else None


def record_create(
    *,
    actor,
    volunteer: Volunteer,
    course: TrainingCourse,
    source: str,
    completed_on: dt.date,
    hours: Decimal | None = None,
    score: int | None = None,
    session: TrainingSession | None = None,
    organization: Organization | None = None,
    issuer: str = "",
) -> TrainingRecord:
    """Write a completed training and issue its certificate (valid for the course's validity
    period). Called inside the caller's transaction by attendance, the quiz and the import."""
    if source not in RecordSource.values:
        raise ValueError(source)
    if completed_on > today_shanghai():
        raise invalid({"completed_on": [_("完成日期不能晚于今天。")]})
    if score is not None and not 0 <= score <= 100:
        raise invalid({"score": [_("成绩应在 0 到 100 之间。")]})
    with transaction.atomic():
        record = TrainingRecord.objects.create(
            volunteer=volunteer,
            course=course,
            source=source,
            session=session,
            completed_on=completed_on,
            hours=hours if hours is not None else course.hours,
            score=score,
            region_code=volunteer.region_code,
            organization=organization,
        )
        certificate_issue(record=record, issuer=issuer or (organization.name if organization else ""))
        audit_record(
            actor=actor,
            action="training.record.create",
            obj=record,
            detail={"volunteer": volunteer.pk, "course": course.pk, "source": source},
        )
    return record


def certificate_for(*, record: TrainingRecord, course: TrainingCourse, issuer: str = "") -> TrainingCertificate:
    """The certificate a saved record earns (not saved: ``certificate_issue`` saves one, the
    import saves a chunk's at once). Its number is derived from the record's id."""
    return TrainingCertificate(
        certificate_no=f"PX{record.completed_on:%Y}{record.pk:010d}",
        volunteer_id=record.volunteer_id,
        course=course,
        qualification_type_id=course.qualification_type_id,
        record=record,
        title=course.name,
        issuer=issuer or str(_("志愿服务培训")),
        issued_on=record.completed_on,
        expires_on=certificate_expiry(course=course, issued_on=record.completed_on),
        region_code=record.region_code,
        organization_id=record.organization_id,
    )


def certificate_issue(*, record: TrainingRecord, issuer: str = "") -> TrainingCertificate:
    cert = certificate_for(record=record, course=record.course, issuer=issuer)
    cert.save(force_insert=True)
    return cert


@transaction.atomic
def certificate_revoke(*, actor, certificate: TrainingCertificate, reason: str) -> TrainingCertificate:
    from zhiyuan.accounts.scopes import MANAGE, can
    from zhiyuan.core.errors import PermissionDenied

    if not can(actor, certificate, MANAGE):
        raise PermissionDenied()
    reason = (reason or "").strip()[:200]
    if not reason:
        raise invalid({"reason": [_("请填写撤销原因。")]})
    if certificate.status == CertificateStatus.REVOKED:
        raise DomainError("already_revoked", _("该证书已撤销。"))
    certificate.status = CertificateStatus.REVOKED
    certificate.save(update_fields=["status"])
    audit_record(actor=actor, action="training.certificate.revoke", obj=certificate, detail={"reason": reason})
    return certificate


def certificates_due_for_renewal(*, on: dt.date, days: int | None = None):
    """Valid certificates that expire within ``days`` (the renewal setting) of ``on`` and whose
    holder has not been reminded yet (a reminder goes out once per certificate)."""
    days = renewal_days() if days is None else days
    return (
        TrainingCertificate.objects.filter(
            status=CertificateStatus.VALID,
            expires_on__gte=on,
            expires_on__lte=on + dt.timedelta(days=days),
            renewal_reminded_on__isnull=True,
        )
        .select_related("volunteer")
        .order_by("expires_on", "id")
    )


def certificate_renewal_remind(*, on: dt.date | None = None, days: int | None = None, dry_run: bool = False) -> list:
    """Remind the holders of certificates about to expire: each certificate once, marked with
    the day it was reminded (``manage.py training_renewal_reminders``, run daily). Returns the
    certificates reminded. The reminder is a notice (``core.notifications.notify``, kind
    ``training.certificate.renewal``, deduplicated per certificate and expiry date: a second run
    the same day, or a run after a crash between the notice and the mark, repeats nothing) that
    goes on by e-mail/SMS as the holder chose; the certificate page still says
    「即将到期，请及时复训」. Restricted people (consent withdrawn) are marked but not notified."""
    on = on or today_shanghai()
    due = list(certificates_due_for_renewal(on=on, days=days).select_related("volunteer__user")[:10000])
    if not dry_run and due:
        with transaction.atomic():
            TrainingCertificate.objects.filter(pk__in=[c.pk for c in due], renewal_reminded_on__isnull=True).update(
                renewal_reminded_on=on
            )
            for c in due:
                if not c.volunteer.is_restricted:
                    _renewal_notify(c)
            audit_record(
                actor=None,
                action="training.certificate.renewal_remind",
                object_type="training.trainingcertificate",
                detail={"count": len(due), "on": on.isoformat()},
            )
    return due


def _renewal_notify(certificate: TrainingCertificate) -> None:
    from django.urls import reverse
    from django.utils import translation

    from zhiyuan.core.notifications import notify

    user = certificate.volunteer.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        title = _("证书「%(title)s」将于%(date)s到期") % {"title": certificate.title, "date": certificate.expires_on.isoformat()}
        body = _("您的培训证书 %(no)s（%(issuer)s）将于%(date)s到期，请及时参加复训或重新认证。") % {
            "no": certificate.certificate_no, "issuer": certificate.issuer, "date": certificate.expires_on.isoformat(),
        }  # fmt: skip
        notify(
            user=user,
            kind="training.certificate.renewal",
            title=str(title),
            body=str(body),
            url=reverse("training:certificate", args=[certificate.pk]),
            dedupe_key=f"training.renewal:{certificate.pk}:{certificate.expires_on.isoformat()}",
        )


def certificate_renewal_reminders_run(now) -> int:
    """The periodic notice ``training.renewal`` (``manage.py notifications_remind``): today's
    renewal reminders; returns the certificates reminded."""
    from django.utils import timezone

    return len(certificate_renewal_remind(on=timezone.localdate(now)))

"""Reads of the training app. Manager reads start from ``visible_to`` (rule 1); a volunteer's own
pages read their own rows by their volunteer id; open courses and sessions are offered to every
signed-in volunteer."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from zhiyuan.accounts.scopes import MANAGE, REVIEW, VIEW, get_for
from zhiyuan.training.models import (
    CertificateStatus,
    CourseStatus,
    Qualification,
    QualificationType,
    QuizAttempt,
    SessionEnrollment,
    SessionStatus,
    TrainingCertificate,
    TrainingCourse,
    TrainingRecord,
    TrainingSession,
)
from zhiyuan.training.services.records import renewal_days
from zhiyuan.volunteers.minors import today_shanghai


def course_get(*, actor, id, action: str = VIEW) -> TrainingCourse:
    return get_for(actor, TrainingCourse, id, action)


def session_get(*, actor, id, action: str = VIEW) -> TrainingSession:
    return get_for(actor, TrainingSession.objects.select_related("course", "trainer", "base", "organization"), id, action)


def qualification_get(*, actor, id, action: str = VIEW) -> Qualification:
    return get_for(actor, Qualification.objects.select_related("qualification_type", "volunteer"), id, action)


def certificate_get(*, actor, id) -> TrainingCertificate:
    return get_for(actor, TrainingCertificate.objects.select_related("course", "qualification_type", "volunteer"), id, VIEW)


def qualification_types() -> QuerySet[QualificationType]:
    return QualificationType.objects.filter(active=True).order_by("id")


def online_courses() -> QuerySet[TrainingCourse]:
    """Online courses open to every volunteer."""
    return TrainingCourse.objects.filter(online=True, status=CourseStatus.ACTIVE).order_by("-id")


def online_course_get(*, id) -> TrainingCourse:
    from zhiyuan.accounts.scopes import pk_or_404
    from zhiyuan.core.errors import NotFound

    course = online_courses().filter(pk=pk_or_404(id)).first()
    if course is None:
        raise NotFound()
    return course


def open_sessions(*, limit: int = 50) -> list[TrainingSession]:
    """Sessions still taking enrollments, soonest first (index on status, starts_at)."""
    return list(
        TrainingSession.objects.filter(status=SessionStatus.OPEN, starts_at__gt=timezone.now())
        .select_related("course", "base", "organization")
        .order_by("starts_at", "id")[:limit]
    )


def my_enrollments(volunteer) -> list[SessionEnrollment]:
    return list(
        SessionEnrollment.objects.filter(volunteer=volunteer).select_related("session__course").order_by("-enrolled_at")[:50]
    )


def my_records(volunteer) -> list[TrainingRecord]:
    return list(
        TrainingRecord.objects.filter(volunteer=volunteer).select_related("course").order_by("-completed_on", "-id")[:200]
    )


def my_certificates(volunteer, *, on: dt.date | None = None) -> list[TrainingCertificate]:
    """The person's certificates, each with ``state``: valid / expiring (within the renewal
    window: 「即将到期，请及时复训」) / expired / revoked."""
    on = on or today_shanghai()
    soon = on + dt.timedelta(days=renewal_days())
    certs = list(
        TrainingCertificate.objects.filter(volunteer=volunteer)
        .select_related("course", "qualification_type")
        .order_by("-issued_on", "-id")[:200]
    )
    for c in certs:
        if c.status == CertificateStatus.REVOKED:
            c.state = "revoked"
        elif c.expires_on is not None and c.expires_on < on:
            c.state = "expired"
        elif c.expires_on is not None and c.expires_on <= soon:
            c.state = "expiring"
        else:
            c.state = "valid"
    return certs


def my_qualifications(volunteer) -> list[Qualification]:
    return list(
        Qualification.objects.filter(volunteer=volunteer).select_related("qualification_type").order_by("-submitted_at")[:100]
    )


def my_attempts(volunteer, course) -> list[QuizAttempt]:
    return list(QuizAttempt.objects.filter(volunteer=volunteer, course=course).order_by("attempt_no"))


def session_enrollments(session) -> list[SessionEnrollment]:
    return list(
        SessionEnrollment.objects.filter(session=session).select_related("volunteer").order_by("enrolled_at", "id")[:1000]
    )


def pending_qualifications(*, actor) -> QuerySet[Qualification]:
    return (
        Qualification.objects.visible_to(actor, REVIEW)
        .filter(status="pending")
        .select_related("qualification_type", "volunteer")
        .order_by("submitted_at", "id")
    )


def manageable_courses(*, actor) -> QuerySet[TrainingCourse]:
    return TrainingCourse.objects.visible_to(actor, MANAGE).filter(status=CourseStatus.ACTIVE)


def training_export_rows(volunteer) -> list[dict]:
    """The person's training records, certificates (course certificates and approved
    qualifications) and submitted qualifications, with their state, for their data download
    (VOL-6, PIPL 45)."""
    rows = []
    for r in TrainingRecord.objects.filter(volunteer=volunteer).select_related("course").order_by("completed_on", "id"):
        rows.append(
            {
                "kind": "record",
                "course": r.course.name,
                "source": r.get_source_display(),
                "completed_on": r.completed_on.isoformat(),
                "hours": str(r.hours),
                "score": r.score,
                "certificate_no": None,
                "expires_on": None,
                "status": None,
            }
        )
    for c in TrainingCertificate.objects.filter(volunteer=volunteer).order_by("issued_on", "id"):
        rows.append(
            {
                "kind": "certificate",
                "course": c.title,
                "source": c.issuer,
                "completed_on": c.issued_on.isoformat(),
                "hours": None,
                "score": None,
                "certificate_no": c.certificate_no,
                "expires_on": c.expires_on.isoformat() if c.expires_on else None,
                "status": c.get_status_display(),
            }
        )
    for q in (
        Qualification.objects.filter(volunteer=volunteer).select_related("qualification_type").order_by("submitted_at", "id")
    ):
        rows.append(
            {
                "kind": "qualification",
                "course": q.qualification_type.name,
                "source": q.issuer,
                "completed_on": q.issued_on.isoformat(),
                "hours": None,
                "score": None,
                "certificate_no": q.certificate_no,
                "expires_on": q.expires_on.isoformat() if q.expires_on else None,
                "status": q.get_status_display(),
            }
        )
    return rows

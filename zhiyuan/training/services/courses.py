"""Courses, trainers, training bases and sessions (SPEC TRN-1; seed 001 一学院一中心一基地, seed 002
岗前培训 with registration and evaluation)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, can, pk_or_404
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.organizations.models import Organization
from zhiyuan.training.models import (
    Attendance,
    Certified,
    CourseStatus,
    EnrollmentStatus,
    Level,
    QualificationType,
    RecordSource,
    SessionEnrollment,
    SessionStatus,
    Trainer,
    TrainingBase,
    TrainingCourse,
    TrainingSession,
)
from zhiyuan.training.services.common import clean_text, invalid, owner_resolve
from zhiyuan.volunteers import code_tables
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.selectors import volunteer_for


def _hours(errors: dict, value) -> Decimal | None:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault("hours", []).append(_("请填写学时。"))
        return None
    if not Decimal("0") < hours <= Decimal("999"):
        errors.setdefault("hours", []).append(_("学时应在 0.1 到 999 之间。"))
        return None
    return hours


@transaction.atomic
def course_create(
    *,
    actor,
    name: str,
    category: str,
    hours,
    level: str = Level.BASIC,
    syllabus: str = "",
    materials: str = "",
    validity_months: int | None = None,
    qualification_type: QualificationType | None = None,
    online: bool = False,
    pass_mark: int = 60,
    questions_per_attempt: int = 10,
    max_attempts: int = 3,
    region_code: str = "",
    organization: Organization | None = None,
) -> TrainingCourse:
    """A course of a region (its managers) or of an organization (its admins)."""
    region, org = owner_resolve(actor=actor, region_code=region_code, organization=organization)
    errors: dict = {}
    name = clean_text(errors, "name", name, limit=100)
    syllabus = clean_text(errors, "syllabus", syllabus, limit=5000, required=False, multiline=True)
    materials = clean_text(errors, "materials", materials, limit=5000, required=False, multiline=True)
    if category not in {c for c, _l in code_tables.service_category_choices()}:
        errors["category"] = [_("请选择服务类别。")]
    if level not in Level.values:
        errors["level"] = [_("请选择级别。")]
    h = _hours(errors, hours)
    if validity_months is not None and not 1 <= int(validity_months) <= 240:
        errors["validity_months"] = [_("有效期应在 1 到 240 个月之间。")]
    if not 0 <= int(pass_mark) <= 100:
        errors["pass_mark"] = [_("及格分应在 0 到 100 之间。")]
    if not 1 <= int(questions_per_attempt) <= 100:
        errors["questions_per_attempt"] = [_("每次抽题数应在 1 到 100 之间。")]
    if not 1 <= int(max_attempts) <= 20:
        errors["max_attempts"] = [_("可考次数应在 1 到 20 之间。")]
    if errors:
        raise invalid(errors)
    course = TrainingCourse.objects.create(
        name=name,
        category=category,
        level=level,
        hours=h,
        syllabus=syllabus,
        materials=materials,
        validity_months=validity_months,
        qualification_type=qualification_type,
        online=online,
        pass_mark=pass_mark,
        questions_per_attempt=questions_per_attempt,
        max_attempts=max_attempts,
        region_code=region,
        organization=org,
        created_by=actor,
    )
    audit_record(actor=actor, action="training.course.create", obj=course, detail={"name": name})
    return course


@transaction.atomic
def course_archive(*, actor, course: TrainingCourse) -> TrainingCourse:
    if not can(actor, course, MANAGE):
        raise PermissionDenied()
    course.status = CourseStatus.ARCHIVED
    course.save(update_fields=["status"])
    audit_record(actor=actor, action="training.course.archive", obj=course)
    return course


def _certified(errors: dict, number: str, certified_on, expires_on) -> str:
    number = clean_text(errors, "certification_no", number, limit=40)
    if not isinstance(certified_on, dt.date):
        errors["certified_on"] = [_("请填写日期。")]
    if not isinstance(expires_on, dt.date):
        errors["expires_on"] = [_("请填写日期。")]
    elif isinstance(certified_on, dt.date) and expires_on < certified_on:
        errors["expires_on"] = [_("有效期不能早于发证日期。")]
    return number


# (field, length limit, required) of each certified model's own text, its audit name and the
# message for a number registered already
_CERTIFIED = {
    Trainer: ((("name", 50, True), ("specialty", 100, False)), "training.trainer", _("该证书编号已登记。")),
    TrainingBase: ((("name", 100, True), ("address", 200, True)), "training.base", _("该认证编号已登记。")),
}


def _certified_save(*, actor, obj: Certified, texts: dict, certification_no, certified_on, expires_on):
    """Check and save a trainer or a training base (new or changed): its own text fields, the
    certification number (unique) and dates (expiry not before issue). Audited as
    ``training.trainer.create``/``update`` (``training.base.…``) with the number."""
    fields, audit, taken = _CERTIFIED[type(obj)]
    creating = obj.pk is None
    errors: dict = {}
    for name, limit, required in fields:
        setattr(obj, name, clean_text(errors, name, texts.get(name, ""), limit=limit, required=required))
    obj.certification_no = _certified(errors, certification_no, certified_on, expires_on)
    obj.certified_on, obj.expires_on = certified_on, expires_on
    if errors:
        raise invalid(errors)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise invalid({"certification_no": [taken]}) from None
    if audit == "training.trainer":  # the codes spelled out, so the audit-label scan reads them
        action = "training.trainer.create" if creating else "training.trainer.update"
    else:
        action = "training.base.create" if creating else "training.base.update"
    audit_record(actor=actor, action=action, obj=obj, detail={"certification_no": obj.certification_no})
    return obj


def _certified_change(*, actor, obj: Certified, **values):
    """An edit by someone who manages it (403 otherwise); its owner (region, organization)
    stays. ``values`` not given keep their current value."""
    if not can(actor, obj, MANAGE):
        raise PermissionDenied()
    fields, _audit, _taken = _CERTIFIED[type(obj)]
    unknown = set(values) - {name for name, _l, _r in fields} - {"certification_no", "certified_on", "expires_on"}
    if unknown:
        raise TypeError(f"not a field of {type(obj).__name__}: {sorted(unknown)}")
    current = {name: values.get(name, getattr(obj, name)) for name, _l, _r in fields}
    dates = {k: values.get(k, getattr(obj, k)) for k in ("certification_no", "certified_on", "expires_on")}
    return _certified_save(actor=actor, obj=obj, texts=current, **dates)


@transaction.atomic
def trainer_create(
    *,
    actor,
    name: str,
    certification_no: str,
    certified_on: dt.date,
    expires_on: dt.date,
    specialty: str = "",
    region_code: str = "",
    organization: Organization | None = None,
    user=None,
) -> Trainer:
    """A certified trainer 培训师, with the number and expiry of their certification."""
    region, org = owner_resolve(actor=actor, region_code=region_code, organization=organization)
    return _certified_save(
        actor=actor,
        obj=Trainer(user=user, region_code=region, organization=org),
        texts={"name": name, "specialty": specialty},
        certification_no=certification_no,
        certified_on=certified_on,
        expires_on=expires_on,
    )


@transaction.atomic
def trainer_update(*, actor, trainer: Trainer, **values) -> Trainer:
    """Change a trainer's name, specialty, certification number or dates (a renewed certificate)."""
    return _certified_change(actor=actor, obj=trainer, **values)


@transaction.atomic
def training_base_create(
    *,
    actor,
    name: str,
    address: str,
    certification_no: str,
    certified_on: dt.date,
    expires_on: dt.date,
    region_code: str = "",
    organization: Organization | None = None,
) -> TrainingBase:
    """A certified training base 培训基地, with the number and expiry of its certification."""
    region, org = owner_resolve(actor=actor, region_code=region_code, organization=organization)
    return _certified_save(
        actor=actor,
        obj=TrainingBase(region_code=region, organization=org),
        texts={"name": name, "address": address},
        certification_no=certification_no,
        certified_on=certified_on,
        expires_on=expires_on,
    )


@transaction.atomic
def training_base_update(*, actor, base: TrainingBase, **values) -> TrainingBase:
    """Change a base's name, address, certification number or dates."""
    return _certified_change(actor=actor, obj=base, **values)


@transaction.atomic
def session_create(
    *,
    actor,
    course: TrainingCourse,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    trainer: Trainer | None = None,
    base: TrainingBase | None = None,
    place: str = "",
    region_code: str = "",
    organization: Organization | None = None,
) -> TrainingSession:
    """A session of an active course. Its trainer's and base's certifications must be valid on
    the day it starts (seed 001: certified trainers and bases)."""
    region, org = owner_resolve(actor=actor, region_code=region_code or course.region_code, organization=organization)
    errors: dict = {}
    place = clean_text(errors, "place", place, limit=200, required=base is None)
    if course.status != CourseStatus.ACTIVE:
        errors["course_id"] = [_("该课程已停用。")]
    if not isinstance(starts_at, dt.datetime) or not isinstance(ends_at, dt.datetime) or ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间应晚于开始时间。")]
    else:
        day = timezone.localtime(starts_at).date()
        if trainer is not None and not trainer.valid_on(day):
            errors["trainer_id"] = [_("培训师资格已于%(date)s过期。") % {"date": trainer.expires_on.isoformat()}]
        if base is not None and not base.valid_on(day):
            errors["base_id"] = [_("培训基地认证已于%(date)s过期。") % {"date": base.expires_on.isoformat()}]
    try:
        capacity = int(capacity)
    except (TypeError, ValueError):
        capacity = 0
    if not 1 <= capacity <= 10000:
        errors["capacity"] = [_("名额应在 1 到 10000 之间。")]
    if errors:
        raise invalid(errors)
    session = TrainingSession.objects.create(
        course=course,
        trainer=trainer,
        base=base,
        place=place or (base.address if base else ""),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        region_code=region,
        organization=org,
        created_by=actor,
    )
    audit_record(actor=actor, action="training.session.create", obj=session, detail={"course": course.pk, "capacity": capacity})
    return session


def _session_locked(session_id) -> TrainingSession:
    """The session row, locked for this transaction (``SELECT … FOR UPDATE`` on PostgreSQL;
    SQLite's IMMEDIATE transactions serialize writers): enrollments and cancellations of one
    session change its kept count one at a time. 404 when it does not exist."""
    session = TrainingSession.objects.select_for_update().filter(pk=pk_or_404(session_id)).first()
    if session is None:
        raise NotFound()
    return session


def _seats_taken(actor, session: TrainingSession, volunteer, change: int) -> None:
    """Keep ``enrolled_count`` with an enrollment (+1) or a cancellation (−1), in the caller's
    transaction under the lock, and audit it."""
    TrainingSession.objects.filter(pk=session.pk).update(enrolled_count=F("enrolled_count") + change)
    action = "training.session.enroll" if change > 0 else "training.session.cancel_enrollment"
    audit_record(actor=actor, action=action, obj=session, detail={"volunteer": volunteer.pk})


@transaction.atomic
def session_enroll(*, actor, session_id: int) -> SessionEnrollment:
    """The signed-in volunteer enrolls in an open session. The session row is locked
    (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions serialize writers) and
    the kept ``enrolled_count`` is checked and raised in the same transaction, so concurrent
    enrollments never exceed the capacity (the check constraint is the last line of defence)."""
    volunteer = volunteer_for(actor)
    if volunteer.status != Volunteer.Status.ACTIVE or volunteer.is_restricted:
        raise DomainError("volunteer_inactive", _("您的志愿者身份当前不可报名。"))
    session = _session_locked(session_id)
    if session.status != SessionStatus.OPEN or session.starts_at <= timezone.now():
        raise Conflict("session_closed", _("该培训班已停止报名。"))
    existing = SessionEnrollment.objects.filter(session=session, volunteer=volunteer).first()
    if existing is not None and existing.status == EnrollmentStatus.ENROLLED:
        raise Conflict("already_enrolled", _("您已报名该培训班。"))
    if session.enrolled_count >= session.capacity:
        raise Conflict("session_full", _("该培训班名额已满。"))
    if existing is not None:
        existing.status = EnrollmentStatus.ENROLLED
        existing.enrolled_at = timezone.now()
        existing.save(update_fields=["status", "enrolled_at"])
        enrollment = existing
    else:
        enrollment = SessionEnrollment.objects.create(session=session, volunteer=volunteer)
    _seats_taken(actor, session, volunteer, +1)
    return enrollment


@transaction.atomic
def session_enrollment_cancel(*, actor, session_id: int) -> SessionEnrollment:
    volunteer = volunteer_for(actor)
    session = _session_locked(session_id)
    enrollment = SessionEnrollment.objects.filter(session=session, volunteer=volunteer, status=EnrollmentStatus.ENROLLED).first()
    if enrollment is None:
        raise NotFound()
    if session.starts_at <= timezone.now():
        raise Conflict("session_started", _("培训已开始，不能取消报名。"))
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.save(update_fields=["status"])
    _seats_taken(actor, session, volunteer, -1)
    return enrollment


@transaction.atomic
def session_attendance_mark(
    *, actor, session: TrainingSession, enrollment_id: int, present: bool, score: int | None = None
) -> SessionEnrollment:
    """The organizer marks a participant present (with an optional assessment score) or absent.
    Present means trained: a training record and its certificate are written with it (once)."""
    from zhiyuan.training.services.records import record_create

    if not can(actor, session, MANAGE):
        raise PermissionDenied()
    enrollment = (
        SessionEnrollment.objects.select_for_update()
        .filter(pk=pk_or_404(enrollment_id), session=session, status=EnrollmentStatus.ENROLLED)
        .select_related("volunteer")
        .first()
    )
    if enrollment is None:
        raise NotFound()
    if session.starts_at > timezone.now():
        raise Conflict("session_not_started", _("培训尚未开始，不能登记出勤。"))
    if score is not None and not 0 <= int(score) <= 100:
        raise invalid({"score": [_("成绩应在 0 到 100 之间。")]})
    if enrollment.attendance == Attendance.PRESENT and not present:
        raise Conflict("already_recorded", _("已登记参训并生成培训记录，不能改为缺席。"))
    enrollment.attendance = Attendance.PRESENT if present else Attendance.ABSENT
    enrollment.score = score
    enrollment.save(update_fields=["attendance", "score"])
    if present and not session.records.filter(volunteer_id=enrollment.volunteer_id).exists():
        record_create(
            actor=actor,
            volunteer=enrollment.volunteer,
            course=session.course,
            source=RecordSource.SESSION,
            completed_on=timezone.localtime(session.ends_at).date(),
            score=score,
            session=session,
            organization=session.organization,
        )
    audit_record(
        actor=actor,
        action="training.session.attendance",
        obj=session,
        detail={"volunteer": enrollment.volunteer_id, "present": present},
    )
    return enrollment


@transaction.atomic
def session_evaluate(*, actor, session_id: int, rating: int, comment: str = "") -> SessionEnrollment:
    """A participant who attended rates the session 1–5 (seed 002: 培训评估)."""
    volunteer = volunteer_for(actor)
    enrollment = (
        SessionEnrollment.objects.select_for_update()
        .filter(session_id=pk_or_404(session_id), volunteer=volunteer, attendance=Attendance.PRESENT)
        .first()
    )
    if enrollment is None:
        raise DomainError("not_attended", _("参加培训后才能评价。"))
    errors: dict = {}
    comment = clean_text(errors, "comment", comment, limit=500, required=False, multiline=True)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        errors["rating"] = [_("请选择 1 到 5 星。")]
    if errors:
        raise invalid(errors)
    enrollment.rating = rating
    enrollment.comment = comment
    enrollment.save(update_fields=["rating", "comment"])
    return enrollment

"""Courses, trainers, bases and sessions (TRN-1): who may create them, certifications valid on the
day, enrollment within capacity (also under concurrency), attendance making records, evaluation."""

import datetime as dt
import threading
import time

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from zhiyuan.core.errors import Conflict, DomainError, PermissionDenied
from zhiyuan.testing import HUICHENG, HUIYANG
from zhiyuan.training.models import Attendance, SessionEnrollment, TrainingCertificate, TrainingRecord, TrainingSession
from zhiyuan.training.services import courses
from zhiyuan.training.tests import factories as f


def test_region_manager_creates_a_course_in_their_region_only(county_manager):
    c = f.course(county_manager)
    assert c.region_code == HUICHENG
    with pytest.raises(PermissionDenied):
        f.course(county_manager, region_code=HUIYANG)


def test_bad_course_input_is_refused_per_field(county_manager):
    with pytest.raises(DomainError) as e:
        courses.course_create(actor=county_manager, name="", category="nope", hours="0", region_code=HUICHENG)
    assert set(e.value.fields) == {"name", "category", "hours"}


def test_org_admin_creates_for_their_organization_not_others(county_manager, other_county_manager):
    from zhiyuan.organizations.tests.factories import active_org, applicant

    admin = applicant("组织管理员")
    org = active_org(county_manager, actor=admin)
    other = active_org(other_county_manager, region_code="441303001000")
    c = f.course(admin, organization=org)
    assert c.organization == org and c.region_code == org.region_code
    with pytest.raises(PermissionDenied):
        f.course(admin, organization=other)
    with pytest.raises(PermissionDenied):
        f.course(admin)  # a region needs a region manager


def test_session_refuses_an_expired_trainer_or_base(county_manager):
    c = f.course(county_manager)
    trainer = courses.trainer_create(
        actor=county_manager,
        name="李培训",
        certification_no="PXS-001",
        certified_on=dt.date(2020, 1, 1),
        expires_on=dt.date(2021, 1, 1),
        region_code=HUICHENG,
    )
    with pytest.raises(DomainError) as e:
        f.session(county_manager, c, trainer=trainer)
    assert "培训师资格已于2021-01-01过期" in str(e.value.fields["trainer_id"][0])
    base = courses.training_base_create(
        actor=county_manager,
        name="惠城培训基地",
        address="江北",
        certification_no="JD-1",
        certified_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2099, 1, 1),
        region_code=HUICHENG,
    )
    assert f.session(county_manager, c, base=base).base == base
    with pytest.raises(DomainError):  # the same certification number twice
        courses.trainer_create(
            actor=county_manager,
            name="王",
            certification_no="PXS-001",
            certified_on=dt.date(2024, 1, 1),
            expires_on=dt.date(2030, 1, 1),
            region_code=HUICHENG,
        )


def test_enrollment_fills_seats_then_refuses(county_manager, volunteer, huiyang_volunteer, minor_volunteer):
    s = f.session(county_manager, f.course(county_manager), capacity=2)
    courses.session_enroll(actor=volunteer.user, session_id=s.pk)
    with pytest.raises(Conflict):
        courses.session_enroll(actor=volunteer.user, session_id=s.pk)  # twice
    courses.session_enroll(actor=huiyang_volunteer.user, session_id=s.pk)
    with pytest.raises(Conflict) as e:
        courses.session_enroll(actor=minor_volunteer.user, session_id=s.pk)
    assert e.value.code == "session_full"
    courses.session_enrollment_cancel(actor=volunteer.user, session_id=s.pk)
    courses.session_enroll(actor=minor_volunteer.user, session_id=s.pk)  # the freed seat
    s.refresh_from_db()
    assert s.enrolled_count == 2 == SessionEnrollment.objects.filter(session=s, status="enrolled").count()


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["result"] = fn()
        except Exception as exc:
            out["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    return t, out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_enrollments_never_exceed_capacity(django_db_setup):
    """Six volunteers enroll at once in a session with three seats: three get in, three are told
    it is full — on PostgreSQL through the row lock, on SQLite through IMMEDIATE transactions."""
    from zhiyuan.accounts.roles import Role
    from zhiyuan.testing import make_user
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

    manager = make_user("13900000103", "惠城区文明办", role=Role.REGION_MANAGER, region_code=HUICHENG)
    s = f.session(manager, f.course(manager), capacity=3)
    people = [register(name="并发" + "甲乙丙丁戊己"[i], region_code=HUICHENG_TOWN) for i in range(6)]
    barrier = threading.Barrier(len(people))

    def enroll(user):
        def go():
            barrier.wait()
            for _try in range(200):
                try:
                    return courses.session_enroll(actor=user, session_id=s.pk)
                except OperationalError as exc:
                    # The SQLite test database is in memory with a shared cache, whose table
                    # locks answer SQLITE_LOCKED at once instead of waiting out busy_timeout as
                    # the file database does: wait and try again, as the file database would.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            raise AssertionError("never got the lock")

        return go

    runs = [_in_thread(enroll(p.user)) for p in people]
    for t, _out in runs:
        t.join(60)
    ok = [o for _t, o in runs if "result" in o]
    full = [o for _t, o in runs if isinstance(o.get("error"), Conflict) and o["error"].code == "session_full"]
    assert len(ok) == 3 and len(full) == 3, [o.get("error") for _t, o in runs]
    s = TrainingSession.objects.get(pk=s.pk)
    assert s.enrolled_count == 3 == SessionEnrollment.objects.filter(session=s).count()
    connection.close()


def test_attendance_writes_one_record_and_certificate(county_manager, other_county_manager, volunteer):
    s = f.session(county_manager, f.course(county_manager))
    e = courses.session_enroll(actor=volunteer.user, session_id=s.pk)
    with pytest.raises(Conflict):  # not started yet
        courses.session_attendance_mark(actor=county_manager, session=s, enrollment_id=e.pk, present=True)
    TrainingSession.objects.filter(pk=s.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=4), ends_at=timezone.now() - dt.timedelta(hours=1)
    )
    s.refresh_from_db()
    with pytest.raises(PermissionDenied):
        courses.session_attendance_mark(actor=other_county_manager, session=s, enrollment_id=e.pk, present=True)
    courses.session_attendance_mark(actor=county_manager, session=s, enrollment_id=e.pk, present=True, score=88)
    courses.session_attendance_mark(actor=county_manager, session=s, enrollment_id=e.pk, present=True, score=90)
    record = TrainingRecord.objects.get(volunteer=volunteer)
    assert record.source == "session" and record.session == s and record.score == 88
    cert = TrainingCertificate.objects.get(record=record)
    assert cert.course == s.course and cert.expires_on is not None
    with pytest.raises(Conflict):
        courses.session_attendance_mark(actor=county_manager, session=s, enrollment_id=e.pk, present=False)
    assert SessionEnrollment.objects.get(pk=e.pk).attendance == Attendance.PRESENT


def test_only_participants_evaluate_with_one_to_five(county_manager, volunteer, huiyang_volunteer):
    s = f.session(county_manager, f.course(county_manager))
    e = courses.session_enroll(actor=volunteer.user, session_id=s.pk)
    with pytest.raises(DomainError):
        courses.session_evaluate(actor=volunteer.user, session_id=s.pk, rating=5)  # not attended
    SessionEnrollment.objects.filter(pk=e.pk).update(attendance=Attendance.PRESENT)
    with pytest.raises(DomainError):
        courses.session_evaluate(actor=volunteer.user, session_id=s.pk, rating=6)
    assert courses.session_evaluate(actor=volunteer.user, session_id=s.pk, rating=4, comment="实用").rating == 4
    with pytest.raises(DomainError):
        courses.session_evaluate(actor=huiyang_volunteer.user, session_id=s.pk, rating=3)

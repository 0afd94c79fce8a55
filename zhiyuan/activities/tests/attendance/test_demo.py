"""The demo's shifts that took place: sign-ups through the enrollment service before the shift,
check-ins and check-outs through the attendance services at their time (the demo logins plain,
the others flagged by variant), forgotten check-outs closed, the activity finished; a second run
adds nothing, and without a demo organization nothing happens."""

import datetime as dt

import pytest
from django.utils import timezone

from zhiyuan.activities.models import Attendance, CheckEvent, CheckMethod, Enrollment
from zhiyuan.activities.tests.factories import published_activity
from zhiyuan.demo.attendance import PER_SHIFT, seed_attendance
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db
NAMES = ["张一", "王二", "李三", "赵四", "钱五", "孙六", "周七", "吴八", "郑九", "冯十", "陈一", "褚二"]


def test_without_an_organization_nothing_happens(plain_user):
    people = [register(name=n) for n in NAMES[:3]]
    assert seed_attendance(org_admin_user=plain_user, volunteers=people, progress=lambda m: None)["enrollments"] == 0


def test_a_past_shift_gets_sign_ups_and_attendance_through_the_services_once(org, org_admin):
    now = timezone.now().replace(second=0, microsecond=0)
    activity = published_activity(
        org, shifts=[(now - dt.timedelta(hours=5), now - dt.timedelta(hours=2))], positions=[{"name": "引导员", "slots": 20}]
    )
    shift = activity.shifts.get()
    people = [register(name=n) for n in NAMES]
    out = seed_attendance(org_admin_user=org_admin, volunteers=people, progress=lambda m: None)
    enrollments = list(Enrollment.objects.filter(shift=shift))
    assert out["enrollments"] == len(enrollments) == PER_SHIFT
    assert all(e.applied_at < shift.starts_at and e.status == "accepted" for e in enrollments)  # before the start
    rows = {a.volunteer_id: a for a in Attendance.objects.filter(shift=shift)}
    assert out["attendances"] == len(rows) >= 1
    for named in people[:2]:  # the demo logins: a clean QR check-in and check-out, creditable
        a = rows[named.pk]
        assert (a.check_in_method, a.check_out_method, a.flags) == (CheckMethod.QR, CheckMethod.QR, [])
        assert shift.starts_at - dt.timedelta(minutes=30) <= a.check_in_at <= shift.starts_at
    assert all(a.check_out_at is not None for a in rows.values())  # forgotten ones were closed
    assert CheckEvent.objects.filter(attendance__shift=shift).count() >= len(rows)  # recorded as real requests
    activity.refresh_from_db()
    assert activity.status == "finished" and out["finished"] == 1
    again = seed_attendance(org_admin_user=org_admin, volunteers=people, progress=lambda m: None)
    assert again["enrollments"] == again["attendances"] == 0
    assert Attendance.objects.filter(shift=shift).count() == len(rows)

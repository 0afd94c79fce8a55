"""The reminder before a shift (ACT-7): accepted volunteers only, once per shift start, within
the configured lead time; run through the periodic-notice registry like the other reminders."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhiyuan.activities import enrollment as svc
from zhiyuan.activities import services
from zhiyuan.activities.reminders import KIND, shift_reminders_run
from zhiyuan.activities.tests.factories import published_activity
from zhiyuan.activities.tests.test_enrollment import people, slot_of
from zhiyuan.core.models import Notification
from zhiyuan.organizations.tests.factories import active_org, applicant

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin(db):
    return applicant("组织管理员")


@pytest.fixture
def org(county_manager, org_admin):
    return active_org(county_manager, actor=org_admin)


def starting_in(org, hours: float, slots: int = 1, **values):
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)
    return published_activity(
        org, shifts=[(start, start + dt.timedelta(hours=3))], positions=[{"name": "引导员", "slots": slots}], **values
    )


def reminders(user):
    return list(Notification.objects.filter(user=user, kind=KIND))


def test_accepted_volunteers_are_reminded_once_and_the_waitlist_is_not(org, settings):
    settings.ZHIYUAN_SHIFT_REMINDER_HOURS = 24
    a = starting_in(org, 30)  # signed up while still far away
    accepted, waiting = people(2, prefix="提醒")
    slot = slot_of(a)
    svc.enroll(accepted.user, slot)
    svc.enroll(waiting.user, slot)
    assert shift_reminders_run() == 0  # 30 hours ahead: not yet
    later = timezone.now() + dt.timedelta(hours=8)
    assert shift_reminders_run(later) == 1
    [notice] = reminders(accepted.user)
    assert a.title in notice.title and a.address in notice.body and "引导员" in notice.body
    assert notice.url == "/activities/my/enrollments/"
    assert reminders(waiting.user) == []
    assert shift_reminders_run(later + dt.timedelta(minutes=30)) == 0  # the next run tells nobody twice
    assert len(reminders(accepted.user)) == 1


def test_a_cancelled_activity_or_a_cancelled_sign_up_gets_no_reminder(org, org_admin):
    a = starting_in(org, 5, slots=2, cancel_deadline_hours=1)
    stays, leaves = people(2, prefix="取消提醒")
    e = svc.enroll(leaves.user, slot_of(a))
    svc.enroll(stays.user, slot_of(a))
    svc.cancel(leaves.user, e, reason="有事")
    services.activity_cancel(actor=org_admin, activity=a, reason="暴雨")
    assert shift_reminders_run() == 0
    assert reminders(stays.user) == [] and reminders(leaves.user) == []


def test_the_reminder_runs_with_the_other_periodic_notices(org):
    a = starting_in(org, 3)
    [v] = people(1, prefix="命令")
    svc.enroll(v.user, slot_of(a))
    call_command("notifications_remind", "--only", "activities.shift_reminder")
    assert len(reminders(v.user)) == 1

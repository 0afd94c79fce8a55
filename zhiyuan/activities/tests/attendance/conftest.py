"""Fixtures of the check-in tests (this directory only): an organization with its admin, a running shift at the
factory's point and accepted enrollments written directly (the enrollment services belong to
another area; these rows are what they would write)."""

import datetime as dt

import pytest
from django.utils import timezone

from zhiyuan.activities.models import Enrollment, EnrollmentStatus, Slot
from zhiyuan.activities.tests.factories import published_activity


def accepted(slot: Slot, volunteer) -> Enrollment:
    """An accepted enrollment of ``volunteer`` on ``slot`` (with the kept count)."""
    shift = slot.shift
    activity = shift.activity
    e = Enrollment.objects.create(
        slot=slot,
        volunteer=volunteer,
        shift=shift,
        activity=activity,
        organization_id=activity.organization_id,
        region_code=activity.region_code,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=EnrollmentStatus.ACCEPTED,
        decided_at=timezone.now(),
    )
    Slot.objects.filter(pk=slot.pk).update(accepted=slot.accepted + 1)
    slot.accepted += 1
    return e


def running_activity(org, *, started_minutes_ago: int = 5, hours: int = 3, **values):
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(minutes=started_minutes_ago)
    return published_activity(org, shifts=[(start, start + dt.timedelta(hours=hours))], **values)


def admin_of(org):
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.roles import Role

    return RoleAssignment.objects.get(role=Role.ORG_ADMIN, object_id=org.pk, active=True).user


@pytest.fixture
def org(county_manager):
    from zhiyuan.organizations.tests.factories import active_org

    return active_org(county_manager)


@pytest.fixture
def org_admin(org):
    return admin_of(org)


@pytest.fixture
def other_org_admin(county_manager):
    from zhiyuan.organizations.tests.factories import active_org

    return admin_of(active_org(county_manager))


@pytest.fixture
def activity(org):
    return running_activity(org)


@pytest.fixture
def shift(activity):
    return activity.shifts.get()


@pytest.fixture
def enrollment(shift, volunteer):
    return accepted(shift.slots.get(), volunteer)

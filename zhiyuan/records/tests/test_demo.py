"""The demo hours seed: confirms what it can, grants one honour award, is idempotent, and does
nothing when no attendance exists yet."""

import pytest

from zhiyuan.demo import hours
from zhiyuan.records.models import HonourGrant, HourEntry
from zhiyuan.records.tests.factories import attend

pytestmark = pytest.mark.django_db


def test_without_attendance_it_does_nothing(admin, county_manager):
    assert hours.seed(org_admin_user=admin, approver_user=county_manager) == {"confirmed": 0, "skipped": 0, "honour": 0}
    assert not HourEntry.objects.exists()


def test_confirms_and_grants_once(admin, county_manager, activity, volunteer):
    attend(activity, volunteer)
    out = hours.seed(org_admin_user=admin, approver_user=county_manager)
    assert out == {"confirmed": 1, "skipped": 0, "honour": 1}
    assert hours.seed(org_admin_user=admin, approver_user=county_manager)["honour"] == 0
    assert HourEntry.objects.count() == 2 and HonourGrant.objects.count() == 1

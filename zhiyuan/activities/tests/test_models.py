"""The data model's own guarantees, enforced by the database whatever the code above does."""

import pytest
from django.db import IntegrityError, transaction

from zhiyuan.activities.models import Position, Slot
from zhiyuan.activities.tests.factories import published_activity
from zhiyuan.organizations.tests.factories import active_org

pytestmark = pytest.mark.django_db


def test_the_factory_makes_one_slot_per_shift_and_position_and_keeps_the_counts(county_manager):
    org = active_org(county_manager)
    a = published_activity(org, positions=[{"name": "引导员", "slots": 5}, {"name": "摄影", "slots": 2}])
    assert Slot.objects.filter(shift__activity=a).count() == 2
    assert (a.slots_total, a.slots_open) == (7, 7)


def test_a_slot_can_never_hold_more_accepted_than_its_capacity(county_manager):
    a = published_activity(active_org(county_manager), positions=[{"name": "引导员", "slots": 1}])
    slot = Slot.objects.get(shift__activity=a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(accepted=2)


def test_a_dangerous_position_never_admits_minors(county_manager):
    a = published_activity(active_org(county_manager))
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(activity=a, name="高空作业", slots=1, dangerous=True, minors_allowed=True)

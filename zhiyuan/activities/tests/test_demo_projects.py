"""The projects demo hook (zhiyuan/demo/projects.py): projects in every state of the library and
activities past, running now and upcoming, single and weekly — through the real services, with
consistent kept counts; idempotent."""

import pytest
from django.utils import timezone

from zhiyuan.activities.models import Activity, Project, ProjectStatus
from zhiyuan.activities.tests.support_projects import active_org, admin_of
from zhiyuan.activities.tests.test_organizer import assert_consistent
from zhiyuan.demo import projects as demo

pytestmark = pytest.mark.django_db


def test_seed_makes_a_living_library_and_is_idempotent(county_manager, city_manager):
    org = active_org(county_manager)
    admin = admin_of(org)
    demo.seed(org_admin_user=admin, reviewer_user=city_manager)
    assert set(Project.objects.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert Project.objects.filter(is_demonstration=True, status="running").exists()
    now = timezone.now()
    activities = Activity.objects.filter(organization=org)
    assert activities.filter(status="published", ends_at__lt=now).count() == 2  # took place: demo/attendance.py finishes them
    assert activities.filter(status="published", starts_at__lte=now, ends_at__gt=now).exists()  # running now
    assert activities.filter(status="published", starts_at__gt=now).exists()
    assert activities.exclude(recurrence={}).count() == 2
    assert {"draft", "cancelled"} <= set(activities.values_list("status", flat=True))
    assert not activities.filter(positions__dangerous=True, positions__minors_allowed=True).exists()
    for a in activities:
        assert_consistent(a)
    counts = (Project.objects.count(), Activity.objects.count())
    demo.seed(org_admin_user=admin, reviewer_user=city_manager)
    assert (Project.objects.count(), Activity.objects.count()) == counts


def test_seed_without_an_organization_does_nothing(plain_user, city_manager):
    assert demo.seed(org_admin_user=plain_user, reviewer_user=city_manager) == []

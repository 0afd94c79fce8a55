"""The demo enrollments (zhiyuan/demo/enrollment.py): nothing without activities; with one, the
demo volunteers are signed up through the service (a waitlist where it is full), and a second run
adds nobody twice."""

import pytest

from zhiyuan.activities.enrollment import slot_counts_check
from zhiyuan.activities.models import Enrollment
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.demo import enrollment as demo
from zhiyuan.organizations.tests.factories import active_org, applicant
from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

pytestmark = pytest.mark.django_db


def test_demo_enrollments_skip_gracefully_without_activities(volunteer):
    assert demo.seed(volunteers=[volunteer]) == 0


def test_demo_enrollments_fill_a_position_and_its_waitlist_once(county_manager):
    admin = applicant("组织管理员")
    org = active_org(county_manager, actor=admin)
    a = published_activity(org, positions=[{"name": "引导员", "slots": 2}], shifts=[(at(3, 9), at(3, 12))])
    people = [register(name=f"演示{chr(0x4E00 + i)}", region_code=HUICHENG_TOWN) for i in range(5)]
    assert demo.seed(volunteers=people, org_admin_user=admin) == 4
    statuses = sorted(Enrollment.objects.filter(activity=a).values_list("status", flat=True))
    assert statuses == ["accepted", "accepted", "waitlisted", "waitlisted"]
    demo.seed(volunteers=people, org_admin_user=admin)
    assert (
        Enrollment.objects.filter(activity=a).values("volunteer").distinct().count()
        == Enrollment.objects.filter(activity=a).count()
    )
    assert slot_counts_check(a.pk) == []

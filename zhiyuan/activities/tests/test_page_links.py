"""Each activity page leads to the next step and back (issue 10, "pages for volunteers and
organizers"): 我的报名 → 评价活动 for a place served; a refused rating says why; the organizer's
报名管理, 签到管理, 签到名单 and 评价 lead back to the activity's management page; the check-in
screen says when nobody has checked in yet."""

import pytest
from django.urls import reverse

from zhiyuan.activities.models import Slot
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.records.tests.factories import another_volunteer, attend, org_with_admins, past_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_and_admin(county_manager):
    org, admins = org_with_admins(county_manager)
    return org, admins[0]


def test_my_enrollments_offers_the_rating_for_a_place_served_only(client, org_and_admin, volunteer):
    org, _admin = org_and_admin
    served = past_activity(org, title="已服务的活动")
    attend(served, volunteer)
    not_out = past_activity(org, title="未签退的活动")
    attend(not_out, volunteer, check_out=False)
    client.force_login(volunteer.user)
    page = client.get(reverse("activities:my_enrollments"), {"when": "past"}).content.decode()
    assert reverse("activities:rate", args=[served.pk]) in page
    assert reverse("activities:rate", args=[not_out.pk]) not in page
    assert page.count('data-link="rate"') == 1


def test_a_refused_rating_page_says_why(client, org_and_admin, volunteer):
    org, _admin = org_and_admin
    a = past_activity(org)
    attend(a, volunteer, check_out=False)
    client.force_login(volunteer.user)
    r = client.get(reverse("activities:rate", args=[a.pk]))
    assert r.status_code == 403
    assert "只有参加了活动并已签退的志愿者" in r.content.decode()


def test_the_organizer_pages_lead_back_to_the_activity(client, org_and_admin, volunteer):
    org, admin = org_and_admin
    a = published_activity(org, shifts=[(at(0, 0), at(0, 23))])
    shift = a.shifts.get()
    client.force_login(admin)
    back = reverse("activities:manage_detail", args=[a.pk])
    for url in (
        reverse("activities:enrollment_manage", args=[a.pk]),
        reverse("activities:attendance_screen", args=[shift.pk]),
        reverse("activities:attendance_list", args=[shift.pk]),
        reverse("activities:evaluations", args=[a.pk]),
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert f'href="{back}"' in r.content.decode(), url
    screen = client.get(reverse("activities:attendance_screen", args=[shift.pk])).content.decode()
    assert "还没有人签到" in screen and reverse("activities:attendance_list", args=[shift.pk]) in screen
    # filtered, an empty list is "no match", not "nobody"
    filtered = client.get(reverse("activities:attendance_list", args=[shift.pk]), {"volunteer_no": "1"}).content
    assert "还没有人签到" not in filtered.decode()
    attend(a, another_volunteer())
    screen = client.get(reverse("activities:attendance_screen", args=[shift.pk])).content.decode()
    assert "还没有人签到" not in screen


def test_a_shift_line_of_the_enrollment_page_filters_to_it(client, org_and_admin):
    org, admin = org_and_admin
    a = published_activity(org, shifts=[(at(3, 9), at(3, 12)), (at(4, 9), at(4, 12))])
    client.force_login(admin)
    page = client.get(reverse("activities:enrollment_manage", args=[a.pk])).content.decode()
    for slot in Slot.objects.filter(shift__activity=a):
        assert f"?shift={slot.shift_id}&amp;position={slot.position_id}" in page


def test_the_notice_tells_a_signed_up_volunteer_and_links_the_organizer_to_manage(client, org_and_admin, volunteer):
    from zhiyuan.activities import enrollment as svc

    org, admin = org_and_admin
    a = published_activity(org, shifts=[(at(3, 9), at(3, 12))])
    url = reverse("activities:square_detail", args=[a.pk])
    client.force_login(volunteer.user)
    assert "data-my-places" not in client.get(url).content.decode()
    svc.enroll(volunteer.user, Slot.objects.get(shift__activity=a))
    page = client.get(url).content.decode()
    assert "您已报名本活动 1 个班次" in page and reverse("activities:my_enrollments") in page
    assert reverse("activities:manage_detail", args=[a.pk]) not in page
    client.force_login(admin)
    assert reverse("activities:manage_detail", args=[a.pk]) in client.get(url).content.decode()

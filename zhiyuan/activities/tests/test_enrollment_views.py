"""Enrollment pages: the enrollment page explains each position before the click and signs up;
我的报名 with the cancel button and its deadline; the organizer's list with accept / reject and
the export; wrong scope; exact query counts at two row counts."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhiyuan.activities import enrollment as svc
from zhiyuan.activities.models import Enrollment, Slot
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations.tests.factories import active_org, applicant
from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin(db):
    return applicant("组织管理员")


@pytest.fixture
def org(county_manager, org_admin):
    return active_org(county_manager, actor=org_admin)


def act(org, **values):
    values.setdefault("shifts", [(at(3, 9), at(3, 12))])
    return published_activity(org, **values)


def test_the_enrollment_page_explains_each_position_then_signs_up(client, org, minor_volunteer):
    a = act(
        org,
        positions=[{"name": "水域救援", "slots": 2, "dangerous": True}, {"name": "讲解员", "slots": 1, "minors_allowed": True}],
    )
    client.force_login(minor_volunteer.user)
    url = reverse("activities:enroll", args=[a.pk])
    html = client.get(url).content.decode()
    assert "水域救援" in html and "危险岗位，未成年人不能参加" in html
    assert 'data-eligible="no"' in html and 'data-eligible="yes"' in html
    speaker = a.positions.get(name="讲解员")
    r = client.post(url, {"shift": a.shifts.get().pk, "position": speaker.pk, "note": "想试试"})
    assert r.status_code == 302 and r["Location"] == reverse("activities:my_enrollments")
    assert Enrollment.objects.get(volunteer=minor_volunteer).status == "accepted"
    # refused on the page with the reason, nothing saved
    danger = a.positions.get(name="水域救援")
    Enrollment.objects.all().update(status="cancelled")
    Slot.objects.filter(position=speaker).update(accepted=0)
    r = client.post(url, {"shift": a.shifts.get().pk, "position": danger.pk})
    assert r.status_code == 409 and "未成年人不能参加" in r.content.decode()
    assert Enrollment.objects.filter(status="accepted").count() == 0


def test_the_enrollment_page_refuses_drafts_and_unknown_positions(client, org, volunteer):
    draft = act(org, status="draft")
    client.force_login(volunteer.user)
    assert client.get(reverse("activities:enroll", args=[draft.pk])).status_code == 404
    a = act(org)
    r = client.post(reverse("activities:enroll", args=[a.pk]), {"shift": a.shifts.get().pk, "position": 10**9})
    assert r.status_code == 409 and "请选择有效的班次和岗位" in r.content.decode()


@pytest.mark.parametrize("n", [1, 3])
def test_my_enrollments_page_with_cancel_and_deadline(client, org, volunteer, n, django_assert_num_queries):
    for i in range(n):
        svc.enroll(volunteer.user, Slot.objects.get(shift__activity=act(org, shifts=[(at(3 + i, 9), at(3 + i, 12))])))
    client.force_login(volunteer.user)
    url = reverse("activities:my_enrollments")
    client.get(url)
    # session, user, roles, volunteer row (role provider), the page; navigation from the cached roles
    with django_assert_num_queries(6):
        html = client.get(url).content.decode()
    assert html.count('data-action="cancel"') == n and html.count("data-deadline") == n
    e = Enrollment.objects.filter(volunteer=volunteer).order_by("starts_at").first()
    r = client.post(reverse("activities:enrollment_cancel", args=[e.pk]), {"reason": "临时有事"})
    assert r.status_code == 302 and Enrollment.objects.get(pk=e.pk).status == "cancelled"


def test_someone_elses_enrollment_cannot_be_cancelled_from_the_page(client, org, volunteer, huiyang_volunteer):
    e = svc.enroll(volunteer.user, Slot.objects.get(shift__activity=act(org)))
    client.force_login(huiyang_volunteer.user)
    assert client.post(reverse("activities:enrollment_cancel", args=[e.pk])).status_code == 404
    assert Enrollment.objects.get(pk=e.pk).status == "accepted"


@pytest.mark.parametrize("n", [1, 3])
def test_organizer_page_lists_decides_and_exports(client, org, org_admin, n, django_assert_num_queries):
    a = act(org, enrollment_mode="review", positions=[{"name": "引导员", "slots": 2}])
    people = [register(name=f"报名{chr(0x4E00 + i)}", region_code=HUICHENG_TOWN) for i in range(n)]
    es = [svc.enroll(p.user, Slot.objects.get(shift__activity=a)) for p in people]
    client.force_login(org_admin)
    url = reverse("activities:enrollment_manage", args=[a.pk])
    client.get(url)
    # session, user, roles, volunteer row, activity, slots, shift and position pickers, the page
    with django_assert_num_queries(10):
        html = client.get(url).content.decode()
    assert html.count('data-action="accept"') == n and html.count('data-action="reject"') == n
    r = client.post(reverse("activities:enrollment_decide", args=[a.pk, es[0].pk, "accept"]))
    assert r.status_code == 302 and Enrollment.objects.get(pk=es[0].pk).status == "accepted"
    if n > 1:
        client.post(reverse("activities:enrollment_decide", args=[a.pk, es[-1].pk, "reject"]), {"reason": "年龄不符"})
        assert Enrollment.objects.get(pk=es[-1].pk).status == "rejected"
    filtered = client.get(url, {"status": "accepted"}).content.decode()
    assert filtered.count("data-row=") == 1
    export = client.get(reverse("activities:enrollment_export", args=[a.pk]))
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 1 + n and "*" in rows[1][2]  # the mobile number is masked
    assert AuditEntry.objects.filter(action="activities.enrollment.export").exists()


def test_organizer_page_scope(client, org, county_manager, other_county_manager, volunteer):
    a = act(org, enrollment_mode="review")
    e = svc.enroll(volunteer.user, Slot.objects.get(shift__activity=a))
    url = reverse("activities:enrollment_manage", args=[a.pk])
    other_admin = applicant("别的组织管理员")
    active_org(county_manager, actor=other_admin)
    for outsider in (other_admin, other_county_manager, volunteer.user):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(reverse("activities:enrollment_decide", args=[a.pk, e.pk, "accept"])).status_code == 404
    client.force_login(county_manager)  # sees the list, may not decide
    html = client.get(url).content.decode()
    assert volunteer.name in html and 'data-action="accept"' not in html
    assert client.post(reverse("activities:enrollment_decide", args=[a.pk, e.pk, "accept"])).status_code == 403
    assert Enrollment.objects.get(pk=e.pk).status == "pending"


def test_the_volunteer_reaches_check_in_from_an_accepted_place_and_the_organizer_from_the_shift(client, org, org_admin):
    """The pages link where the next step happens: 我的报名 → 签到/签退 for an accepted place of a
    shift that is near; the organizer's activity page → 签到管理 per shift, 报名管理, 评价志愿者."""
    import datetime as dt

    from django.utils import timezone

    start = (timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    a = act(org, shifts=[(start, start + dt.timedelta(hours=2))], cancel_deadline_hours=1)
    v = register(name="链接", region_code=HUICHENG_TOWN)
    svc.enroll(v.user, Slot.objects.get(shift__activity=a))
    client.force_login(v.user)
    page = client.get(reverse("activities:my_enrollments")).content.decode()
    assert reverse("activities:attendance_scan") in page
    client.force_login(org_admin)
    page = client.get(reverse("activities:manage_detail", args=[a.pk])).content.decode()
    shift = a.shifts.get()
    for url in (
        reverse("activities:attendance_screen", args=[shift.pk]),
        reverse("activities:enrollment_manage", args=[a.pk]),
        reverse("activities:evaluations", args=[a.pk]),
    ):
        assert url in page

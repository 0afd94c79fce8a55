"""The pages: a volunteer's hours and corrections, the organization's queue, entries, honour
and corrections — same services as the API, scope 404/403, phone cards from core.lists."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhiyuan.activities.models import Attendance
from zhiyuan.records import services
from zhiyuan.records.models import CorrectionRequest, HonourGrant, HourEntry
from zhiyuan.records.tests.factories import another_volunteer, attend, past_activity

pytestmark = pytest.mark.django_db
M = dt.timedelta(minutes=1)


def as_user(client, u):
    client.force_login(u)
    return client


def test_my_hours_page_shows_kept_totals_and_entries(client, admin, activity, volunteer):
    services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    r = as_user(client, volunteer.user).get(reverse("records:my_hours"))
    body = r.content.decode()
    assert r.status_code == 200 and "data-total-credit" in body and "180" in body and activity.title in body
    assert "list-cards" in body  # the phone card layout of core.lists


def test_pages_need_a_volunteer_or_an_organizer(client, plain_user, org):
    c = as_user(client, plain_user)
    assert c.get(reverse("records:my_hours")).status_code == 404
    assert c.get(reverse("records:org_queue", args=[org.pk])).status_code == 404
    r = c.get(reverse("records:org_home"))
    assert r.status_code == 200 and "不是任何组织的管理员" in r.content.decode()


def test_queue_page_scope(client, org, admin, other_org_admin, county_manager, other_county_manager):
    for name in ("org_queue", "org_entries", "org_honour", "org_corrections"):
        url = reverse(f"records:{name}", args=[org.pk])
        assert as_user(client, admin).get(url).status_code == 200
        assert as_user(client, other_org_admin).get(url).status_code == 404
        assert as_user(client, other_county_manager).get(url).status_code == 404
        assert as_user(client, county_manager).get(url).status_code == 403


def test_queue_page_decisions(client, org, admin, activity, volunteer, other_org_admin):
    shift = activity.shifts.get()
    clean = attend(activity, volunteer)
    flagged = attend(activity, another_volunteer(), flags=["outside_geofence"])
    c = as_user(client, admin)
    body = c.get(reverse("records:org_queue", args=[org.pk])).content.decode()
    assert "不在签到范围内" in body and "data-bulk-confirm" in body
    # the flagged row offers no plain confirm and its checkbox is disabled
    r = c.post(reverse("records:org_queue_bulk", args=[org.pk]), {"ids": [clean.pk, flagged.pk]})
    assert r.status_code == 302
    assert Attendance.objects.get(pk=clean.pk).hours_state == "confirmed"
    assert Attendance.objects.get(pk=flagged.pk).hours_state == "pending"
    decide = reverse("records:attendance_decide", args=[flagged.pk])
    assert as_user(client, other_org_admin).post(decide, {"action": "void", "reason": "x"}).status_code == 404
    c = as_user(client, admin)
    c.post(decide, {"action": "adjust", "ends_at": "", "reason": "核实"})
    assert Attendance.objects.get(pk=flagged.pk).hours_state == "pending"
    end = (shift.starts_at + 60 * M).astimezone(dt.timezone(dt.timedelta(hours=8)))
    r = c.post(decide, {"action": "adjust", "ends_at": end.strftime("%Y-%m-%dT%H:%M"), "reason": "电话核实"}, follow=True)
    assert "时长已确认" in r.content.decode()
    assert HourEntry.objects.get(attendance=flagged).minutes == 60


def test_queue_decisions_keep_the_managers_filter(client, org, admin, activity, volunteer):
    """After a bulk confirm or a row's decision the manager is back on the queue as filtered;
    only the query is taken from the form (its cursor dropped), never another path."""
    clean = attend(activity, volunteer)
    flagged = attend(activity, another_volunteer(), flags=["outside_geofence"])
    c = as_user(client, admin)
    queue = reverse("records:org_queue", args=[org.pk])
    body = c.get(queue, {"activity": activity.pk}).content.decode()
    back = f"activity={activity.pk}"
    assert body.count(f'name="back" value="{back}"') == 3  # the bulk form and each row's form
    assert 'name="back"' not in c.get(queue).content.decode()  # unfiltered: nothing to keep
    r = c.post(reverse("records:org_queue_bulk", args=[org.pk]), {"ids": [clean.pk], "back": back + "&cursor=x"})
    assert r.status_code == 302 and r["Location"] == f"{queue}?{back}"
    assert Attendance.objects.get(pk=clean.pk).hours_state == "confirmed"
    decide = reverse("records:attendance_decide", args=[flagged.pk])
    r = c.post(decide, {"action": "void", "reason": "重复签到", "back": back}, follow=True)
    assert r.redirect_chain == [(f"{queue}?{back}", 302)] and "已作废" in r.content.decode()
    for hostile in ("//evil.example/x", "https://evil.example/", "/accounts/logout/?a=1", "a=1\r\nSet-Cookie: x=1"):
        r = c.post(decide, {"action": "bogus", "back": hostile})
        location = r["Location"]
        assert location == queue or location.startswith(queue + "?"), location
        assert "\n" not in location and "//" not in location.removeprefix(queue)
    assert c.post(decide, {"action": "bogus"})["Location"] == queue


def test_a_malformed_decision_is_said_not_dropped(client, org, admin, second_admin, activity, volunteer):
    attend(activity, volunteer)
    grant = services.honour_propose(
        actor=admin, organization=org, volunteer_no=volunteer.volunteer_no, minutes=30,
        service_date=dt.date(2026, 2, 1), reason="表彰",
    )  # fmt: skip
    r = as_user(client, second_admin).post(reverse("records:honour_decide", args=[grant.pk]), {"action": "?"}, follow=True)
    assert "提交的数据有误" in r.content.decode()
    assert HonourGrant.objects.get().status == grant.status


def test_entry_change_page(client, org, admin, activity, volunteer):
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    c = as_user(client, admin)
    assert activity.title in c.get(reverse("records:org_entries", args=[org.pk])).content.decode()
    r = c.post(reverse("records:entry_change", args=[entry.pk]), {"action": "void", "reason": ""}, follow=True)
    assert "请填写原因" in r.content.decode() and HourEntry.objects.count() == 1
    c.post(reverse("records:entry_change", args=[entry.pk]), {"action": "void", "reason": "重复"})
    assert HourEntry.objects.count() == 2


def test_honour_page(client, org, admin, second_admin, activity, volunteer):
    attend(activity, volunteer)
    url = reverse("records:org_honour", args=[org.pk])
    c = as_user(client, admin)
    r = c.post(url, {"volunteer_no": "nobody", "minutes": 30, "service_date": "2026-02-01", "reason": "表彰"})
    assert r.status_code == 422 and not HonourGrant.objects.exists()
    r = c.post(url, {"volunteer_no": volunteer.volunteer_no, "minutes": 30, "service_date": "2026-02-01", "reason": "表彰"})
    assert r.status_code == 302
    grant = HonourGrant.objects.get()
    assert "待他人审批" in c.get(url).content.decode()
    as_user(client, second_admin).post(reverse("records:honour_decide", args=[grant.pk]), {"action": "approve"})
    assert HourEntry.objects.get().kind == "honour"


def test_correction_pages(client, org, admin, activity, volunteer):
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    c = as_user(client, volunteer.user)
    assert c.get(reverse("records:correction_new")).status_code == 200
    r = c.post(reverse("records:correction_new"), {"kind": "error", "entry_id": entry.pk, "explanation": ""})
    assert r.status_code == 400 and not CorrectionRequest.objects.exists()
    pdf = SimpleUploadedFile("p.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    r = c.post(reverse("records:correction_new"), {"kind": "error", "entry_id": entry.pk, "explanation": "少记", "file": pdf})
    assert r.status_code == 302
    req = CorrectionRequest.objects.get()
    assert "记录错误" in c.get(reverse("records:my_corrections")).content.decode()
    a = as_user(client, admin)
    body = a.get(reverse("records:org_corrections", args=[org.pk])).content.decode()
    assert reverse("records:correction_evidence", args=[req.pk]) in body
    assert a.get(reverse("records:correction_evidence", args=[req.pk])).content == b"%PDF-1.4 evidence"
    a.post(reverse("records:correction_decide", args=[req.pk]), {"action": "reject", "note": "一致"})
    assert CorrectionRequest.objects.get().status == "rejected"


QUEUE_PAGE_QUERIES = 7  # includes the notification badge


@pytest.mark.parametrize("n", [1, 4])
def test_queue_page_query_count_is_constant(client, org, admin, activity, n, django_assert_num_queries):
    for _i in range(n):
        attend(activity, another_volunteer())
    c = as_user(client, admin)
    url = reverse("records:org_queue", args=[org.pk])
    c.get(url)
    with django_assert_num_queries(QUEUE_PAGE_QUERIES):
        r = c.get(url)
    assert r.content.decode().count('name="ids"') == n


MY_PAGE_QUERIES = 8  # includes the notification badge


@pytest.mark.parametrize("n", [1, 4])
def test_my_hours_page_query_count_is_constant(client, org, admin, volunteer, n, django_assert_num_queries):
    for i in range(n):
        services.attendance_confirm(actor=admin, attendance=attend(past_activity(org, days=-1 - i), volunteer))
    c = as_user(client, volunteer.user)
    url = reverse("records:my_hours")
    c.get(url)
    with django_assert_num_queries(MY_PAGE_QUERIES):
        r = c.get(url)
    assert r.status_code == 200

"""/api/v1/records: the queue and decisions (scope 404/403, bad input 422, overlap 409), the
volunteer's totals and entries, honour, corrections; lists pinned at two row counts."""

import datetime as dt

import pytest

from zhiyuan.records import services
from zhiyuan.records.models import HourEntry
from zhiyuan.records.tests.factories import another_volunteer, attend, past_activity

pytestmark = pytest.mark.django_db
BASE = "/api/v1/records"
M = dt.timedelta(minutes=1)
JSON = "application/json"


def as_user(client, u):
    client.force_login(u)
    return client


def test_queue_lists_finished_undecided_attendances_with_flags(client, org, admin, activity, volunteer):
    clean = attend(activity, volunteer)
    flagged = attend(activity, another_volunteer(), flags=["offline"])
    decided = attend(activity, another_volunteer())
    services.attendance_void(actor=admin, attendance=decided, reason="未到岗")
    from django.utils import timezone

    now = timezone.now()
    running = past_activity(org, days=0, start=0, end=1)
    from zhiyuan.activities.models import Shift

    Shift.objects.filter(activity=running).update(starts_at=now - 60 * M, ends_at=now + 60 * M)
    attend(running, another_volunteer(), check_in=now - 30 * M, check_out=False)  # shift not over: not in the queue
    r = as_user(client, admin).get(f"{BASE}/organizations/{org.pk}/queue")
    assert r.status_code == 200, r.content
    rows = {i["attendance_id"]: i for i in r.json()["items"]}
    assert set(rows) == {clean.pk, flagged.pk}
    assert rows[clean.pk]["needs_decision"] == [] and rows[flagged.pk]["needs_decision"] == ["offline"]


def test_queue_scope(client, org, admin, other_org_admin, county_manager, other_county_manager):
    url = f"{BASE}/organizations/{org.pk}/queue"
    assert as_user(client, other_county_manager).get(url).status_code == 404  # invisible
    assert as_user(client, county_manager).get(url).status_code == 403  # visible, records nothing
    assert as_user(client, other_org_admin).get(url).status_code == 404
    assert as_user(client, admin).get(f"{BASE}/organizations/999999/queue").status_code == 404


def test_confirm_adjust_void_through_the_api(client, admin, activity, volunteer, other_org_admin, county_manager):
    shift = activity.shifts.get()
    att = attend(activity, volunteer, flags=["auto_closed"])
    url = f"{BASE}/attendances/{att.pk}/confirm"
    assert as_user(client, other_org_admin).post(url, {}, content_type=JSON).status_code == 404
    assert as_user(client, county_manager).post(url, {}, content_type=JSON).status_code == 403
    c = as_user(client, admin)
    r = c.post(url, {}, content_type=JSON)
    assert r.status_code == 409 and r.json()["code"] == "needs_decision"
    r = c.post(url, {"ends_at": "2026-99-01T10:00"}, content_type=JSON)
    assert r.status_code == 422
    r = c.post(url, {"ends_at": (shift.starts_at + 100 * M).isoformat()}, content_type=JSON)
    assert r.status_code == 422 and "reason" in r.json()["fields"]
    r = c.post(url, {"ends_at": (shift.starts_at + 100 * M).isoformat(), "reason": "核实"}, content_type=JSON)
    assert r.status_code == 201 and r.json()["minutes"] == 100
    entry_id = r.json()["id"]
    r = c.post(f"{BASE}/entries/{entry_id}/correct", {"ends_at": shift.ends_at.isoformat(), "reason": "补正"}, content_type=JSON)
    assert r.status_code == 201 and r.json()["minutes"] == 80
    r = c.post(f"{BASE}/entries/{entry_id}/void", {"reason": "作废"}, content_type=JSON)
    assert r.status_code == 201 and r.json()["minutes"] == -180
    assert (
        as_user(client, other_org_admin).post(f"{BASE}/entries/{entry_id}/void", {"reason": "x"}, content_type=JSON).status_code
        == 404
    )


def test_overlap_is_409_naming_the_activity(client, org, admin, volunteer):
    a = past_activity(org, start=9, end=12, title="敬老院探访")
    b = past_activity(org, start=10, end=13)
    services.attendance_confirm(actor=admin, attendance=attend(a, volunteer))
    att = attend(b, volunteer)
    r = as_user(client, admin).post(f"{BASE}/attendances/{att.pk}/confirm", {}, content_type=JSON)
    assert r.status_code == 409 and r.json()["code"] == "overlap" and "敬老院探访" in r.json()["message"]


def test_bulk_confirm(client, org, admin, activity, volunteer):
    atts = [attend(activity, volunteer), attend(activity, another_volunteer(), flags=["manual"])]
    r = as_user(client, admin).post(
        f"{BASE}/organizations/{org.pk}/queue/confirm", {"attendance_ids": [a.pk for a in atts]}, content_type=JSON
    )
    assert r.status_code == 200
    assert r.json()["confirmed"] == [atts[0].pk] and r.json()["skipped"][0]["code"] == "needs_decision"
    r = client.post(f"{BASE}/organizations/{org.pk}/queue/confirm", {"attendance_ids": "x"}, content_type=JSON)
    assert r.status_code == 422


def test_my_hours_and_entries(client, admin, activity, volunteer, plain_user):
    services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    c = as_user(client, volunteer.user)
    s = c.get(f"{BASE}/me/summary").json()
    year = activity.starts_at.year
    assert s["lifetime"] == {"credit_minutes": 180, "honour_minutes": 0}
    assert s["years"] == [{"year": year, "credit_minutes": 180, "honour_minutes": 0}]
    items = c.get(f"{BASE}/me/entries", {"year": year}).json()["items"]
    assert [i["minutes"] for i in items] == [180]
    assert c.get(f"{BASE}/me/entries", {"year": year - 1}).json()["items"] == []
    assert c.get(f"{BASE}/me/entries", {"year": "abc"}).status_code == 422
    assert as_user(client, plain_user).get(f"{BASE}/me/summary").status_code == 404
    assert as_user(client, plain_user).get(f"{BASE}/me/entries").json()["items"] == []


def test_honour_flow(client, org, admin, second_admin, activity, volunteer):
    attend(activity, volunteer)
    body = {"volunteer_no": volunteer.volunteer_no, "minutes": 90, "service_date": "2026-02-01", "reason": "表彰"}
    r = as_user(client, admin).post(f"{BASE}/organizations/{org.pk}/honour", body, content_type=JSON)
    assert r.status_code == 201, r.content
    gid = r.json()["id"]
    assert client.post(f"{BASE}/honour/{gid}/approve", {}, content_type=JSON).status_code == 403  # the proposer
    r = as_user(client, second_admin).post(f"{BASE}/honour/{gid}/approve", {}, content_type=JSON)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert HourEntry.objects.get().approved_by_id == second_admin.pk
    r = client.post(f"{BASE}/organizations/{org.pk}/honour", {**body, "surprise": 1}, content_type=JSON)
    assert r.status_code == 422


def test_correction_flow_with_evidence(client, admin, activity, volunteer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    c = as_user(client, volunteer.user)
    r = c.post(
        f"{BASE}/corrections",
        {
            "kind": "error",
            "entry_id": entry.pk,
            "explanation": "少记了",
            "file": SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\nxx"),
        },
    )
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["has_evidence"] is True
    assert c.get(f"{BASE}/corrections/{cid}/evidence").content == b"\x89PNG\r\n\x1a\nxx"
    assert [i["id"] for i in c.get(f"{BASE}/me/corrections").json()["items"]] == [cid]
    assert c.post(f"{BASE}/corrections/{cid}/reject", {"reason": "x"}, content_type=JSON).status_code == 403
    a = as_user(client, admin)
    assert [i["id"] for i in a.get(f"{BASE}/organizations/{activity.organization_id}/corrections").json()["items"]] == [cid]
    r = a.post(f"{BASE}/corrections/{cid}/reject", {"reason": "签到表一致"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["status"] == "rejected"


QUEUE_QUERIES = 6  # session, user, roles, organization, roles re-check … and the page


@pytest.mark.parametrize("n", [1, 4])
def test_queue_query_count_is_constant(client, org, admin, activity, n, django_assert_num_queries):
    for _i in range(n):
        attend(activity, another_volunteer())
    c = as_user(client, admin)
    url = f"{BASE}/organizations/{org.pk}/queue"
    c.get(url)
    with django_assert_num_queries(QUEUE_QUERIES):
        r = c.get(url)
    assert len(r.json()["items"]) == n


ENTRIES_QUERIES = 4  # session, user (with the two-factor hint: no role query for a volunteer), volunteer, the page


@pytest.mark.parametrize("n", [1, 4])
def test_my_entries_query_count_is_constant(client, org, admin, volunteer, n, django_assert_num_queries):
    for i in range(n):
        services.attendance_confirm(actor=admin, attendance=attend(past_activity(org, days=-1 - i), volunteer))
    c = as_user(client, volunteer.user)
    url = f"{BASE}/me/entries"
    c.get(url)
    with django_assert_num_queries(ENTRIES_QUERIES):
        r = c.get(url)
    assert len(r.json()["items"]) == n


def test_out_of_range_ids_are_not_server_errors(client, org, admin, volunteer):
    huge = 2**63
    c = as_user(client, admin)
    r = c.post(f"{BASE}/organizations/{org.pk}/queue/confirm", {"attendance_ids": [huge]}, content_type=JSON)
    assert r.status_code == 422
    assert c.get(f"{BASE}/organizations/{org.pk}/queue", {"activity": huge}).status_code == 422
    assert c.post(f"{BASE}/attendances/{huge}/confirm", {}, content_type=JSON).status_code == 404
    r = as_user(client, volunteer.user).post(f"{BASE}/corrections", {"kind": "error", "entry_id": str(huge), "explanation": "x"})
    assert r.status_code == 422 and "entry_id" in r.json()["fields"]


def test_honour_and_correction_decisions_outside_scope(
    client, org, admin, other_org_admin, other_county_manager, activity, volunteer
):
    attend(activity, volunteer)
    grant = services.honour_propose(
        actor=admin, organization=org, volunteer_no=volunteer.volunteer_no, minutes=30, service_date="2026-01-02", reason="x"
    )
    entry = services.attendance_confirm(actor=admin, attendance=attend(past_activity(org, days=-3), volunteer))
    req = services.correction_file(actor=volunteer.user, kind="error", entry_id=entry.pk, explanation="x")
    for actor in (other_org_admin, other_county_manager):
        c = as_user(client, actor)
        assert c.post(f"{BASE}/honour/{grant.pk}/approve", {}, content_type=JSON).status_code == 404
        assert c.post(f"{BASE}/corrections/{req.pk}/accept", {}, content_type=JSON).status_code == 404
        assert c.get(f"{BASE}/corrections/{req.pk}/evidence").status_code == 404
        body = {"volunteer_no": volunteer.volunteer_no, "minutes": 30, "service_date": "2026-01-02", "reason": "x"}
        assert c.post(f"{BASE}/organizations/{org.pk}/honour", body, content_type=JSON).status_code == 404
    assert HourEntry.objects.count() == 1

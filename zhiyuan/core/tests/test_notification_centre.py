"""The notification centre (SPEC ACT-7): the page /notifications/, the badge in the top bar and
the API /api/v1/notifications — a user's own notices only (another's is a 404), unread first,
keyset pages at a fixed number of queries, one badge query per page and none when signed out."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhiyuan.core.models import Notification, NotificationPreference
from zhiyuan.core.notifications import notify
from zhiyuan.testing import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications"

# Session, user, roles (+ the volunteer role provider: the second factor check), the rows; the
# page adds the badge. Nothing counts the user's notices or reads per row.
PAGE_QUERIES = 6
API_QUERIES = 5


@pytest.fixture
def alice(db):
    return make_user("13800000201", "爱丽丝")


@pytest.fixture
def bob(db):
    return make_user("13800000202", "鲍勃")


def _notices(user, n, **kw):
    return [notify(user=user, kind="records.hours.confirmed", title=f"通知{i}", deliver=False, **kw) for i in range(n)]


def test_the_page_lists_my_notices_unread_first_newest_first(client, alice, bob):
    a, b, c = _notices(alice, 3)
    _notices(bob, 1)
    Notification.objects.filter(pk=c.pk).update(unread=False, read_at=c.created_at)
    client.force_login(alice)
    r = client.get("/notifications/")
    assert r.status_code == 200
    ids = [n.pk for n in r.context["rows"]]
    assert ids == [b.pk, a.pk, c.pk]  # unread (newest first), then read
    html = r.content.decode()
    assert "鲍勃" not in html and 'data-unread="2"' in html  # the badge
    assert [n.pk for n in client.get("/notifications/?sort=newest").context["rows"]] == [c.pk, b.pk, a.pk]
    assert [n.pk for n in client.get("/notifications/?status=read").context["rows"]] == [c.pk]


def test_the_page_pages_forward_by_keyset(client, alice):
    made = _notices(alice, 25)
    client.force_login(alice)
    first = client.get("/notifications/")
    assert len(first.context["rows"]) == 20 and first.context["next_cursor"]
    second = client.get(f"/notifications/?cursor={first.context['next_cursor']}")
    seen = [n.pk for n in first.context["rows"]] + [n.pk for n in second.context["rows"]]
    assert seen == [n.pk for n in reversed(made)] and second.context["next_cursor"] is None


def test_marking_one_and_all_read(client, alice):
    a, b, _c = _notices(alice, 3)
    client.force_login(alice)
    r = client.post(f"/notifications/{a.pk}/read/", {"next": "/notifications/?sort=newest"})
    assert r.status_code == 302 and r["Location"] == "/notifications/?sort=newest"
    a.refresh_from_db()
    assert not a.unread
    r = client.post(f"/notifications/{b.pk}/read/", {"next": "https://evil.example/"})
    assert r["Location"] == "/notifications/"  # never off-site
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(user=alice, unread=True).exists()
    assert "data-unread" not in client.get("/notifications/").content.decode()


def test_opening_a_notice_marks_it_read_and_follows_its_link(client, alice):
    n = notify(user=alice, kind="training.certificate.renewal", title="证书将到期", url="/training/my/", deliver=False)
    client.force_login(alice)
    r = client.get(f"/notifications/{n.pk}/")
    assert r.status_code == 302 and r["Location"] == "/training/my/"
    n.refresh_from_db()
    assert not n.unread


def test_another_users_notice_is_not_found(client, alice, bob, platform_admin):
    (theirs,) = _notices(bob, 1)
    for actor in (alice, platform_admin):  # not even a platform admin reads someone's notices
        client.force_login(actor)
        assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
        assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
        assert client.post(f"{API}/{theirs.pk}/read").status_code == 404
        for missing in (999999, -1, 0, 10**30):  # a huge id is "not found" too, never a 500
            assert client.post(f"{API}/{missing}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.unread


def test_signed_out_the_centre_asks_for_a_login(client):
    assert client.get("/notifications/").status_code == 302
    assert client.get(API).status_code == 401
    assert client.post("/notifications/read-all/").status_code == 302


def test_the_page_and_the_api_cost_the_same_queries_at_two_row_counts(client, alice, django_assert_num_queries):
    client.force_login(alice)
    for n in (2, 30):
        _notices(alice, n)
        for url, expected in (("/notifications/", PAGE_QUERIES), (API, API_QUERIES)):
            client.get(url)  # the first request of a session also saves it
            with django_assert_num_queries(expected):
                r = client.get(url)
            assert r.status_code == 200


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_the_badge_is_one_query_per_page_and_none_when_signed_out(client, alice):
    _notices(alice, 3)
    assert not [q for q in _queries(client, "/organizations/directory/") if 'FROM "core_notification" ' in q]
    client.force_login(alice)
    client.get("/accounts/settings/")
    badge = [q for q in _queries(client, "/accounts/settings/") if 'FROM "core_notification" ' in q]
    assert len(badge) == 1 and "LIMIT 100" in badge[0] and "COUNT(" not in badge[0].upper()
    assert 'data-unread="3"' in client.get("/accounts/settings/").content.decode()


def test_badge_shows_99_plus(client, alice):
    Notification.objects.bulk_create([Notification(user=alice, kind="x", title=str(i)) for i in range(120)])
    client.force_login(alice)
    assert ">99+</span>" in client.get("/").content.decode()


# --- API ---------------------------------------------------------------------------------------------


def test_api_list_shape_and_keyset(client, alice, bob):
    made = _notices(alice, 3)
    notify(user=alice, kind="activities.shift.reminder", title="上岗", url="/activities/1/", deliver=False)
    _notices(bob, 2)
    client.force_login(alice)
    body = client.get(API, {"page_size": 3}).json()
    assert set(body) == {"items", "next_cursor"} and body["next_cursor"]
    first = body["items"][0]
    assert set(first) == {"id", "kind", "topic", "title", "body", "url", "created_at", "read_at", "unread"}
    assert first["kind"] == "activities.shift.reminder" and first["topic"] == "activities.shift"
    assert first["url"] == "/activities/1/" and first["unread"] is True and first["read_at"] is None
    rest = client.get(API, {"page_size": 3, "cursor": body["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == [made[0].pk] and rest["next_cursor"] is None
    assert client.get(API, {"status": "nope"}).status_code == 422
    assert client.get(API, {"cursor": "garbage"}).status_code == 422


def test_api_unread_count_mark_read_and_mark_all(client, alice):
    a, _b, _c = _notices(alice, 3)
    client.force_login(alice)
    assert client.get(f"{API}/unread-count").json() == {"unread": 3, "capped": False}
    r = client.post(f"{API}/{a.pk}/read")
    assert r.status_code == 200 and r.json()["unread"] is False and r.json()["read_at"]
    assert client.post(f"{API}/{a.pk}/read").status_code == 200  # again: no change
    assert client.get(f"{API}/unread-count").json()["unread"] == 2
    assert client.post(f"{API}/read-all").json() == {"marked": 2}
    assert client.get(f"{API}/unread-count").json() == {"unread": 0, "capped": False}
    assert [i["id"] for i in client.get(API, {"status": "unread"}).json()["items"]] == []


def test_api_preferences(client, alice):
    client.force_login(alice)
    items = {i["topic"]: i for i in client.get(f"{API}/preferences").json()["items"]}
    assert items["activities.shift"] == {
        "topic": "activities.shift", "label": "上岗提醒", "email": True, "sms": True, "sms_available": True,
    }  # fmt: skip
    assert items["insurance"]["sms_available"] is False and items["other"]["email"] is True
    r = client.put(f"{API}/preferences", {"topics": {"activities.shift": {"sms": False}}}, content_type="application/json")
    assert r.status_code == 200
    got = {i["topic"]: i for i in r.json()["items"]}["activities.shift"]
    assert got["sms"] is False and got["email"] is True
    r = client.put(f"{API}/preferences", {"topics": {"insurance": {"sms": True}}}, content_type="application/json")
    assert r.status_code == 422 and "insurance" in r.json()["fields"]
    r = client.put(f"{API}/preferences", {"topics": {}, "extra": 1}, content_type="application/json")
    assert r.status_code == 422
    assert list(NotificationPreference.objects.filter(user=alice).values_list("topic", "email", "sms")) == [
        ("activities.shift", True, False)
    ]


def test_settings_page_saves_preferences(client, alice):
    client.force_login(alice)
    page = client.get("/accounts/settings/").content.decode()
    assert 'name="sms:activities.shift"' in page and 'name="sms:insurance"' not in page
    # only e-mail for enrollment results ticked: every other box is off
    r = client.post("/accounts/settings/", {"action": "notifications", "email:activities.enrollment": "on"})
    assert r.status_code == 302
    prefs = {p.topic: (p.email, p.sms) for p in NotificationPreference.objects.filter(user=alice)}
    assert prefs["activities.enrollment"] == (True, False)
    assert prefs["activities.shift"] == (False, False) and prefs["other"] == (False, False)

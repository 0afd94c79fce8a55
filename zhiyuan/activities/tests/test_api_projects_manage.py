"""/api/v1/activities/projects and /api/v1/activities/manage: the same rules through the API —
status codes for wrong scope (404) and visible-but-not-allowed (403), 422 bad input, 409
out-of-order — and list query counts pinned at two row counts."""

import pytest

from zhiyuan.activities.models import Activity, Project
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.activities.tests.support_projects import HUIYANG_TOWN, NOTICE, active_org, admin_of, draft_project

pytestmark = pytest.mark.django_db
BASE = "/api/v1/activities"
JSON = "application/json"


@pytest.fixture
def org(county_manager):
    return active_org(county_manager)


@pytest.fixture
def admin(org):
    return admin_of(org)


@pytest.fixture
def other_admin(other_county_manager):
    return admin_of(active_org(other_county_manager, region_code=HUIYANG_TOWN))


def as_user(client, user):
    client.force_login(user)
    return client


PROJECT = {
    "name": "“护河行动”节水护河",
    "category": "water",
    "target_group": "西枝江沿岸居民",
    "summary": "巡河、宣传、清理。",
    "goals": "每月巡河4次。",
    "budget": "12000.50",
    "starts_on": "2027-01-01",
    "ends_on": "2027-06-30",
}


def test_a_project_through_the_api(client, org, admin, county_manager):
    c = as_user(client, admin)
    r = c.post(f"{BASE}/projects", {**PROJECT, "organization_id": org.pk}, content_type=JSON)
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["budget"] == "12000.50" and r.json()["history"][0]["to_status"] == "draft"
    r = c.patch(f"{BASE}/projects/{pid}", {"goals": "每月巡河6次。"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["goals"] == "每月巡河6次。" and r.json()["name"] == PROJECT["name"]
    assert c.post(f"{BASE}/projects/{pid}/submit").json()["status"] == "submitted"
    assert c.post(f"{BASE}/projects/{pid}/submit").status_code == 409
    assert c.post(f"{BASE}/projects/{pid}/review", {"decision": "approve"}, content_type=JSON).status_code == 403
    c = as_user(client, county_manager)
    r = c.post(f"{BASE}/projects/{pid}/review", {"decision": "reject"}, content_type=JSON)
    assert r.status_code == 422 and "note" in r.json()["fields"]
    r = c.post(f"{BASE}/projects/{pid}/review", {"decision": "approve", "note": "同意", "is_brand": True}, content_type=JSON)
    assert r.status_code == 200 and r.json()["is_brand"] is True and r.json()["status"] == "approved"
    assert c.post(f"{BASE}/projects/{pid}/start").status_code == 403  # the organization starts it
    c = as_user(client, admin)
    assert c.post(f"{BASE}/projects/{pid}/start").json()["status"] == "running"
    assert c.post(f"{BASE}/projects/{pid}/close", {"note": "完成"}, content_type=JSON).json()["status"] == "closed"
    c = as_user(client, county_manager)
    r = c.post(f"{BASE}/projects/{pid}/evaluate", {"outcome": "成效显著", "outcome_score": 101}, content_type=JSON)
    assert r.status_code == 422
    r = c.post(f"{BASE}/projects/{pid}/evaluate", {"outcome": "成效显著", "outcome_score": 88}, content_type=JSON)
    assert r.json()["status"] == "evaluated" and len(r.json()["history"]) == 6


def test_project_api_scope_and_bad_input(client, org, admin, other_admin, other_county_manager, county_manager):
    p = draft_project(admin, org)
    for user in (other_admin, other_county_manager):
        c = as_user(client, user)
        assert c.get(f"{BASE}/projects/{p.pk}").status_code == 404
        assert c.post(f"{BASE}/projects/{p.pk}/submit").status_code == 404
        assert c.get(f"{BASE}/projects").json()["items"] == []
    c = as_user(client, county_manager)
    assert c.get(f"{BASE}/projects/{p.pk}").status_code == 200
    assert c.patch(f"{BASE}/projects/{p.pk}", {"name": "x"}, content_type=JSON).status_code == 403
    assert c.post(f"{BASE}/projects", {**PROJECT, "organization_id": org.pk}, content_type=JSON).status_code == 403
    c = as_user(client, admin)
    r = c.post(f"{BASE}/projects", {**PROJECT, "organization_id": org.pk, "surprise": 1}, content_type=JSON)
    assert r.status_code == 422 and "surprise" in r.json()["fields"]
    r = c.post(f"{BASE}/projects", {**PROJECT, "organization_id": org.pk, "category": "nope"}, content_type=JSON)
    assert r.status_code == 422 and r.json()["fields"]["category"] == ["请选择有效的服务类别。"]
    assert Project.objects.count() == 1


def test_review_queue_lists_what_the_actor_may_review(client, org, admin, county_manager, other_county_manager):
    from zhiyuan.activities import projects

    waiting = projects.project_submit(actor=admin, project=draft_project(admin, org))
    draft_project(admin, org, name="草稿项目")
    c = as_user(client, county_manager)
    assert [p["id"] for p in c.get(f"{BASE}/projects/review-queue").json()["items"]] == [waiting.pk]
    assert as_user(client, other_county_manager).get(f"{BASE}/projects/review-queue").json()["items"] == []
    assert as_user(client, admin).get(f"{BASE}/projects/review-queue").json()["items"] == []


def test_projects_export(client, org, admin, county_manager):
    from zhiyuan.core.models import AuditEntry

    draft_project(admin, org)
    for user in (county_manager, admin):
        r = as_user(client, user).get(f"{BASE}/projects/export.xlsx")
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="activities.project.export").count() == 2


@pytest.mark.parametrize("n", [1, 4])
def test_project_list_query_count_is_exact(client, org, admin, county_manager, n, django_assert_num_queries):
    for i in range(n):
        draft_project(admin, org, name=f"项目{i}")
    for user, queries in ((county_manager, PROJECT_LIST_QUERIES_MANAGER), (admin, PROJECT_LIST_QUERIES_ADMIN)):
        c = as_user(client, user)
        c.get(f"{BASE}/projects")  # the first request after a login saves the session
        with django_assert_num_queries(queries):
            r = c.get(f"{BASE}/projects")
        assert len(r.json()["items"]) == n


# session, user, role assignments, the volunteer role provider, the page of rows (organization
# joined), the page's region names — the same at 1 and 4 rows
PROJECT_LIST_QUERIES_MANAGER = 6
PROJECT_LIST_QUERIES_ADMIN = 6

ACTIVITY = {
    **{k: v for k, v in NOTICE.items()},
    "positions": [{"name": "巡河员", "slots": 4, "skills": ["rescue"], "min_age": 18, "dangerous": True}],
}


def test_an_activity_through_the_api(client, org, admin, county_manager):
    c = as_user(client, admin)
    body = {
        **ACTIVITY, "organization_id": org.pk,
        "recurrence": {"weekdays": [5], "start": "08:00", "end": "10:00", "from_date": at(7).date().isoformat(),
                       "until": at(34).date().isoformat(), "exceptions": []},
    }  # fmt: skip
    r = c.post(f"{BASE}/manage", body, content_type=JSON)
    assert r.status_code == 201, r.content
    data = r.json()
    aid, n = data["id"], len(data["shifts"])
    assert n == 4 and data["slots_total"] == 4 * n and data["recurring"] is True
    assert all(s["slots"][0]["capacity"] == 4 for s in data["shifts"])
    position = data["positions"][0]
    # a position as read is a position to send back (the output and input name the same fields)
    r = c.patch(f"{BASE}/manage/{aid}", {"positions": [{**position, "slots": 6}]}, content_type=JSON)
    assert r.status_code == 200 and r.json()["slots_total"] == 6 * n and r.json()["positions"][0]["id"] == position["id"]
    assert c.post(f"{BASE}/manage/{aid}/publish").json()["status"] == "published"
    c = as_user(client, county_manager)
    assert c.get(f"{BASE}/manage/{aid}").status_code == 200
    assert c.post(f"{BASE}/manage/{aid}/close").status_code == 403
    c = as_user(client, admin)
    assert c.post(f"{BASE}/manage/{aid}/cancel", {"reason": ""}, content_type=JSON).status_code == 422
    assert c.post(f"{BASE}/manage/{aid}/cancel", {"reason": "暴雨"}, content_type=JSON).json()["status"] == "cancelled"


def test_activity_api_scope_and_bad_input(client, org, admin, other_admin):
    a = published_activity(org)
    c = as_user(client, other_admin)
    for method, url in (("get", f"/manage/{a.pk}"), ("post", f"/manage/{a.pk}/close"), ("patch", f"/manage/{a.pk}")):
        r = getattr(c, method)(f"{BASE}{url}", {}, content_type=JSON)
        assert r.status_code == 404, url
    assert c.get(f"{BASE}/manage").json()["items"] == []
    r = c.post(f"{BASE}/manage", {**ACTIVITY, "organization_id": org.pk, "shifts": []}, content_type=JSON)
    assert r.status_code == 404
    c = as_user(client, admin)
    bad = {**ACTIVITY, "organization_id": org.pk, "shifts": [{"starts_at": "2027-01-01T10:00", "ends_at": "2027-01-01T09:00"}]}
    bad["positions"] = [{"name": "抢险", "slots": 2, "dangerous": True, "minors_allowed": True}]
    r = c.post(f"{BASE}/manage", bad, content_type=JSON)
    assert r.status_code == 422 and {"shifts", "positions.0.minors_allowed"} <= set(r.json()["fields"])
    assert Activity.objects.count() == 1
    r = c.post(f"{BASE}/manage/{a.pk}/publish")
    assert r.status_code == 409


@pytest.mark.parametrize("n", [1, 4])
def test_managed_activity_list_query_count_is_exact(client, org, admin, county_manager, n, django_assert_num_queries):
    for _ in range(n):
        published_activity(org)
    for user in (admin, county_manager):
        c = as_user(client, user)
        c.get(f"{BASE}/manage")
        with django_assert_num_queries(ACTIVITY_LIST_QUERIES):
            r = c.get(f"{BASE}/manage")
        assert len(r.json()["items"]) == n


ACTIVITY_LIST_QUERIES = 6  # as PROJECT_LIST_QUERIES_*


@pytest.mark.parametrize("n", [1, 4])
def test_review_queue_query_count_is_exact(client, org, admin, county_manager, n, django_assert_num_queries):
    from zhiyuan.activities import projects

    for i in range(n):
        projects.project_submit(actor=admin, project=draft_project(admin, org, name=f"待审{i}"))
    c = as_user(client, county_manager)
    c.get(f"{BASE}/projects/review-queue")
    with django_assert_num_queries(PROJECT_LIST_QUERIES_MANAGER):
        r = c.get(f"{BASE}/projects/review-queue")
    assert len(r.json()["items"]) == n


def test_date_filters_at_the_ends_of_the_calendar(client, org, admin):
    a = published_activity(org)
    c = as_user(client, admin)
    r = c.get(f"{BASE}/manage", {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [a.pk]
    day = a.starts_at.date().isoformat()
    assert [i["id"] for i in c.get(f"{BASE}/manage", {"date_from": day, "date_to": day}).json()["items"]] == [a.pk]
    assert c.get(f"{BASE}/manage", {"date_to": "2000-01-01"}).json()["items"] == []
    r = c.post(f"{BASE}/manage", {**ACTIVITY, "organization_id": org.pk,
                                   "shifts": [{"starts_at": "0001-01-01T00:30", "ends_at": "0001-01-01T02:00"}]},
               content_type=JSON)  # fmt: skip
    assert r.status_code == 422 and r.json()["fields"]["shifts"] == ["活动日期须在2000年至2100年之间。"]


def test_an_organization_filter_beyond_a_database_integer_is_a_422(client, admin):
    r = as_user(client, admin).get(f"{BASE}/manage", {"organization": 2**70})
    assert r.status_code == 422 and "organization" in r.json()["fields"]

"""The project library and organizer pages: what each role sees and may post, forms that keep
bad input on the page (nothing saved), and list pages with pinned query counts."""

import pytest

from zhiyuan.activities.models import Activity, Position, Project, Shift
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.activities.tests.support_projects import HUIYANG_TOWN, NOTICE, active_org, admin_of, draft_project

pytestmark = pytest.mark.django_db


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


def test_an_org_admin_proposes_and_the_manager_approves_from_the_queue(client, org, admin, county_manager):
    c = as_user(client, admin)
    assert c.get("/activities/projects/new/").status_code == 200
    data = {"organization_id": org.pk, "name": "社区助老", "category": "smart_elderly", "target_group": "老人",
            "summary": "教老人用手机", "goals": "100人次", "starts_on": "2027-01-01", "ends_on": "2027-03-01"}  # fmt: skip
    r = c.post("/activities/projects/new/", {**data, "ends_on": "2026-01-01"})
    assert r.status_code == 422 and "结束日期不能早于开始日期。" in r.content.decode() and not Project.objects.exists()
    r = c.post("/activities/projects/new/", data)
    p = Project.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/activities/projects/{p.pk}/"
    assert c.post(f"/activities/projects/{p.pk}/submit/").status_code == 302
    c = as_user(client, county_manager)
    page = c.get("/activities/projects/review/").content.decode()
    assert "社区助老" in page and f"/activities/projects/{p.pk}/review/" in page
    r = c.post(f"/activities/projects/{p.pk}/review/", {"decision": "reject", "note": "", "next": "queue"})
    assert r.status_code == 422 and Project.objects.get().status == "submitted"
    r = c.post(f"/activities/projects/{p.pk}/review/", {"decision": "approve", "is_demonstration": "on", "next": "queue"})
    assert r.status_code == 302 and r["Location"] == "/activities/projects/review/"
    p.refresh_from_db()
    assert p.status == "approved" and p.is_demonstration


def test_project_pages_answer_404_outside_and_403_when_not_allowed(client, org, admin, other_admin, county_manager):
    p = draft_project(admin, org)
    c = as_user(client, other_admin)
    assert c.get(f"/activities/projects/{p.pk}/").status_code == 404
    assert c.post(f"/activities/projects/{p.pk}/submit/").status_code == 404
    c = as_user(client, county_manager)
    assert c.get(f"/activities/projects/{p.pk}/").status_code == 200
    assert c.get(f"/activities/projects/{p.pk}/edit/").status_code == 403
    assert c.post(f"/activities/projects/{p.pk}/submit/").status_code == 403
    assert c.post(f"/activities/projects/{p.pk}/nonsense/").status_code == 404
    assert Project.objects.get().status == "draft"


def _activity_post(org, **extra):
    data = {k: v for k, v in NOTICE.items()}
    data.update({
        "organization_id": org.pk, "geofence_m": 300, "visibility": "public", "enrollment_mode": "auto",
        "cancel_deadline_hours": 24, "schedule": "single", "date": at(5).date().isoformat(), "start_time": "09:00",
        "end_time": "11:30",
        "positions-TOTAL_FORMS": 2, "positions-INITIAL_FORMS": 0, "positions-MIN_NUM_FORMS": 0, "positions-MAX_NUM_FORMS": 20,
        "positions-0-name": "引导员", "positions-0-slots": 4, "positions-0-skills": ["first_aid"],
    })  # fmt: skip
    data.update(extra)
    return data


def test_an_organizer_creates_publishes_and_edits_an_activity(client, org, admin):
    c = as_user(client, admin)
    page = c.get("/activities/manage/new/").content.decode()
    assert "data-map-picker" in page and "vendor/leaflet-1.9.4/leaflet.js" in page
    r = c.post("/activities/manage/new/", _activity_post(org))
    a = Activity.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/activities/manage/{a.pk}/"
    assert (a.slots_total, Shift.objects.filter(activity=a).count(), a.positions.get().skills) == (4, 1, ["first_aid"])
    assert c.post(f"/activities/manage/{a.pk}/publish/").status_code == 302
    page = c.get(f"/activities/manage/{a.pk}/").content.decode()
    assert 'data-activity-status="published"' in page and "引导员" in page
    edit = c.get(f"/activities/manage/{a.pk}/edit/")
    assert edit.status_code == 200
    position = a.positions.get()
    data = _activity_post(org, schedule="keep", **{
        "positions-INITIAL_FORMS": 1, "positions-0-id": position.pk, "positions-0-slots": 6,
        "positions-1-name": "摄影", "positions-1-slots": 1,
    })  # fmt: skip
    data.pop("organization_id")
    r = c.post(f"/activities/manage/{a.pk}/edit/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    a.refresh_from_db()
    assert a.slots_total == 7 and Position.objects.filter(activity=a).count() == 2


def test_a_bad_activity_form_stays_on_the_page_and_saves_nothing(client, org, admin):
    c = as_user(client, admin)
    r = c.post(
        "/activities/manage/new/", _activity_post(org, **{"positions-0-dangerous": "on", "positions-0-minors_allowed": "on"})
    )
    assert r.status_code == 400 and "危险岗位不得招募未成年人" in r.content.decode()
    r = c.post("/activities/manage/new/", _activity_post(org, schedule="weekly"))
    assert r.status_code == 400 and "每周重复请填写星期、起止时间和日期范围。" in r.content.decode()
    r = c.post("/activities/manage/new/", _activity_post(org, end_time="08:00"))
    assert r.status_code == 400 and "班次的结束时间须晚于开始时间。" in r.content.decode()
    assert not Activity.objects.exists() and not Shift.objects.exists()


def test_activity_pages_scope(client, org, admin, other_admin, county_manager):
    a = published_activity(org)
    c = as_user(client, other_admin)
    for url in (f"/activities/manage/{a.pk}/", f"/activities/manage/{a.pk}/edit/"):
        assert c.get(url).status_code == 404
    assert c.post(f"/activities/manage/{a.pk}/close/").status_code == 404
    c = as_user(client, county_manager)
    assert c.get(f"/activities/manage/{a.pk}/").status_code == 200
    assert c.get(f"/activities/manage/{a.pk}/edit/").status_code == 403
    assert c.post(f"/activities/manage/{a.pk}/cancel/", {"reason": "x"}).status_code == 403
    c = as_user(client, admin)
    r = c.post(f"/activities/manage/{a.pk}/cancel/", {"reason": ""})
    assert r.status_code == 422 and "请填写取消原因" in r.content.decode()
    assert Activity.objects.get(pk=a.pk).status == "published"


@pytest.mark.parametrize("n", [1, 4])
def test_list_pages_query_counts_are_exact(client, org, admin, county_manager, n, django_assert_num_queries):
    for i in range(n):
        published_activity(org)
        draft_project(admin, org, name=f"项目{i}")
    for user, who in ((admin, "admin"), (county_manager, "manager")):
        c = as_user(client, user)
        for url, queries in (
            ("/activities/manage/", MANAGE_PAGE_QUERIES[who]),
            ("/activities/projects/", PROJECT_PAGE_QUERIES[who]),
        ):
            c.get(url)
            with django_assert_num_queries(queries):
                r = c.get(url)
            assert r.status_code == 200 and r.content.decode().count("data-row=") == n


# session, user, roles, volunteer role provider, the page, region names — the same at 1 and 4
# rows; the project list's region filter (a cascade) reads its first level of regions once more
MANAGE_PAGE_QUERIES = {"admin": 7, "manager": 7}  # +1: the notification badge
PROJECT_PAGE_QUERIES = {"admin": 8, "manager": 8}  # +1: the notification badge

"""/api/v1/activities enrollment operations: sign up, cancel, decide, my enrollments and an
activity's enrollments (keyset, scoped, exact query counts at two row counts), the eligibility
check; wrong scope and bad input."""

import pytest

from zhiyuan.activities import enrollment as svc
from zhiyuan.activities.models import Enrollment, Slot
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.organizations.tests.factories import active_org, applicant
from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

pytestmark = pytest.mark.django_db
API = "/api/v1/activities"


@pytest.fixture
def org_admin(db):
    return applicant("组织管理员")


@pytest.fixture
def org(county_manager, org_admin):
    return active_org(county_manager, actor=org_admin)


def act(org, **values):
    values.setdefault("shifts", [(at(3, 9), at(3, 12))])
    return published_activity(org, **values)


def ids(a):
    slot = Slot.objects.filter(shift__activity=a).order_by("id").first()
    return {"shift_id": slot.shift_id, "position_id": slot.position_id}


def test_sign_up_cancel_through_the_api(client, org, volunteer):
    a = act(org)
    client.force_login(volunteer.user)
    r = client.post(f"{API}/{a.pk}/enrollments", {**ids(a), "note": "周末有空"}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "accepted" and body["activity_title"] == a.title and body["note"] == "周末有空"
    again = client.post(f"{API}/{a.pk}/enrollments", ids(a), content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_enrolled"
    assert again.json()["message"] == "您已报名该班次。"
    r = client.post(f"{API}/enrollments/{body['id']}/cancel", {"reason": "有事"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_bad_input_is_422_and_saves_nothing(client, org, volunteer):
    a = act(org)
    client.force_login(volunteer.user)
    url = f"{API}/{a.pk}/enrollments"
    assert client.post(url, {"shift_id": "x", "position_id": 1}, content_type="application/json").status_code == 422
    assert client.post(url, {**ids(a), "status": "accepted"}, content_type="application/json").status_code == 422
    assert client.post(url, {**ids(a), "note": "长" * 201}, content_type="application/json").status_code == 422
    assert client.post(url, {**ids(a), "position_id": 10**9}, content_type="application/json").status_code == 404
    other = act(org)
    assert client.post(url, ids(other), content_type="application/json").status_code == 404  # another activity's slot
    assert not Enrollment.objects.exists()


def test_decide_through_the_api_and_its_scope(client, org, org_admin, county_manager, other_county_manager, volunteer):
    a = act(org, enrollment_mode="review")
    e = svc.enroll(volunteer.user, Slot.objects.get(shift__activity=a))
    url = f"{API}/enrollments/{e.pk}/decision"
    client.force_login(other_county_manager)
    assert client.post(url, {"decision": "accept"}, content_type="application/json").status_code == 404
    client.force_login(county_manager)
    assert client.post(url, {"decision": "accept"}, content_type="application/json").status_code == 403
    client.force_login(org_admin)
    assert client.post(url, {"decision": "maybe"}, content_type="application/json").status_code == 422
    r = client.post(url, {"decision": "reject"}, content_type="application/json")
    assert r.status_code == 422 and "reason" in r.json()["fields"]
    r = client.post(url, {"decision": "accept"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_eligibility_check_lists_each_position_with_its_reasons(client, org, minor_volunteer):
    a = act(
        org, positions=[{"name": "搬运", "slots": 2, "dangerous": True}, {"name": "讲解", "slots": 2, "minors_allowed": True}]
    )
    client.force_login(minor_volunteer.user)
    shift_id = a.shifts.get().pk
    r = client.get(f"{API}/{a.pk}/eligibility", {"shift_id": shift_id})
    assert r.status_code == 200
    positions = {p["position_name"]: p for p in r.json()["positions"]}
    assert not positions["搬运"]["eligible"] and positions["搬运"]["reasons"][0]["code"] == "minor_dangerous"
    assert positions["讲解"]["eligible"] and positions["讲解"]["reasons"] == []
    assert client.get(f"{API}/{a.pk}/eligibility", {"shift_id": 10**9}).status_code == 404
    draft = act(org, status="draft")
    assert client.get(f"{API}/{draft.pk}/eligibility", {"shift_id": draft.shifts.get().pk}).status_code == 404


@pytest.mark.parametrize("n", [1, 3])
def test_my_enrollments_keyset_and_constant_queries(client, org, volunteer, n, django_assert_num_queries):
    for i in range(n):
        svc.enroll(volunteer.user, Slot.objects.get(shift__activity=act(org, shifts=[(at(3 + i, 9), at(3 + i, 12))])))
    client.force_login(volunteer.user)
    client.get(f"{API}/enrollments/mine")  # warm the session
    # session, user (with the two-factor hint: no roles read for a volunteer), the page
    with django_assert_num_queries(3):
        r = client.get(f"{API}/enrollments/mine", {"page_size": 2})
    body = r.json()
    assert len(body["items"]) == min(n, 2) and [i["starts_at"] for i in body["items"]] == sorted(
        i["starts_at"] for i in body["items"]
    )
    if n > 2:
        nxt = client.get(f"{API}/enrollments/mine", {"page_size": 2, "cursor": body["next_cursor"]}).json()
        assert len(nxt["items"]) == 1 and nxt["next_cursor"] is None
    assert client.get(f"{API}/enrollments/mine", {"when": "soon"}).status_code == 422


def test_my_enrollments_are_mine_only(client, org, volunteer, huiyang_volunteer):
    svc.enroll(volunteer.user, Slot.objects.get(shift__activity=act(org)))
    client.force_login(huiyang_volunteer.user)
    assert client.get(f"{API}/enrollments/mine").json()["items"] == []


@pytest.mark.parametrize("n", [1, 4])
def test_an_activitys_enrollments_scoped_filtered_constant_queries(
    client, org, org_admin, county_manager, other_county_manager, n, django_assert_num_queries
):
    a = act(org, positions=[{"name": "引导员", "slots": 2}])
    for i in range(n):
        v = register(name=f"报名{chr(0x4E00 + i)}", region_code=HUICHENG_TOWN)
        svc.enroll(v.user, Slot.objects.get(shift__activity=a))
    url = f"{API}/{a.pk}/enrollments"
    client.force_login(org_admin)
    client.get(url)
    # session, user, roles, volunteer row (role provider), the activity (fetch-and-authorize), shift
    # and position pickers, the page
    with django_assert_num_queries(8):
        body = client.get(url, {"status": "accepted"}).json()
    assert len(body["items"]) == min(n, 2)
    assert all("mobile" not in i for i in body["items"])
    waiting = client.get(url, {"status": "waitlisted"}).json()["items"]
    assert len(waiting) == max(0, n - 2)
    assert client.get(url, {"position": 10**9}).json()["items"] == []
    client.force_login(county_manager)  # the region's manager sees it
    assert len(client.get(url).json()["items"]) == n
    client.force_login(other_county_manager)
    assert client.get(url).status_code == 404
    other_admin = applicant("别的组织管理员")
    active_org(county_manager, actor=other_admin)
    client.force_login(other_admin)
    assert client.get(url).status_code == 404

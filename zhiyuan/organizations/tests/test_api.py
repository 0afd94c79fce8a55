"""/api/v1/organizations: scope (404 outside), review, status, members, join/leave, directory."""

import pytest

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations import services
from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.organizations.tests.factories import HUIYANG_TOWN, active_org, active_team, apply, make_uscc, member, org_data

pytestmark = pytest.mark.django_db
BASE = "/api/v1/organizations"
JSON = "application/json"


def as_user(client, u):
    client.force_login(u)
    return client


def assert_error(r, status, code=None, field=None) -> dict:
    assert r.status_code == status, r.content
    body = r.json()
    assert set(body) == {"code", "message", "fields"}
    if code:
        assert body["code"] == code, body
    if field:
        assert field in body["fields"], body
    return body


def test_apply_validates_uscc_and_creates_pending(client, plain_user):
    c = as_user(client, plain_user)
    data = org_data(uscc="91441302MA4UH8KX10")
    body = assert_error(c.post(BASE, data, content_type=JSON), 400, "invalid", "uscc")
    assert "统一社会信用代码" in body["fields"]["uscc"][0]
    assert not Organization.objects.exists()
    r = c.post(BASE, org_data(uscc=make_uscc(77)), content_type=JSON)
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "pending" and r.json()["kind_label"] == "服务型志愿服务组织"
    assert_error(c.post(BASE, {"name": "x"}, content_type=JSON), 422, "invalid", "kind")


def test_anonymous_is_401(client):
    assert_error(client.get(BASE), 401, "unauthenticated")


def test_review_scope_404_and_city_manager_reviews(client, county_manager, city_manager):
    org = apply(region_code=HUIYANG_TOWN)
    c = as_user(client, county_manager)
    assert_error(c.get(f"{BASE}/{org.pk}"), 404, "not_found")
    assert_error(c.post(f"{BASE}/{org.pk}/review", {"decision": "approve"}, content_type=JSON), 404)
    assert c.get(f"{BASE}/review-queue").json() == {"items": [], "next_cursor": None}
    c = as_user(client, city_manager)
    assert [o["id"] for o in c.get(f"{BASE}/review-queue").json()["items"]] == [org.pk]
    assert_error(c.post(f"{BASE}/{org.pk}/review", {"decision": "reject"}, content_type=JSON), 400, field="reason")
    r = c.post(f"{BASE}/{org.pk}/review", {"decision": "approve", "reason": "材料齐全"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["status"] == "active"
    detail = c.get(f"{BASE}/{org.pk}").json()
    assert [h["to_status"] for h in detail["history"]] == ["pending", "active"]
    assert_error(c.post(f"{BASE}/{org.pk}/review", {"decision": "approve"}, content_type=JSON), 409, "not_pending")


def test_org_admin_gets_403_on_review_and_status(client, county_manager):
    org = active_org(county_manager)
    c = as_user(client, org.created_by)
    assert c.get(f"{BASE}/{org.pk}").status_code == 200
    assert_error(c.post(f"{BASE}/{org.pk}/status", {"action": "suspend", "reason": "x"}, content_type=JSON), 403)


def test_status_changes(client, county_manager, other_county_manager):
    org = active_org(county_manager)
    assert_error(
        as_user(client, other_county_manager).post(
            f"{BASE}/{org.pk}/status", {"action": "suspend", "reason": "x"}, content_type=JSON
        ),
        404,
    )
    c = as_user(client, county_manager)
    assert_error(c.post(f"{BASE}/{org.pk}/status", {"action": "explode"}, content_type=JSON), 400, field="action")
    assert_error(c.post(f"{BASE}/{org.pk}/status", {"action": "suspend"}, content_type=JSON), 400, field="reason")
    r = c.post(f"{BASE}/{org.pk}/status", {"action": "suspend", "reason": "整改"}, content_type=JSON)
    assert r.json()["status"] == "suspended"
    assert_error(c.post(f"{BASE}/{org.pk}/status", {"action": "suspend", "reason": "x"}, content_type=JSON), 409)
    assert c.post(f"{BASE}/{org.pk}/status", {"action": "reinstate"}, content_type=JSON).json()["status"] == "active"


def test_list_filters_and_pagination(client, city_manager, county_manager):
    a = active_org(county_manager, name="桥东长者服务中心")
    b = active_team(city_manager, name="淡水青年突击队", region_code=HUIYANG_TOWN)
    c = as_user(client, city_manager)
    body = c.get(BASE).json()
    assert len(body["items"]) == 2 and body["next_cursor"] is None
    assert [o["id"] for o in c.get(BASE, {"kind": "team"}).json()["items"]] == [b.pk]
    assert [o["id"] for o in c.get(BASE, {"q": a.uscc}).json()["items"]] == [a.pk]
    first = c.get(BASE, {"page_size": 1}).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = c.get(BASE, {"page_size": 1, "cursor": first["next_cursor"]}).json()
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {a.pk, b.pk} and second["next_cursor"] is None
    assert_error(c.get(BASE, {"page_size": 1, "cursor": "not-a-cursor"}), 422, field="cursor")
    assert_error(c.get(BASE, {"page_size": 0}), 422)
    assert_error(c.get(BASE, {"page_size": 101}), 422)
    assert [o["id"] for o in as_user(client, county_manager).get(BASE).json()["items"]] == [a.pk]


def test_update(client, county_manager):
    org = active_org(county_manager)
    c = as_user(client, org.created_by)
    r = c.patch(f"{BASE}/{org.pk}", {"intro": "新简介"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["intro"] == "新简介"
    assert_error(c.patch(f"{BASE}/{org.pk}", {"contact_phone": "12"}, content_type=JSON), 400, field="contact_phone")


def test_members_flow(client, county_manager, volunteer, huiyang_volunteer):
    org = active_org(county_manager)
    admin = org.created_by
    # the volunteer joins
    r = as_user(client, volunteer.user).post(f"{BASE}/{org.pk}/join")
    assert r.status_code == 201 and r.json()["status"] == "applied"
    mid = r.json()["id"]
    assert_error(client.post(f"{BASE}/{org.pk}/join"), 409, "already_member")
    # the admin approves as backbone
    c = as_user(client, admin)
    body = c.get(f"{BASE}/{org.pk}/members").json()
    assert [m["id"] for m in body["items"]] == [mid] and body["items"][0]["volunteer_name"] == "陈志愿"
    r = c.post(f"{BASE}/{org.pk}/members/{mid}/approve", {"role": "backbone"}, content_type=JSON)
    assert r.json()["status"] == "active" and r.json()["role"] == "backbone"
    assert len(c.get(f"{BASE}/{org.pk}/members", {"role": "backbone"}).json()["items"]) == 1
    # invite
    assert_error(
        c.post(f"{BASE}/{org.pk}/members/invite", {"volunteer_no": "NOPE"}, content_type=JSON), 400, field="volunteer_no"
    )
    r = c.post(
        f"{BASE}/{org.pk}/members/invite", {"volunteer_no": huiyang_volunteer.volunteer_no, "role": "admin"}, content_type=JSON
    )
    assert r.status_code == 201
    inv = r.json()["id"]
    r = as_user(client, huiyang_volunteer.user).post(f"{BASE}/memberships/{inv}/respond", {"accept": True}, content_type=JSON)
    assert r.json()["status"] == "active"
    assert RoleAssignment.objects.filter(user=huiyang_volunteer.user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).exists()
    # removal needs a reason
    c = as_user(client, admin)
    assert_error(c.post(f"{BASE}/{org.pk}/members/{mid}/remove", {}, content_type=JSON), 400, field="reason")
    assert (
        c.post(f"{BASE}/{org.pk}/members/{mid}/remove", {"reason": "长期未参加"}, content_type=JSON).json()["status"] == "removed"
    )
    # the invited admin leaves
    c = as_user(client, huiyang_volunteer.user)
    assert [m["organization_id"] for m in c.get(f"{BASE}/memberships/mine").json()] == [org.pk]
    assert c.post(f"{BASE}/memberships/{inv}/leave", {"reason": ""}, content_type=JSON).json()["status"] == "left"
    assert not RoleAssignment.objects.filter(
        user=huiyang_volunteer.user, role=Role.ORG_ADMIN, object_id=org.pk, active=True
    ).exists()
    assert AuditEntry.objects.filter(action__startswith="organizations.member.").count() >= 6


def test_other_org_admin_cannot_touch_members(client, county_manager, volunteer):
    org = active_org(county_manager)
    other = active_org(county_manager)
    m = services.membership_apply(actor=volunteer.user, org=org)
    c = as_user(client, other.created_by)
    assert_error(c.get(f"{BASE}/{org.pk}/members"), 404)
    assert_error(c.post(f"{BASE}/{org.pk}/members/{m.pk}/approve", {}, content_type=JSON), 404)
    assert_error(c.post(f"{BASE}/{other.pk}/members/{m.pk}/approve", {}, content_type=JSON), 404)  # not a member of other
    m.refresh_from_db()
    assert m.status == "applied"


def test_someone_elses_membership_is_404(client, county_manager, volunteer, huiyang_volunteer):
    org = active_org(county_manager)
    m = member(org, volunteer, admin=org.created_by)
    c = as_user(client, huiyang_volunteer.user)
    assert_error(c.post(f"{BASE}/memberships/{m.pk}/leave", {}, content_type=JSON), 404)
    assert Membership.objects.get(pk=m.pk).status == "active"


def test_public_directory_without_personal_data(client, county_manager, volunteer):
    org = active_org(county_manager, name="桥东长者服务中心", contact_phone="13912349999")
    sub = active_team(county_manager, actor=org.created_by, parent_id=org.pk, name="桥东长者服务中心一分队")
    pending = apply(name="未审核组织")
    member(org, volunteer, admin=org.created_by)
    body = client.get(f"{BASE}/public").json()
    ids = {o["id"] for o in body["items"]}
    assert org.pk in ids and sub.pk in ids and pending.pk not in ids
    assert "13912349999" not in str(body) and "contact_phone" not in body["items"][0]
    detail = client.get(f"{BASE}/public/{org.pk}").json()
    assert detail["member_count"] == 1 and [s["id"] for s in detail["sub_teams"]] == [sub.pk]
    assert_error(client.get(f"{BASE}/public/{pending.pk}"), 404)
    assert len(client.get(f"{BASE}/public", {"kind": "team"}).json()["items"]) == 1


def test_join_pending_org_is_404(client, volunteer):
    org = apply()
    assert_error(as_user(client, volunteer.user).post(f"{BASE}/{org.pk}/join"), 404)

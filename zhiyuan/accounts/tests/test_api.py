"""/api/v1/accounts: every operation, its scope, token authentication and the error shape."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from zhiyuan.accounts.models import ApiToken, RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.tests.factories import (
    HUICHENG_TOWN,
    HUIYANG_TOWN,
    assignment_of,
    bearer,
    token_for,
    town_manager,
    user,
)
from zhiyuan.core.audit import audit_record
from zhiyuan.testing import HUIYANG

pytestmark = pytest.mark.django_db
BASE = "/api/v1/accounts"
CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.content
    body = r.json()
    assert set(body) == {"code", "message", "fields"}
    assert CJK.search(body["message"]), body
    assert isinstance(body["fields"], dict)
    for messages in body["fields"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    if code:
        assert body["code"] == code, body
    return body


def as_user(client, u):
    client.force_login(u)
    return client


# --- get_me -------------------------------------------------------------------------------------------


def test_get_me_with_roles_and_scopes(client, county_manager):
    r = as_user(client, county_manager).get(f"{BASE}/me")
    assert r.status_code == 200
    me = r.json()
    assert me["mobile"] == county_manager.mobile and me["totp_enabled"] is True
    assert me["roles"] == [
        {
            "role": "region_manager",
            "role_label": "区域管理员",
            "region_prefix": "441302",
            "region_code": "441302000000",
            "region_name": me["roles"][0]["region_name"],
            "object_id": None,
        }
    ]
    assert "惠城区" in me["roles"][0]["region_name"]
    assert me["token"] is None


def test_get_me_errors(client):
    assert_error(client.get(f"{BASE}/me"), 401, "unauthenticated")
    assert_error(client.get(f"{BASE}/me", **bearer("zyt_not-a-real-token")), 401, "unauthenticated")


def test_manager_without_totp_is_refused_by_the_api(client):
    from zhiyuan.testing import make_user

    m = make_user("13900000055", "未设两步验证", role=Role.REGION_MANAGER, region_code=HUIYANG, totp=False)
    assert_error(as_user(client, m).get(f"{BASE}/me"), 403, "totp_required")


# --- token authentication --------------------------------------------------------------------------------


def test_token_authenticates_and_shows_its_narrowing(client, city_manager):
    token, secret = token_for(city_manager, region_prefix="441302")
    r = client.get(f"{BASE}/me", **bearer(secret))
    assert r.status_code == 200
    me = r.json()
    assert me["token"] == {"id": token.pk, "can_write": False, "region_prefix": "441302"}
    assert [x["region_prefix"] for x in me["roles"]] == ["441302"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_read_only_token_cannot_write(client, platform_admin):
    _, secret = token_for(platform_admin, can_write=False)
    u = user()
    r = client.post(
        f"{BASE}/role-assignments",
        {"mobile": u.mobile, "role": "platform_admin"},
        content_type="application/json",
        **bearer(secret),
    )
    assert_error(r, 403, "token_read_only")
    assert not RoleAssignment.objects.filter(user=u).exists()
    assert client.get(f"{BASE}/role-assignments", **bearer(secret)).status_code == 200


def test_write_token_can_write_within_its_region(client, city_manager):
    _, secret = token_for(city_manager, can_write=True, region_prefix="441302")
    u = user()
    ok = client.post(
        f"{BASE}/role-assignments",
        {"mobile": u.mobile, "role": "region_manager", "region_code": HUICHENG_TOWN},
        content_type="application/json",
        **bearer(secret),
    )
    assert ok.status_code == 201, ok.content
    # The owner could grant in 惠阳区, the narrowed token cannot.
    refused = client.post(
        f"{BASE}/role-assignments",
        {"mobile": u.mobile, "role": "region_manager", "region_code": HUIYANG_TOWN},
        content_type="application/json",
        **bearer(secret),
    )
    assert_error(refused, 403, "forbidden")


def test_revoked_and_expired_tokens_get_401(client, county_manager):
    token, secret = token_for(county_manager)
    assert client.get(f"{BASE}/me", **bearer(secret)).status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert_error(client.get(f"{BASE}/me", **bearer(secret)), 401, "unauthenticated")
    token2, secret2 = token_for(county_manager, expires_at=timezone.now() + datetime.timedelta(days=1))
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert_error(client.get(f"{BASE}/me", **bearer(secret2)), 401, "unauthenticated")


def test_token_of_a_deactivated_user_gets_401(client, api_user):
    _, secret = token_for(api_user)
    api_user.is_active = False
    api_user.save()
    assert_error(client.get(f"{BASE}/me", **bearer(secret)), 401)


def test_token_requests_are_rate_limited(client, settings, api_user):
    settings.ZHIYUAN_API_TOKEN_RATE = 2
    _, secret = token_for(api_user)
    assert client.get(f"{BASE}/me", **bearer(secret)).status_code == 200
    assert client.get(f"{BASE}/me", **bearer(secret)).status_code == 200
    assert_error(client.get(f"{BASE}/me", **bearer(secret)), 429, "rate_limited")


def test_session_writes_need_the_csrf_token(county_manager):
    c = Client(enforce_csrf_checks=True)
    c.force_login(county_manager)
    r = c.post(f"{BASE}/tokens", {"name": "x"}, content_type="application/json")
    assert_error(r, 403, "csrf_failed")
    assert not ApiToken.objects.exists()


# --- tokens ------------------------------------------------------------------------------------------------


def test_create_list_revoke_token(client, county_manager):
    c = as_user(client, county_manager)
    r = c.post(
        f"{BASE}/tokens", {"name": "区平台", "can_write": True, "region_prefix": "441302001"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["secret"].startswith("zyt_") and created["region_prefix"] == "441302001" and created["active"]
    body = c.get(f"{BASE}/tokens").json()
    assert set(body) == {"items", "next_cursor"} and body["next_cursor"] is None
    listed = body["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in str(listed)
    r = c.post(f"{BASE}/tokens/{created['id']}/revoke")
    assert r.status_code == 200 and r.json()["active"] is False
    assert_error(client.get(f"{BASE}/me", **bearer(created["secret"])), 401)


def test_token_operations_errors(client, county_manager, api_user):
    assert_error(client.get(f"{BASE}/tokens"), 401)
    c = as_user(client, county_manager)
    body = assert_error(c.post(f"{BASE}/tokens", {"name": ""}, content_type="application/json"), 400, "invalid")
    assert "name" in body["fields"]
    body = assert_error(
        c.post(f"{BASE}/tokens", {"name": "x", "region_prefix": HUIYANG}, content_type="application/json"), 400, "invalid"
    )
    assert "region_prefix" in body["fields"]
    body = assert_error(c.post(f"{BASE}/tokens", {"can_write": "maybe"}, content_type="application/json"), 422, "invalid")
    assert "name" in body["fields"]
    other, _ = token_for(api_user)
    assert_error(c.post(f"{BASE}/tokens/{other.pk}/revoke"), 404, "not_found")
    assert_error(c.post(f"{BASE}/tokens/999999/revoke"), 404, "not_found")


def test_create_token_is_rate_limited(client, settings, api_user):
    settings.ZHIYUAN_API_TOKEN_CREATE_RATE = 1
    c = as_user(client, api_user)
    assert c.post(f"{BASE}/tokens", {"name": "a"}, content_type="application/json").status_code == 201
    assert_error(c.post(f"{BASE}/tokens", {"name": "b"}, content_type="application/json"), 429, "rate_limited")


def test_a_token_cannot_create_a_token(client, api_user):
    _, secret = token_for(api_user, can_write=True)
    r = client.post(f"{BASE}/tokens", {"name": "b"}, content_type="application/json", **bearer(secret))
    assert_error(r, 403, "forbidden")


# --- role assignments: the 惠城 / 惠阳 scope -----------------------------------------------------------------


@pytest.fixture
def huiyang_town_manager(db):
    return town_manager(HUIYANG_TOWN)


def listed_ids(client, **params) -> set[int]:
    r = client.get(f"{BASE}/role-assignments", params)
    assert r.status_code == 200, r.content
    return {a["id"] for a in r.json()["items"]}


def test_county_manager_lists_nothing_of_huiyang(client, county_manager, other_county_manager, huiyang_town_manager):
    huicheng_town = town_manager(HUICHENG_TOWN)
    ids = listed_ids(as_user(client, county_manager), page_size=100)
    assert assignment_of(huiyang_town_manager).pk not in ids
    assert assignment_of(other_county_manager).pk not in ids
    assert assignment_of(huicheng_town).pk in ids
    hidden = assignment_of(huiyang_town_manager).pk
    assert_error(client.get(f"{BASE}/role-assignments/{hidden}"), 404, "not_found")
    assert_error(client.post(f"{BASE}/role-assignments/{hidden}/revoke"), 404, "not_found")
    assert RoleAssignment.objects.get(pk=hidden).active


def test_city_manager_lists_both_counties(client, city_manager, county_manager, huiyang_town_manager):
    ids = listed_ids(as_user(client, city_manager), page_size=100)
    assert {assignment_of(huiyang_town_manager).pk, assignment_of(county_manager).pk} <= ids
    r = client.get(f"{BASE}/role-assignments/{assignment_of(huiyang_town_manager).pk}")
    assert r.status_code == 200 and "惠阳区" in r.json()["region_name"]


def test_list_filters_and_pagination(client, platform_admin, county_manager, other_county_manager):
    c = as_user(client, platform_admin)
    for i in range(3):
        town_manager(HUICHENG_TOWN, name=f"桥东{i}")
    seen, cursor, pages = [], None, 0
    while True:  # keyset pages of 2: 2 + 2 + 1, each after the last one's cursor
        params = {"page_size": 2, "role": "region_manager", **({"cursor": cursor} if cursor else {})}
        body = c.get(f"{BASE}/role-assignments", params).json()
        assert set(body) == {"items", "next_cursor"} and len(body["items"]) <= 2
        assert {a["role"] for a in body["items"]} == {"region_manager"}
        seen += [a["id"] for a in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 5
    granted = {a.pk: a.granted_at for a in RoleAssignment.objects.filter(pk__in=seen)}
    assert seen == sorted(seen, key=lambda pk: (granted[pk], pk), reverse=True)  # newest first, id breaks ties
    assert listed_ids(c, q="惠阳区文明办") == {assignment_of(other_county_manager).pk}
    assert listed_ids(c, q=county_manager.mobile[-4:]) == {assignment_of(county_manager).pk}
    assert len(listed_ids(c, region="441302", page_size=100)) == 4
    assert listed_ids(c, q="<script>alert(1)</script>") == set()
    assert_error(c.get(f"{BASE}/role-assignments", {"q": "名" * 10_000}), 422, "invalid")  # at most 50 characters
    item = c.get(f"{BASE}/role-assignments", {"q": "惠阳区文明办"}).json()["items"][0]
    assert item["user_mobile_masked"] == "139****0004" and other_county_manager.mobile not in str(item)


def test_list_query_count_is_bounded(client, platform_admin, django_assert_max_num_queries):
    for i in range(10):
        town_manager(HUICHENG_TOWN, name=f"桥东{i}")
    c = as_user(client, platform_admin)
    c.get(f"{BASE}/role-assignments")
    with django_assert_max_num_queries(12):
        r = c.get(f"{BASE}/role-assignments", {"page_size": 100})
    assert len(r.json()["items"]) == 11


def test_role_list_errors(client, plain_user, county_manager):
    assert_error(client.get(f"{BASE}/role-assignments"), 401)
    assert_error(as_user(client, plain_user).get(f"{BASE}/role-assignments"), 403, "forbidden")
    c = as_user(client, county_manager)
    assert_error(c.get(f"{BASE}/role-assignments", {"page_size": 1000}), 422, "invalid")
    assert_error(c.get(f"{BASE}/role-assignments", {"page_size": 0}), 422, "invalid")
    assert_error(c.get(f"{BASE}/role-assignments", {"page_size": "x"}), 422, "invalid")
    assert_error(c.get(f"{BASE}/role-assignments", {"cursor": "not-a-cursor"}), 422, "invalid")
    assert_error(c.get(f"{BASE}/role-assignments", {"role": "emperor"}), 422, "invalid")
    assert_error(c.get(f"{BASE}/role-assignments", {"status": "maybe"}), 422, "invalid")
    assert_error(c.get(f"{BASE}/role-assignments", {"region": "12345"}), 422, "invalid")
    assert_error(c.get(f"{BASE}/role-assignments/999999"), 404, "not_found")


def test_grant_and_revoke_through_the_api(client, county_manager):
    c = as_user(client, county_manager)
    u = user("桥东新任")
    r = c.post(
        f"{BASE}/role-assignments",
        {"mobile": u.mobile, "role": "region_manager", "region_code": "441302001"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["region_code"] == HUICHENG_TOWN and created["active"] and created["granted_by"]
    r = c.post(f"{BASE}/role-assignments/{created['id']}/revoke")
    assert r.status_code == 200 and r.json()["active"] is False
    assert_error(c.post(f"{BASE}/role-assignments/{created['id']}/revoke"), 409, "already_revoked")


def test_grant_errors(client, county_manager, plain_user):
    u = user()
    payload = {"mobile": u.mobile, "role": "region_manager", "region_code": HUIYANG_TOWN}
    assert_error(client.post(f"{BASE}/role-assignments", payload, content_type="application/json"), 401)
    assert_error(
        as_user(Client(), plain_user).post(f"{BASE}/role-assignments", payload, content_type="application/json"), 403
    )
    c = as_user(client, county_manager)
    assert_error(c.post(f"{BASE}/role-assignments", payload, content_type="application/json"), 403, "forbidden")
    body = assert_error(
        c.post(f"{BASE}/role-assignments", {**payload, "mobile": "13711112222"}, content_type="application/json"),
        400,
        "user_not_found",
    )
    assert "mobile" in body["fields"]
    body = assert_error(
        c.post(f"{BASE}/role-assignments", {**payload, "region_code": ""}, content_type="application/json"), 400, "invalid"
    )
    assert "region_code" in body["fields"]
    assert_error(c.post(f"{BASE}/role-assignments", {"role": "x"}, content_type="application/json"), 422, "invalid")
    assert not RoleAssignment.objects.filter(user=u).exists()


def test_revoke_own_assignment_is_forbidden(client, county_manager):
    c = as_user(client, county_manager)
    assert_error(c.post(f"{BASE}/role-assignments/{assignment_of(county_manager).pk}/revoke"), 403, "forbidden")


# --- audit log -----------------------------------------------------------------------------------------------


def test_list_audit_entries_for_platform_admin(client, platform_admin, county_manager):
    audit_record(actor=county_manager, action="test.alpha", object_type="x.y", object_id="1")
    audit_record(actor=platform_admin, action="test.beta", result="denied")
    c = as_user(client, platform_admin)
    r = c.get(f"{BASE}/audit-entries", {"action": "test."})
    assert r.status_code == 200
    body = r.json()
    assert [e["action"] for e in body["items"]] == ["test.beta", "test.alpha"]
    assert body["items"][0]["hash"] and body["next_cursor"] is None
    by_actor = c.get(f"{BASE}/audit-entries", {"actor_mobile": county_manager.mobile}).json()["items"]
    assert [e["action"] for e in by_actor] == ["test.alpha", "accounts.totp.enable"]
    assert [e["action"] for e in c.get(f"{BASE}/audit-entries", {"action": "test.", "result": "denied"}).json()["items"]] == [
        "test.beta"
    ]
    today = timezone.localdate().isoformat()
    assert len(c.get(f"{BASE}/audit-entries", {"action": "test.", "date_from": today, "date_to": today}).json()["items"]) == 2
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert c.get(f"{BASE}/audit-entries", {"action": "test.", "date_from": tomorrow}).json()["items"] == []


def test_audit_entries_errors(client, county_manager, platform_admin):
    assert_error(client.get(f"{BASE}/audit-entries"), 401)
    assert as_user(client, county_manager).get(f"{BASE}/audit-entries").status_code == 200  # scoped: test_audit_scope
    c = as_user(Client(), platform_admin)
    assert_error(c.get(f"{BASE}/audit-entries", {"date_from": "not-a-date"}), 422, "invalid")
    assert_error(c.get(f"{BASE}/audit-entries", {"page_size": 0}), 422, "invalid")
    assert_error(c.get(f"{BASE}/audit-entries", {"result": "maybe"}), 422, "invalid")
    assert_error(c.get(f"{BASE}/audit-entries", {"date_from": "2026-02-02", "date_to": "2026-02-01"}), 422, "invalid")


def test_narrowed_platform_admin_token_reads_only_its_regions_audit_entries(client, platform_admin):
    audit_record(actor=platform_admin, action="test.in", object_type="x.y", region_code="441302001000")
    audit_record(actor=platform_admin, action="test.out", object_type="x.y", region_code="441401001000")
    audit_record(actor=platform_admin, action="test.none", object_type="x.y")
    _, secret = token_for(platform_admin, region_prefix="4413")
    r = client.get(f"{BASE}/audit-entries", {"action": "test."}, **bearer(secret))
    assert [e["action"] for e in r.json()["items"]] == ["test.in"]
    _, secret = token_for(platform_admin)
    r = client.get(f"{BASE}/audit-entries", {"action": "test."}, **bearer(secret))
    assert [e["action"] for e in r.json()["items"]] == ["test.none", "test.out", "test.in"]


def test_every_operation_is_documented_with_an_operation_id(client):
    doc = client.get("/api/v1/openapi.json").json()
    ops = {op.get("operationId") for path, item in doc["paths"].items() if "/accounts" in path for op in item.values()}
    assert {
        "get_me",
        "list_tokens",
        "create_token",
        "revoke_token",
        "list_role_assignments",
        "get_role_assignment",
        "grant_role",
        "revoke_role",
        "list_audit_entries",
    } <= ops


def test_a_plain_user_cannot_create_a_token(client, plain_user):
    c = as_user(client, plain_user)
    assert_error(c.post(f"{BASE}/tokens", {"name": "a"}, content_type="application/json"), 403, "forbidden")

"""/api/v1/stations: scope (404 outside), validation errors, station admins, public list."""

import pytest

from zhiyuan.accounts.services import api_token_create
from zhiyuan.core.models import AuditEntry
from zhiyuan.stations.models import ServicePoint
from zhiyuan.stations.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, point, station_admin_of

pytestmark = pytest.mark.django_db
BASE = "/api/v1/stations"


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


@pytest.fixture
def huicheng_point(county_manager):
    return point(
        county_manager, name="桥东志愿服务站", contact_name="黄站长", contact_phone="13912345678", service_phone="0752-2800003"
    )


@pytest.fixture
def huiyang_point(other_county_manager):
    return point(other_county_manager, name="淡水志愿服务站", region_code=HUIYANG_TOWN)


def test_list_is_scoped(client, county_manager, city_manager, huicheng_point, huiyang_point):
    body = as_user(client, county_manager).get(f"{BASE}/points").json()
    assert [p["id"] for p in body["items"]] == [huicheng_point.pk] and body["next_cursor"] is None
    assert set(body) == {"items", "next_cursor"}  # keyset pages: no count over the scope
    item = body["items"][0]
    assert item["region_name"].endswith("桥东街道") and item["checklist"]["count"] == 0 and item["contact_phone"] == "13912345678"
    body = as_user(client, city_manager).get(f"{BASE}/points", {"region": "441303"}).json()
    assert [p["id"] for p in body["items"]] == [huiyang_point.pk]


def test_other_countys_point_is_404(client, county_manager, huiyang_point):
    c = as_user(client, county_manager)
    pk = huiyang_point.pk
    assert_error(c.get(f"{BASE}/points/{pk}"), 404, "not_found")
    assert_error(c.patch(f"{BASE}/points/{pk}", {"name": "x"}, content_type="application/json"), 404)
    assert_error(c.post(f"{BASE}/points/{pk}/close", {}, content_type="application/json"), 404)
    assert_error(c.post(f"{BASE}/points/{pk}/admins", {"mobile": county_manager.mobile}, content_type="application/json"), 404)
    assert_error(c.patch(f"{BASE}/points/{pk}/operations", {"opening_hours": "x"}, content_type="application/json"), 404)
    huiyang_point.refresh_from_db()
    assert huiyang_point.name == "淡水志愿服务站" and huiyang_point.is_active


def test_create_update_close(client, county_manager):
    c = as_user(client, county_manager)
    r = c.post(
        f"{BASE}/points",
        {"name": "桥东实践所", "network_level": "institute", "region_code": HUICHENG_TOWN, "address": "x"},
        content_type="application/json",
    )
    assert_error(r, 400, "invalid", "parent_id")
    r = c.post(
        f"{BASE}/points",
        {
            "name": "惠城中心",
            "network_level": "centre",
            "region_code": "441302",
            "address": "文明一路",
            "latitude": 23.11,
            "longitude": "114.4158",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    centre = r.json()
    assert (
        centre["region_code"] == "441302000000" and centre["latitude"] == 23.11 and centre["type_label"] == "新时代文明实践中心"
    )
    r = c.patch(f"{BASE}/points/{centre['id']}", {"latitude": None, "longitude": None}, content_type="application/json")
    assert r.status_code == 200 and r.json()["latitude"] is None
    r = c.patch(f"{BASE}/points/{centre['id']}", {"latitude": 91}, content_type="application/json")
    body = assert_error(r, 400, "invalid", "latitude")
    assert body["fields"]["latitude"] == ["纬度应在 -90 到 90 之间。"]
    r = c.post(f"{BASE}/points/{centre['id']}/close", {"reason": "合并"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert_error(c.post(f"{BASE}/points/{centre['id']}/close", {}, content_type="application/json"), 409, "already_closed")


def test_create_missing_name_and_bad_region(client, county_manager):
    c = as_user(client, county_manager)
    r = c.post(f"{BASE}/points", {"region_code": HUICHENG_TOWN, "address": "x"}, content_type="application/json")
    assert_error(r, 422, "invalid", "name")
    r = c.post(f"{BASE}/points", {"name": " ", "region_code": "abc", "address": "x"}, content_type="application/json")
    body = assert_error(r, 400, "invalid")
    assert set(body["fields"]) == {"name", "region_code"}
    r = c.post(f"{BASE}/points", {"name": "越界", "region_code": HUIYANG_TOWN, "address": "x"}, content_type="application/json")
    assert_error(r, 403, "out_of_scope", "region_code")
    assert not ServicePoint.objects.exists()


def test_station_admin_api(client, county_manager, huicheng_point):
    other = point(county_manager, name="另一个站")
    admin = station_admin_of(county_manager, huicheng_point)
    c = as_user(client, admin)
    assert [p["id"] for p in c.get(f"{BASE}/points").json()["items"]] == [huicheng_point.pk]
    assert c.get(f"{BASE}/mine").json() == {"items": [c.get(f"{BASE}/points/{huicheng_point.pk}").json()], "next_cursor": None}
    r = c.patch(
        f"{BASE}/points/{huicheng_point.pk}/operations",
        {"has_team": True, "functions": ["needs"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["checklist"]["has_team"] is True
    assert_error(c.patch(f"{BASE}/points/{huicheng_point.pk}", {"name": "x"}, content_type="application/json"), 403, "forbidden")
    assert_error(c.get(f"{BASE}/points/{other.pk}"), 404)
    assert_error(c.patch(f"{BASE}/points/{other.pk}/operations", {"has_team": True}, content_type="application/json"), 404)


def test_assign_list_revoke_admins(client, county_manager, huicheng_point, plain_user):
    c = as_user(client, county_manager)
    r = c.post(f"{BASE}/points/{huicheng_point.pk}/admins", {"mobile": plain_user.mobile}, content_type="application/json")
    assert r.status_code == 201
    a = r.json()
    assert a["user_mobile_masked"] == plain_user.masked_mobile and "mobile" not in a
    assert [x["id"] for x in c.get(f"{BASE}/points/{huicheng_point.pk}/admins").json()] == [a["id"]]
    r = c.post(f"{BASE}/points/{huicheng_point.pk}/admins/{a['id']}/revoke", content_type="application/json")
    assert r.status_code == 200 and r.json()["active"] is False
    assert c.get(f"{BASE}/points/{huicheng_point.pk}/admins").json() == []
    actions = list(AuditEntry.objects.filter(action__startswith="stations.admin").values_list("action", flat=True))
    assert actions == ["stations.admin.assign", "stations.admin.revoke"]


def test_region_narrowed_token_sees_and_writes_only_inside(client, city_manager, huicheng_point, huiyang_point):
    _token, secret = api_token_create(actor=city_manager, name="惠城区平台", can_write=True, region_prefix="441302")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    body = client.get(f"{BASE}/points", **auth).json()
    assert [p["id"] for p in body["items"]] == [huicheng_point.pk]
    assert_error(client.get(f"{BASE}/points/{huiyang_point.pk}", **auth), 404)
    r = client.post(
        f"{BASE}/points", {"name": "越界", "region_code": HUIYANG_TOWN, "address": "x"}, content_type="application/json", **auth
    )
    assert_error(r, 403, "out_of_scope")


def test_public_list_has_no_personal_data(client, huicheng_point, huiyang_point):
    r = client.get(f"{BASE}/public/points")  # anonymous
    assert r.status_code == 200
    body = r.json()
    assert len(body["items"]) == 2 and body["next_cursor"] is None
    item = next(p for p in body["items"] if p["id"] == huicheng_point.pk)
    assert item["service_phone"] == "0752-2800003"
    assert "contact_phone" not in item and "contact_name" not in item and "13912345678" not in r.content.decode()
    assert [p["id"] for p in client.get(f"{BASE}/public/points", {"region": "441303"}).json()["items"]] == [huiyang_point.pk]
    assert_error(client.get(f"{BASE}/public/points", {"page_size": 1000}), 422, "invalid", "page_size")


def test_anonymous_manager_api_is_401(client, huicheng_point):
    assert_error(client.get(f"{BASE}/points"), 401)


def test_operator_organization_by_id_with_its_name(client, county_manager, other_county_manager):
    from zhiyuan.organizations.services import organization_suspend
    from zhiyuan.organizations.tests.factories import active_org

    mine = active_org(county_manager, name="桥东长者关爱服务中心")
    theirs = active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)
    c = as_user(client, county_manager)
    data = {"name": "长者饭堂服务室", "kind": "room", "region_code": HUICHENG_TOWN, "address": "水东街"}
    r = c.post(f"{BASE}/points", {**data, "operator_organization_id": theirs.pk}, content_type="application/json")
    body = assert_error(r, 400, "invalid", "operator_organization_id")
    assert body["fields"]["operator_organization_id"] == ["运营组织不存在或不在您的管辖范围内。"]
    r = c.post(f"{BASE}/points", {**data, "operator_organization_id": mine.pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    p = r.json()
    assert (p["operator_organization_id"], p["operator_organization_name"], p["operator_organization_status"]) == (
        mine.pk,
        "桥东长者关爱服务中心",
        "active",
    )
    public = client.get(f"{BASE}/public/points").json()["items"]
    assert public[0]["operator_organization_name"] == "桥东长者关爱服务中心" and "operator_organization_id" not in public[0]
    organization_suspend(actor=county_manager, org=mine, reason="整改")
    got = c.get(f"{BASE}/points/{p['id']}").json()
    assert (got["operator_organization_name"], got["operator_organization_status"]) == ("桥东长者关爱服务中心", "suspended")
    # A suspended organization is not public: the public list no longer names it.
    assert client.get(f"{BASE}/public/points").json()["items"][0]["operator_organization_name"] == ""
    r = c.patch(f"{BASE}/points/{p['id']}", {"operator_organization_id": None}, content_type="application/json")
    assert r.status_code == 200 and r.json()["operator_organization_name"] == ""

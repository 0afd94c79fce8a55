"""ACC-2 through the role pages and API: granting ``station_admin`` names a service point, which
must exist, be open and lie inside the granter's scope. Refusals out of scope are audited
``denied``; a good grant works like appointing on the station's own page."""

import pytest

from zhiyuan.accounts import services as account_services
from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_query
from zhiyuan.core.models import AuditEntry
from zhiyuan.stations import selectors, services
from zhiyuan.stations.lists import MY_POINTS
from zhiyuan.stations.tests.factories import HUIYANG_TOWN, next_mobile, point
from zhiyuan.testing import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/accounts/role-assignments"
GRANT_PAGE = "/accounts/roles/grant/"
MISSING = "该站点不存在，请核对站点编号。"


@pytest.fixture
def huicheng_point(county_manager):
    return point(county_manager, name="桥东志愿服务站")


@pytest.fixture
def huiyang_point(other_county_manager):
    return point(other_county_manager, name="淡水志愿服务站", region_code=HUIYANG_TOWN)


@pytest.fixture
def grantee():
    return make_user(next_mobile(), "新任站长")


def last_grant() -> AuditEntry:
    return AuditEntry.objects.filter(action="accounts.role.grant").order_by("-id").first()


def test_county_manager_appoints_a_station_admin_in_the_county(county_manager, huicheng_point, grantee):
    a = account_services.role_grant(actor=county_manager, user=grantee, role=Role.STATION_ADMIN, object_id=huicheng_point.pk)
    assert (a.object_id, a.region_code) == (huicheng_point.pk, huicheng_point.region_code)
    assert list(list_query(actor=grantee, spec=MY_POINTS, data=None).queryset) == [huicheng_point]
    assert [x.pk for x in selectors.station_admin_list(point=huicheng_point)] == [a.pk]
    # The station's page and the role page are one appointment: no second one.
    with pytest.raises(DomainError) as exc:
        services.station_admin_assign(actor=county_manager, point=huicheng_point, mobile=grantee.mobile)
    assert exc.value.code == "already_admin"


def test_another_countys_station_is_refused_and_audited(county_manager, huiyang_point, grantee):
    with pytest.raises(DomainError) as exc:
        account_services.role_grant(actor=county_manager, user=grantee, role=Role.STATION_ADMIN, object_id=huiyang_point.pk)
    assert exc.value.status == 400 and exc.value.fields == {"object_id": [MISSING]}  # like a missing one (rule 8)
    entry = last_grant()
    assert entry.result == "denied" and entry.detail == {
        "role": "station_admin",
        "region_code": HUIYANG_TOWN,
        "object_id": huiyang_point.pk,
    }
    assert not RoleAssignment.objects.filter(user=grantee).exists()


def test_closed_station_is_refused(county_manager, huicheng_point, grantee):
    services.service_point_close(actor=county_manager, point=huicheng_point, reason="搬迁")
    with pytest.raises(DomainError) as exc:
        account_services.role_grant(actor=county_manager, user=grantee, role=Role.STATION_ADMIN, object_id=huicheng_point.pk)
    assert exc.value.fields == {"object_id": ["站点「桥东志愿服务站」当前状态为“已关闭”，不能指定站点管理员。"]}
    assert not RoleAssignment.objects.filter(user=grantee).exists()


def test_grant_page_wrong_scope_missing_and_good(client, county_manager, huicheng_point, huiyang_point, grantee):
    client.force_login(county_manager)
    data = {"mobile": grantee.mobile, "role": "station_admin"}
    r = client.post(GRANT_PAGE, {**data, "object_id": str(huiyang_point.pk)})
    assert r.status_code == 400 and MISSING in r.content.decode()
    r = client.post(GRANT_PAGE, {**data, "object_id": "987654"})
    assert r.status_code == 400 and MISSING in r.content.decode()
    assert not RoleAssignment.objects.filter(user=grantee).exists()
    r = client.post(GRANT_PAGE, {**data, "object_id": str(huicheng_point.pk)})
    assert r.status_code == 302
    a = RoleAssignment.objects.get(user=grantee)
    assert "桥东志愿服务站" in client.get(f"/accounts/roles/{a.pk}/").content.decode()


def test_api_wrong_scope_missing_and_good(client, county_manager, huicheng_point, huiyang_point, grantee):
    client.force_login(county_manager)
    payload = {"mobile": grantee.mobile, "role": "station_admin"}
    r = client.post(API, {**payload, "object_id": huiyang_point.pk}, content_type="application/json")
    outside = r.json()
    assert r.status_code == 400 and outside["fields"] == {"object_id": [MISSING]}
    r = client.post(API, {**payload, "object_id": 987_654}, content_type="application/json")
    assert r.status_code == 400 and r.json() == outside
    r = client.post(API, {**payload, "object_id": huicheng_point.pk}, content_type="application/json")
    assert r.status_code == 201 and r.json()["object_id"] == huicheng_point.pk

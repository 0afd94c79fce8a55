"""Pickers that offer service points and organizations: the station_admin grant, and a point's
operating organization. Only what the actor may see and may choose; the services still check."""

import re

import pytest

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.organizations.tests.factories import active_org
from zhiyuan.stations import services
from zhiyuan.stations.models import ServicePoint
from zhiyuan.stations.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, next_mobile, point
from zhiyuan.testing import make_user

pytestmark = pytest.mark.django_db
GRANT_PAGE = "/accounts/roles/grant/"
OPTIONS = "/accounts/roles/grant/objects/"
OPERATORS = "/stations/manage/operators/"


def offered(r) -> list[int]:
    return [int(i) for i in re.findall(r'data-picker-option="(\d+)"', r.content.decode())]


@pytest.fixture
def points(county_manager, other_county_manager):
    mine = point(county_manager, name="桥东志愿服务站")
    closed = point(county_manager, name="桥东旧服务点")
    services.service_point_close(actor=county_manager, point=closed, reason="搬迁")
    theirs = point(other_county_manager, name="淡水志愿服务站", region_code=HUIYANG_TOWN)
    return {"mine": mine, "closed": closed, "theirs": theirs}


def test_station_picker_offers_open_points_in_scope(client, county_manager, points):
    client.force_login(county_manager)

    def options(q=""):
        return client.get(OPTIONS, {"role": "station_admin", "picker": "service_point", "service_point__q": q})

    r = options()
    assert offered(r) == [points["mine"].pk] and "惠城区/桥东街道 · 志愿服务站" in r.content.decode()
    assert offered(options("淡水")) == [] and offered(options("桥东街道")) == [points["mine"].pk]


def test_grant_a_station_admin_through_the_picker(client, county_manager, points):
    grantee = make_user(next_mobile(), "新任站长")
    client.force_login(county_manager)
    data = {"mobile": grantee.mobile, "role": "station_admin"}
    r = client.post(GRANT_PAGE, {**data, "service_point": str(points["closed"].pk)})  # crafted: not open
    assert r.status_code == 400 and 'data-field="service_point"' in r.content.decode()
    # an organization picked before switching the role is ignored
    r = client.post(GRANT_PAGE, {**data, "service_point": str(points["mine"].pk), "organization": "1"})
    assert r.status_code == 302
    a = RoleAssignment.objects.get(user=grantee)
    assert (a.role, a.object_id) == ("station_admin", points["mine"].pk)


def test_operator_picker_scope_and_permission(client, county_manager, other_county_manager, plain_user):
    mine = active_org(county_manager, name="桥东长者关爱服务中心")
    theirs = active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)
    client.force_login(plain_user)
    assert client.get(OPERATORS, {"picker": "operator_organization_id"}).status_code == 403
    client.force_login(county_manager)
    r = client.get(OPERATORS, {"picker": "operator_organization_id", "operator_organization_id__q": ""})
    assert offered(r) == [mine.pk] and theirs.name not in r.content.decode()


def test_point_form_keeps_an_operator_the_editor_no_longer_sees(client, city_manager, county_manager, other_county_manager):
    """A city manager set a Huiyang organization as the operator of a Huicheng point; the county
    manager editing the point sees it by name and saving keeps it."""
    theirs = active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)
    p = point(city_manager, name="桥东志愿服务站", region_code=HUICHENG_TOWN, operator_organization_id=theirs.pk)
    client.force_login(county_manager)
    page = client.get(f"/stations/manage/{p.pk}/edit/").content.decode()
    assert f'data-picker-current="{theirs.pk}"' in page and "淡水青年志愿者协会" in page
    data = {"name": "桥东志愿服务站", "kind": "station", "region_code": HUICHENG_TOWN, "address": "新地址",
            "operator_organization_id": str(theirs.pk)}  # fmt: skip
    assert client.post(f"/stations/manage/{p.pk}/edit/", data).status_code == 302
    assert ServicePoint.objects.get(pk=p.pk).operator_organization == theirs
    data["operator_organization_id"] = ""  # 不指定运营组织
    assert client.post(f"/stations/manage/{p.pk}/edit/", data).status_code == 302
    assert ServicePoint.objects.get(pk=p.pk).operator_organization is None

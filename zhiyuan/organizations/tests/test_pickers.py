"""The organization picker of the role grant form (org_admin): it offers only active organizations
the granter may see, finds them by name or region, and the grant still checks the choice."""

import re

import pytest

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.organizations.services import organization_suspend
from zhiyuan.organizations.tests.factories import HUIYANG_TOWN, active_org, apply, next_mobile
from zhiyuan.testing import make_user

pytestmark = pytest.mark.django_db
GRANT_PAGE = "/accounts/roles/grant/"
OPTIONS = "/accounts/roles/grant/objects/"


def offered(r) -> list[int]:
    return [int(i) for i in re.findall(r'data-picker-option="(\d+)"', r.content.decode())]


def options(client, q="", **params):
    return client.get(OPTIONS, {"role": "org_admin", "picker": "organization", "organization__q": q, **params})


@pytest.fixture
def orgs(county_manager, other_county_manager):
    mine = active_org(county_manager, name="桥东长者关爱服务中心")
    suspended = active_org(county_manager, name="桥东青年突击队")
    organization_suspend(actor=county_manager, org=suspended, reason="整改")
    theirs = active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)
    pending = apply(name="桥东待审核服务队")
    return {"mine": mine, "suspended": suspended, "theirs": theirs, "pending": pending}


def test_offers_active_organizations_in_scope_by_name_or_region(client, county_manager, city_manager, orgs):
    client.force_login(county_manager)
    r = options(client)
    assert r.status_code == 200 and offered(r) == [orgs["mine"].pk]
    assert "桥东长者关爱服务中心" in r.content.decode() and "惠城区/桥东街道" in r.content.decode()
    assert offered(options(client, "长者")) == [orgs["mine"].pk]
    assert offered(options(client, "惠城")) == [orgs["mine"].pk]  # by region
    assert offered(options(client, "淡水")) == []  # another county's
    assert offered(options(client, str(orgs["theirs"].pk))) == []
    client.force_login(city_manager)
    assert set(offered(options(client))) == {orgs["mine"].pk, orgs["theirs"].pk}
    assert offered(options(client, "惠阳")) == [orgs["theirs"].pk]


def test_only_for_people_who_may_grant_that_role(client, plain_user, county_manager, orgs):
    client.force_login(plain_user)
    assert options(client).status_code == 403
    client.force_login(county_manager)
    assert client.get(OPTIONS, {"role": "platform_admin", "picker": "organization"}).status_code == 404
    assert client.get(OPTIONS, {"role": "nobody", "picker": "organization"}).status_code == 404
    assert options(client, picker="bad name").status_code == 400


def test_grant_through_the_picker_and_its_errors(client, county_manager, orgs):
    grantee = make_user(next_mobile(), "新任管理员")
    client.force_login(county_manager)
    page = client.get(GRANT_PAGE).content.decode()
    assert f'name="organization" value="{orgs["mine"].pk}"' in page and "淡水青年志愿者协会" not in page
    data = {"mobile": grantee.mobile, "role": "org_admin"}
    # typed a name (Enter without JavaScript) but chose nothing: the matches come back to choose from
    r = client.post(GRANT_PAGE, {**data, "organization__q": "长者"})
    assert r.status_code == 400 and "请从搜索结果中选择一项。" in r.content.decode()
    assert offered(r) == [orgs["mine"].pk]
    # a crafted choice outside the scope: the service refuses it, on the picker
    r = client.post(GRANT_PAGE, {**data, "organization": str(orgs["theirs"].pk)})
    body = r.content.decode()
    assert r.status_code == 400 and "该组织不存在，请核对组织编号。" in body  # outside looks like missing
    assert body.index("该组织不存在") > body.index('data-field="organization"')
    # a station picker left filled in, or a stale region, does not matter for this role
    r = client.post(GRANT_PAGE, {**data, "organization": str(orgs["mine"].pk), "service_point__q": "x", "region_code": "99"})
    assert r.status_code == 302
    a = RoleAssignment.objects.get(user=grantee)
    assert (a.role, a.object_id, a.region_code) == ("org_admin", orgs["mine"].pk, orgs["mine"].region_code)

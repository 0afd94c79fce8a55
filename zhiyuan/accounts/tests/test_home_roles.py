"""The home page names each of the user's roles once, with the organization it is held over
(an organization admin's assignment carries the organization's region, which said nothing)."""

import pytest

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.services import role_grant

pytestmark = pytest.mark.django_db


def test_an_organization_admin_sees_the_role_once_with_the_organizations_names(client, county_manager):
    from zhiyuan.organizations.tests.factories import active_org, applicant

    admin = applicant("双组织管理员")
    first = active_org(county_manager, actor=admin)
    second = active_org(county_manager)
    role_grant(actor=county_manager, user=admin, role=Role.ORG_ADMIN, object_id=second.pk)
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert html.count('data-role="org_admin"') == 1
    assert f"组织管理员 · {first.name}、{second.name}" in html
    assert "广东省/惠州市/惠城区" not in html  # the organizations' region is not the role's scope


def test_a_region_manager_keeps_the_region(client, county_manager):
    client.force_login(county_manager)
    html = client.get("/").content.decode()
    assert html.count('data-role="region_manager"') == 1 and "区域管理员 · 广东省/惠州市/惠城区" in html

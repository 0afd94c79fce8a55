"""ACC-2 through the role pages and API: granting ``org_admin`` names an organization, which must
exist, be active and lie inside the granter's scope (a county office cannot appoint the admin of
another county's organization). Refusals out of scope are audited ``denied``."""

import pytest

from zhiyuan.accounts import services
from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_object_ids
from zhiyuan.accounts.services import api_token_create
from zhiyuan.core.errors import DomainError
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations.services import organization_suspend
from zhiyuan.organizations.tests.factories import HUIYANG_TOWN, active_org, apply, next_mobile
from zhiyuan.testing import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/accounts/role-assignments"
GRANT_PAGE = "/accounts/roles/grant/"
MISSING = "该组织不存在，请核对组织编号。"


@pytest.fixture
def huicheng_org(county_manager):
    return active_org(county_manager, name="桥东长者关爱服务中心")


@pytest.fixture
def huiyang_org(other_county_manager):
    return active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)


@pytest.fixture
def grantee():
    return make_user(next_mobile(), "新任管理员")


def last_grant() -> AuditEntry:
    return AuditEntry.objects.filter(action="accounts.role.grant").order_by("-id").first()


def test_county_manager_appoints_the_admin_of_an_organization_in_the_county(county_manager, huicheng_org, grantee):
    a = services.role_grant(actor=county_manager, user=grantee, role=Role.ORG_ADMIN, object_id=huicheng_org.pk)
    assert (a.object_id, a.region_code, a.granted_by) == (huicheng_org.pk, huicheng_org.region_code, county_manager)
    assert huicheng_org.pk in actor_object_ids(grantee, Role.ORG_ADMIN)
    entry = last_grant()
    assert entry.result == "ok" and entry.detail["object_id"] == huicheng_org.pk
    # The assignment is in the county's role list, and the county office may revoke it.
    assert RoleAssignment.objects.visible_to(county_manager).filter(pk=a.pk).exists()
    services.role_revoke(actor=county_manager, assignment=a)
    # Granting again while an admin already holds it (e.g. appointed on the organization's pages) is a conflict.
    services.role_grant(actor=county_manager, user=grantee, role=Role.ORG_ADMIN, object_id=huicheng_org.pk)
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=county_manager, user=grantee, role=Role.ORG_ADMIN, object_id=huicheng_org.pk)
    assert exc.value.status == 409


def test_another_countys_organization_is_refused_and_audited(county_manager, huiyang_org, grantee):
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=county_manager, user=grantee, role=Role.ORG_ADMIN, object_id=huiyang_org.pk)
    assert exc.value.status == 400 and exc.value.fields == {"object_id": [MISSING]}  # like a missing one (rule 8)
    assert not RoleAssignment.objects.filter(user=grantee).exists()
    entry = last_grant()
    assert entry.result == "denied" and entry.actor == county_manager and entry.detail["object_id"] == huiyang_org.pk


def test_organization_must_be_active(county_manager, huicheng_org, grantee):
    pending = apply(name="待审核的服务队")
    organization_suspend(actor=county_manager, org=huicheng_org, reason="年检未通过")
    cases = [
        (pending.pk, "组织「待审核的服务队」当前状态为“待审核”，只有状态正常的组织可以指定组织管理员。"),
        (huicheng_org.pk, "组织「桥东长者关爱服务中心」当前状态为“已暂停”，只有状态正常的组织可以指定组织管理员。"),
    ]
    for org_id, message in cases:
        with pytest.raises(DomainError) as exc:
            services.role_grant(actor=county_manager, user=grantee, role=Role.ORG_ADMIN, object_id=org_id)
        assert exc.value.status == 400 and exc.value.fields == {"object_id": [message]}
    assert not RoleAssignment.objects.filter(user=grantee).exists()


def test_platform_admin_appoints_anywhere_but_not_a_missing_organization(platform_admin, huiyang_org, grantee):
    a = services.role_grant(actor=platform_admin, user=grantee, role=Role.ORG_ADMIN, object_id=huiyang_org.pk)
    assert a.region_code == HUIYANG_TOWN
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=platform_admin, user=grantee, role=Role.ORG_ADMIN, object_id=huiyang_org.pk + 1000)
    assert exc.value.fields == {"object_id": [MISSING]}


# --- page ---------------------------------------------------------------------------------------------------


def test_grant_page_wrong_scope_missing_and_good(client, county_manager, huicheng_org, huiyang_org, grantee):
    client.force_login(county_manager)
    data = {"mobile": grantee.mobile, "role": "org_admin"}
    r = client.post(GRANT_PAGE, {**data, "object_id": str(huiyang_org.pk)})
    assert r.status_code == 400 and MISSING in r.content.decode()
    assert last_grant().result == "denied"
    r = client.post(GRANT_PAGE, {**data, "object_id": "987654"})
    assert r.status_code == 400 and MISSING in r.content.decode()
    assert not RoleAssignment.objects.filter(user=grantee).exists()
    r = client.post(GRANT_PAGE, {**data, "object_id": str(huicheng_org.pk)})
    assert r.status_code == 302
    a = RoleAssignment.objects.get(user=grantee)
    page = client.get(f"/accounts/roles/{a.pk}/").content.decode()
    assert "桥东长者关爱服务中心" in page and f"#{huicheng_org.pk}" in page


# --- API ----------------------------------------------------------------------------------------------------


def test_api_wrong_scope_missing_and_good(client, county_manager, huicheng_org, huiyang_org, grantee):
    client.force_login(county_manager)
    payload = {"mobile": grantee.mobile, "role": "org_admin"}
    r = client.post(API, {**payload, "object_id": huiyang_org.pk}, content_type="application/json")
    outside = r.json()
    assert r.status_code == 400 and outside["fields"] == {"object_id": [MISSING]}
    r = client.post(API, {**payload, "object_id": 987_654}, content_type="application/json")
    assert r.status_code == 400 and r.json() == outside
    r = client.post(API, {**payload, "object_id": huicheng_org.pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["object_id"], body["region_code"], body["role"]) == (huicheng_org.pk, huicheng_org.region_code, "org_admin")


def test_api_token_narrowed_to_a_county_grants_only_inside_it(client, platform_admin, huicheng_org, huiyang_org, grantee):
    _token, secret = api_token_create(actor=platform_admin, name="惠城区平台", can_write=True, region_prefix="441302")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    payload = {"mobile": grantee.mobile, "role": "org_admin", "object_id": huiyang_org.pk}
    r = client.post(API, payload, content_type="application/json", **auth)
    assert r.status_code == 400 and r.json()["fields"] == {"object_id": [MISSING]}
    r = client.post(API, {**payload, "object_id": huicheng_org.pk}, content_type="application/json", **auth)
    assert r.status_code == 201, r.content


# --- the org_admin role and the admin membership stay in step (the role is the source of truth) ----------


def test_granting_org_admin_on_the_roles_page_makes_the_admin_membership(county_manager, huicheng_org, volunteer):
    from zhiyuan.organizations.models import Membership

    def admin_members():
        active = Membership.objects.filter(organization=huicheng_org, volunteer=volunteer, status="active")
        return list(active.values_list("role", flat=True))

    a = services.role_grant(actor=county_manager, user=volunteer.user, role=Role.ORG_ADMIN, object_id=huicheng_org.pk)
    assert admin_members() == ["admin"]
    services.role_revoke(actor=county_manager, assignment=a)
    assert admin_members() == ["member"]  # still a member, no longer an admin one
    assert huicheng_org.pk not in actor_object_ids(volunteer.user, Role.ORG_ADMIN)
    # granting again promotes the same membership rather than opening a second one
    services.role_grant(actor=county_manager, user=volunteer.user, role=Role.ORG_ADMIN, object_id=huicheng_org.pk)
    assert admin_members() == ["admin"]


def test_org_admin_without_a_volunteer_profile_holds_the_role_only(county_manager, huicheng_org, grantee):
    from zhiyuan.organizations.models import Membership

    services.role_grant(actor=county_manager, user=grantee, role=Role.ORG_ADMIN, object_id=huicheng_org.pk)
    assert huicheng_org.pk in actor_object_ids(grantee, Role.ORG_ADMIN)
    assert not Membership.objects.filter(organization=huicheng_org, volunteer__user=grantee).exists()

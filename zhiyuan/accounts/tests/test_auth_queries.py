"""The two-factor test of every signed-in request reads nothing of its own for a user without an
administrator role: the authentication backend reads "holds a region manager / platform admin
assignment" with the user row (``scopes.TWO_FACTOR_HINT``), and the volunteer role provider is
not asked about roles it cannot give. Nothing is cached across requests: a role granted or
revoked applies from the next request."""

import pytest

from zhiyuan.accounts.backends import MobileBackend
from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import TWO_FACTOR_ROLES, Role
from zhiyuan.accounts.scopes import TWO_FACTOR_HINT, actor_has_role, actor_roles
from zhiyuan.accounts.services import role_assignment_add, role_assignment_end
from zhiyuan.testing import HUICHENG, HUIYANG, make_user

pytestmark = pytest.mark.django_db
ME = "/api/v1/accounts/me"


def signed_in(user_id):
    return MobileBackend().get_user(user_id)


def test_the_user_row_comes_with_the_hint(county_manager, plain_user, django_assert_num_queries):
    with django_assert_num_queries(1):
        manager = signed_in(county_manager.pk)
    assert getattr(manager, TWO_FACTOR_HINT) is True
    assert getattr(signed_in(plain_user.pk), TWO_FACTOR_HINT) is False
    assert signed_in(10**9) is None
    plain_user.is_active = False
    plain_user.save(update_fields=["is_active"])
    assert signed_in(plain_user.pk) is None


def test_a_volunteer_costs_no_query_for_the_two_factor_test(volunteer, django_assert_num_queries):
    user = signed_in(volunteer.user_id)
    with django_assert_num_queries(0):
        assert not actor_has_role(user, *TWO_FACTOR_ROLES)
    with django_assert_num_queries(2):  # asked about a role a provider gives: assignments + profile
        assert actor_has_role(user, Role.VOLUNTEER)
    assert [r.role for r in actor_roles(user)] == [Role.VOLUNTEER]


def test_administrators_and_other_questions_read_the_roles(county_manager, platform_admin):
    assert actor_has_role(signed_in(county_manager.pk), *TWO_FACTOR_ROLES)
    assert actor_has_role(signed_in(platform_admin.pk), Role.PLATFORM_ADMIN)
    assert not actor_has_role(signed_in(county_manager.pk), Role.PLATFORM_ADMIN)
    # a user object that did not come through the backend has no hint: the roles are read
    assert actor_has_role(county_manager, Role.REGION_MANAGER)


def test_a_role_granted_or_revoked_applies_from_the_next_request(client, plain_user, county_manager):
    client.force_login(plain_user)
    assert client.get(ME).status_code == 200
    granted = role_assignment_add(user=plain_user, role=Role.REGION_MANAGER, region_code=HUIYANG)
    r = client.get(ME)  # an administrator now: two-factor first
    assert r.status_code == 403 and r.json()["code"] == "totp_required"
    role_assignment_end(assignment=granted)
    assert client.get(ME).status_code == 200

    # a revoked manager no longer reaches what the role gave
    someone = make_user("13900000077", "被授权人", role=Role.REGION_MANAGER, region_code=HUICHENG, totp=False)
    theirs = RoleAssignment.objects.get(user=someone)
    client.force_login(county_manager)
    r = client.get(f"/api/v1/accounts/role-assignments/{theirs.pk}")
    assert r.status_code == 200, r.content
    role_assignment_end(assignment=RoleAssignment.objects.get(user=county_manager))
    r = client.get(f"/api/v1/accounts/role-assignments/{theirs.pk}")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"  # roles are managers' business

"""The scope mechanism (issue "Foundation" item 5): region prefixes, ``visible_to``, and how an
API token narrows its owner's scope."""

import pytest

from zhiyuan.accounts.models import RoleAssignment, User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import (
    RoleRef,
    _narrow_to_prefix,
    actor_is_platform_admin,
    actor_region_prefixes,
    actor_roles,
    region_q,
)
from zhiyuan.accounts.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, token_for, town_manager

pytestmark = pytest.mark.django_db


def acting_with(token) -> User:
    """The user object as TokenAuth hands it to a view."""
    u = User.objects.get(pk=token.user_id)
    u._zy_token = token
    return u


def test_region_prefixes_by_level(platform_admin, city_manager, county_manager, plain_user):
    assert actor_region_prefixes(city_manager) == ["4413"]
    assert actor_region_prefixes(county_manager) == ["441302"]
    assert actor_region_prefixes(town_manager(HUICHENG_TOWN)) == ["441302001"]
    assert actor_region_prefixes(plain_user) == []
    assert actor_region_prefixes(platform_admin) == [] and actor_is_platform_admin(platform_admin)
    assert actor_region_prefixes(None) == []


def test_revoked_assignment_gives_no_scope(county_manager):
    RoleAssignment.objects.filter(user=county_manager).update(active=False)
    fresh = User.objects.get(pk=county_manager.pk)
    assert actor_region_prefixes(fresh) == []


def test_several_roles_in_several_regions(county_manager):
    RoleAssignment.objects.create(user=county_manager, role=Role.REGION_MANAGER, region_code="441303001000")
    RoleAssignment.objects.create(user=county_manager, role=Role.ORG_ADMIN, object_id=7)
    fresh = User.objects.get(pk=county_manager.pk)
    assert actor_region_prefixes(fresh) == ["441302", "441303001"]
    assert RoleRef(Role.ORG_ADMIN, None, 7) in actor_roles(fresh)


def test_region_q_with_no_prefix_matches_nothing(county_manager):
    assert not RoleAssignment.objects.filter(region_q("region_code", [])).exists()


def test_county_manager_sees_nothing_of_the_neighbouring_county(county_manager, other_county_manager):
    huiyang_town = town_manager(HUIYANG_TOWN)
    huicheng_town = town_manager(HUICHENG_TOWN)
    visible = set(RoleAssignment.objects.visible_to(county_manager).values_list("user_id", flat=True))
    assert visible == {county_manager.pk, huicheng_town.pk}
    assert huiyang_town.pk not in visible and other_county_manager.pk not in visible


def test_city_manager_sees_both_counties(city_manager, county_manager, other_county_manager, platform_admin):
    huiyang_town = town_manager(HUIYANG_TOWN)
    visible = set(RoleAssignment.objects.visible_to(city_manager).values_list("user_id", flat=True))
    assert {county_manager.pk, other_county_manager.pk, huiyang_town.pk, city_manager.pk} <= visible
    assert platform_admin.pk not in visible  # platform-wide roles have no region


def test_platform_admin_sees_all_and_others_nothing(platform_admin, county_manager, plain_user):
    assert RoleAssignment.objects.visible_to(platform_admin).count() == RoleAssignment.objects.count()
    assert not RoleAssignment.objects.visible_to(plain_user).exists()
    assert not RoleAssignment.objects.visible_to(None).exists()


def test_token_narrowed_to_a_county_sees_only_it(city_manager, county_manager, other_county_manager):
    token, _ = token_for(city_manager, region_prefix="441302")
    actor = acting_with(token)
    assert actor_region_prefixes(actor) == ["441302"]
    visible = set(RoleAssignment.objects.visible_to(actor).values_list("user_id", flat=True))
    assert county_manager.pk in visible
    assert other_county_manager.pk not in visible and city_manager.pk not in visible


def test_platform_admin_token_narrowed_is_no_longer_platform_wide(platform_admin, county_manager, other_county_manager):
    token, _ = token_for(platform_admin, region_prefix=HUIYANG_TOWN)
    actor = acting_with(token)
    assert not actor_is_platform_admin(actor)
    assert actor_region_prefixes(actor) == ["441303001"]
    assert not RoleAssignment.objects.visible_to(actor).filter(user=other_county_manager).exists()


def test_unnarrowed_token_keeps_the_owners_scope(county_manager):
    token, _ = token_for(county_manager)
    assert actor_region_prefixes(acting_with(token)) == ["441302"]


def test_narrowing_rules():
    roles = [
        RoleRef(Role.REGION_MANAGER, "4413"),
        RoleRef(Role.REGION_MANAGER, "441303001"),
        RoleRef(Role.ORG_ADMIN, None, 5),
        RoleRef(Role.VOLUNTEER),
    ]
    narrowed = _narrow_to_prefix(roles, "441303")
    assert RoleRef(Role.REGION_MANAGER, "441303") in narrowed  # the wider role shrinks to the token
    assert RoleRef(Role.REGION_MANAGER, "441303001") in narrowed  # a narrower one stays as it is
    assert RoleRef(Role.VOLUNTEER) in narrowed
    assert all(r.role != Role.ORG_ADMIN for r in narrowed)  # object roles do not survive a region narrowing
    assert _narrow_to_prefix([RoleRef(Role.REGION_MANAGER, "441302")], "441303") == []


def test_scope_providers_cannot_widen_a_narrowed_token(city_manager, other_county_manager):
    """A higher app's scope provider adds objects; a region-narrowed token still sees only its region."""
    from django.db.models import Q

    from zhiyuan.accounts import scopes

    def everything(actor):
        return Q(pk__isnull=False)

    scopes.register_scope_provider("accounts.RoleAssignment", everything)
    try:
        token, _ = token_for(city_manager, region_prefix="441302")
        actor = acting_with(token)
        assert not RoleAssignment.objects.visible_to(actor).filter(user=other_county_manager).exists()
        assert RoleAssignment.objects.visible_to(city_manager).filter(user=other_county_manager).exists()
    finally:
        scopes.unregister_scope_provider("accounts.RoleAssignment", everything)



@pytest.mark.django_db
def test_object_roles_are_resolved_by_the_apps_that_own_the_objects():
    from zhiyuan.accounts.scopes import role_object_get

    # organizations and stations register resolvers at start-up; nothing names an absent id
    assert role_object_get(Role.ORG_ADMIN, 987_654) is None
    assert role_object_get(Role.STATION_ADMIN, 987_654) is None
    with pytest.raises(LookupError):
        role_object_get(Role.REGION_MANAGER, 1)

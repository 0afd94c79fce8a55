"""Organization and membership services: every rule of ORG-1…ORG-4, scope, audit."""

import pytest

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_role_cache_clear
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.lists import list_query
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations import selectors, services
from zhiyuan.organizations.lists import ORGANIZATIONS, REVIEW_QUEUE
from zhiyuan.organizations.models import Membership, Organization, OrganizationStatusChange, Status
from zhiyuan.organizations.services import OrganizationInput
from zhiyuan.organizations.tests.factories import (
    HUIYANG_TOWN,
    active_org,
    active_team,
    applicant,
    apply,
    make_uscc,
    member,
    org_data,
    team_data,
)
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.tests.factories import register


def listed(spec, actor, **data) -> list:
    """The spec's scoped, filtered rows (strict: an invalid filter is a 422)."""
    return list(list_query(actor=actor, spec=spec, data=data or None).queryset)


pytestmark = pytest.mark.django_db


def fresh(user):
    actor_role_cache_clear(user)
    return user


def fields(exc) -> dict:
    return {k: [str(m) for m in v] for k, v in exc.value.fields.items()}


# --- ORG-2: USCC -------------------------------------------------------------------------------------


def test_uscc_valid_is_normalized():
    code = make_uscc(1)
    assert services.uscc_clean(f" {code.lower()[:9]} {code.lower()[9:]} ") == code


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("91441302MA4UH8KX1", "18位"),  # 17 characters
        ("91441302MA4UH8KX1XX", "18位"),
        ("9144130AMA4UH8KX12", "格式"),  # a letter among the first 8
        ("91441302MA4UH8KXI1", "格式"),  # I is not in the alphabet
    ],
)
def test_uscc_bad_input_has_field_message(raw, fragment):
    with pytest.raises(DomainError) as exc:
        services.uscc_clean(raw)
    assert fragment in fields(exc)["uscc"][0]


def test_uscc_bad_check_character():
    code = make_uscc(2)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(DomainError) as exc:
        services.uscc_clean(wrong)
    assert "校验位" in fields(exc)["uscc"][0]


def test_apply_legal_entity_needs_uscc_and_team_needs_sponsor():
    user = applicant()
    with pytest.raises(DomainError) as exc:
        services.organization_apply(actor=user, application=OrganizationInput(**org_data(uscc="")))
    assert "统一社会信用代码" in fields(exc)["uscc"][0]
    with pytest.raises(DomainError) as exc:
        services.organization_apply(
            actor=user, application=OrganizationInput(**team_data(sponsor_type="", sponsor_name="", team_category="x"))
        )
    assert set(fields(exc)) >= {"sponsor_type", "sponsor_name", "team_category"}
    with pytest.raises(DomainError) as exc:
        services.organization_apply(actor=user, application=OrganizationInput(**team_data(uscc=make_uscc(3))))
    assert "uscc" in fields(exc)
    assert not Organization.objects.exists()


def test_apply_reports_every_field_error_at_once():
    with pytest.raises(DomainError) as exc:
        services.organization_apply(
            actor=applicant(),
            application=OrganizationInput(
                name="", kind="bogus", region_code="12", address="", contact_name="", contact_phone="123"
            ),
        )
    assert set(fields(exc)) >= {"name", "kind", "region_code", "address", "contact_name", "contact_phone"}


def test_apply_unknown_region():
    with pytest.raises(DomainError) as exc:
        apply(region_code="441399999000")
    assert fields(exc)["region_code"] == ["该区划不存在。"]


def test_uscc_unique_but_reusable_after_rejection(county_manager):
    code = make_uscc(10)
    first = apply(uscc=code)
    with pytest.raises(DomainError) as exc:
        apply(uscc=code)
    assert "已被其他组织使用" in fields(exc)["uscc"][0]
    services.organization_review(actor=county_manager, org=first, decision="reject", reason="材料不全")
    again = apply(uscc=code)
    assert again.status == Status.PENDING


def test_same_name_in_same_region_refused():
    apply(name="桥东长者服务中心")
    with pytest.raises(DomainError) as exc:
        apply(name="桥东长者服务中心")
    assert "同名" in fields(exc)["name"][0]
    assert apply(name="桥东长者服务中心", region_code=HUIYANG_TOWN).pk


def test_pending_applications_are_limited():
    user = applicant()
    for _ in range(5):
        apply(user)
    with pytest.raises(Conflict):
        apply(user)


# --- ORG-3: review and status ----------------------------------------------------------------------


def test_apply_then_approve_makes_applicant_admin(county_manager):
    user = applicant()
    org = apply(user)
    assert org.status == Status.PENDING
    assert AuditEntry.objects.filter(action="organizations.org.apply", object_id=str(org.pk)).exists()
    services.organization_review(actor=county_manager, org=org, decision="approve")
    org.refresh_from_db()
    assert org.status == Status.ACTIVE and org.reviewed_by == county_manager
    assert RoleAssignment.objects.filter(user=user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).exists()
    assert list(selectors.admin_organizations(actor=fresh(user))) == [org]
    history = list(OrganizationStatusChange.objects.filter(organization=org).values_list("from_status", "to_status"))
    assert history == [("", "pending"), ("pending", "active")]
    assert AuditEntry.objects.filter(action="organizations.org.approve", object_id=str(org.pk), actor=county_manager).exists()


def test_applicant_who_is_volunteer_gets_admin_membership(county_manager, volunteer):
    org = apply(volunteer.user)
    services.organization_review(actor=county_manager, org=org, decision="approve")
    m = Membership.objects.get(organization=org, volunteer=volunteer)
    assert (m.role, m.status) == ("admin", "active")


def test_reject_needs_reason_and_is_final(county_manager):
    org = apply()
    with pytest.raises(DomainError) as exc:
        services.organization_review(actor=county_manager, org=org, decision="reject", reason=" ")
    assert "reason" in fields(exc)
    services.organization_review(actor=county_manager, org=org, decision="reject", reason="名称不规范")
    org.refresh_from_db()
    assert (org.status, org.status_reason) == ("rejected", "名称不规范")
    with pytest.raises(Conflict):
        services.organization_review(actor=county_manager, org=org, decision="approve")
    assert not RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id=org.pk).exists()


def test_county_manager_cannot_see_or_review_other_county(county_manager, other_county_manager, city_manager):
    org = apply(region_code=HUIYANG_TOWN)
    with pytest.raises(NotFound):
        selectors.organization_get(actor=county_manager, id=org.pk)
    assert org not in listed(REVIEW_QUEUE, county_manager)
    with pytest.raises(PermissionDenied):
        services.organization_review(actor=county_manager, org=org, decision="approve")
    denied = AuditEntry.objects.get(action="organizations.org.approve", object_id=str(org.pk))
    assert denied.result == AuditEntry.Result.DENIED
    assert org in listed(REVIEW_QUEUE, other_county_manager)
    assert org in listed(REVIEW_QUEUE, city_manager)
    services.organization_review(
        actor=city_manager, org=selectors.organization_get(actor=city_manager, id=org.pk), decision="approve"
    )
    org.refresh_from_db()
    assert org.status == Status.ACTIVE


def test_org_admin_cannot_review_and_queue_excludes_own(county_manager, platform_admin):
    org = active_org(county_manager)
    admin = fresh(org.created_by)
    sub = services.organization_apply(actor=admin, application=OrganizationInput(**team_data(parent_id=org.pk)))
    assert sub in listed(ORGANIZATIONS, admin)  # visible as a sub-team …
    assert list(listed(REVIEW_QUEUE, admin)) == []  # … but not theirs to review
    with pytest.raises(PermissionDenied):
        services.organization_review(actor=admin, org=sub, decision="approve")
    assert sub in listed(REVIEW_QUEUE, platform_admin)


def test_suspend_reinstate_deregister(county_manager, volunteer):
    org = active_org(county_manager)
    m = member(org, volunteer, admin=fresh(org.created_by))
    with pytest.raises(DomainError) as exc:
        services.organization_suspend(actor=county_manager, org=org, reason="")
    assert "reason" in fields(exc)
    services.organization_suspend(actor=county_manager, org=org, reason="年检未通过")
    org.refresh_from_db()
    assert org.status == Status.SUSPENDED
    with pytest.raises(Conflict):
        services.membership_apply(actor=register().user, org=org)
    with pytest.raises(Conflict):
        services.organization_suspend(actor=county_manager, org=org, reason="again")
    services.organization_reinstate(actor=county_manager, org=org)
    services.organization_deregister(actor=county_manager, org=org, reason="自行解散")
    org.refresh_from_db()
    m.refresh_from_db()
    assert org.status == Status.DEREGISTERED and m.status == "removed"
    assert not RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id=org.pk, active=True).exists()
    with pytest.raises(Conflict):
        services.organization_reinstate(actor=county_manager, org=org)
    actions = set(AuditEntry.objects.filter(object_id=str(org.pk)).values_list("action", flat=True))
    assert {"organizations.org.suspend", "organizations.org.reinstate", "organizations.org.deregister"} <= actions
    steps = list(org.status_changes.values_list("to_status", "reason"))
    assert steps[-3:] == [("suspended", "年检未通过"), ("active", ""), ("deregistered", "自行解散")]


def test_other_county_cannot_suspend(county_manager, other_county_manager):
    org = active_org(county_manager)
    with pytest.raises(PermissionDenied):
        services.organization_suspend(actor=other_county_manager, org=org, reason="x")


def test_deregister_needs_sub_teams_gone(county_manager):
    org = active_org(county_manager)
    sub = active_team(county_manager, actor=fresh(org.created_by), parent_id=org.pk)
    with pytest.raises(Conflict):
        services.organization_deregister(actor=county_manager, org=org, reason="解散")
    services.organization_deregister(actor=county_manager, org=sub, reason="解散")
    services.organization_deregister(actor=county_manager, org=org, reason="解散")


# --- ORG-4: sub-teams -------------------------------------------------------------------------------


def test_sub_team_only_by_parent_admin_team_kind_and_inside_region(county_manager):
    org = active_org(county_manager)
    admin = fresh(org.created_by)
    with pytest.raises(DomainError) as exc:
        services.organization_apply(actor=applicant(), application=OrganizationInput(**team_data(parent_id=org.pk)))
    assert "parent_id" in fields(exc)
    with pytest.raises(DomainError) as exc:
        services.organization_apply(actor=admin, application=OrganizationInput(**org_data(parent_id=org.pk)))
    assert "kind" in fields(exc)
    with pytest.raises(DomainError) as exc:
        services.organization_apply(
            actor=admin, application=OrganizationInput(**team_data(parent_id=org.pk, region_code=HUIYANG_TOWN))
        )
    assert "region_code" in fields(exc)
    sub = services.organization_apply(actor=admin, application=OrganizationInput(**team_data(parent_id=org.pk)))
    assert sub.parent == org


# --- update -------------------------------------------------------------------------------------------


def test_org_admin_updates_profile_only(county_manager):
    org = active_org(county_manager)
    admin = fresh(org.created_by)
    with pytest.raises(DomainError) as exc:  # manager fields are refused by name, not silently ignored
        data = {"intro": "新的简介", "name": "改名", "region_code": HUIYANG_TOWN}
        services.organization_update(actor=admin, org=org, change=OrganizationInput(**data))
    assert exc.value.status == 422 and set(fields(exc)) == {"name", "region_code"}
    services.organization_update(actor=admin, org=org, change=OrganizationInput(intro="新的简介"))
    org.refresh_from_db()
    assert org.intro == "新的简介" and org.name != "改名" and org.region_code != HUIYANG_TOWN
    entry = AuditEntry.objects.get(action="organizations.org.update", object_id=str(org.pk))
    assert entry.detail == {"fields": ["intro"]}
    with pytest.raises(DomainError) as exc:
        services.organization_update(actor=admin, org=org, change=OrganizationInput(contact_phone="abc"))
    assert "contact_phone" in fields(exc)


def test_manager_renames_but_not_out_of_scope(county_manager):
    org = active_org(county_manager)
    services.organization_update(actor=county_manager, org=org, change=OrganizationInput(name="桥东新名"))
    org.refresh_from_db()
    assert org.name == "桥东新名"
    with pytest.raises(DomainError) as exc:
        services.organization_update(actor=county_manager, org=org, change=OrganizationInput(region_code=HUIYANG_TOWN))
    assert exc.value.status == 403


def test_stranger_cannot_update(county_manager, plain_user):
    org = active_org(county_manager)
    with pytest.raises(PermissionDenied):
        services.organization_update(actor=plain_user, org=org, change=OrganizationInput(intro="x"))


# --- ORG-4: membership state machine --------------------------------------------------------------------


@pytest.fixture
def org(county_manager):
    return active_org(county_manager)


@pytest.fixture
def admin(org):
    return fresh(org.created_by)


def test_apply_approve_leave(org, admin, volunteer):
    m = services.membership_apply(actor=volunteer.user, org=org)
    assert m.status == "applied"
    with pytest.raises(Conflict):
        services.membership_apply(actor=volunteer.user, org=org)
    services.membership_approve(actor=admin, membership=m, role="backbone")
    m.refresh_from_db()
    assert (m.status, m.role) == ("active", "backbone") and m.joined_at
    services.membership_leave(actor=volunteer.user, membership=m, reason="工作调动")
    m.refresh_from_db()
    assert m.status == "left" and m.ended_at
    again = services.membership_apply(actor=volunteer.user, org=org)  # a new row, history kept
    assert again.pk != m.pk
    actions = list(
        AuditEntry.objects.filter(action__startswith="organizations.member.").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "organizations.member.apply",
        "organizations.member.approve",
        "organizations.member.leave",
        "organizations.member.apply",
    ]


def test_reject_application(org, admin, volunteer):
    m = services.membership_apply(actor=volunteer.user, org=org)
    services.membership_reject(actor=admin, membership=m, reason="人数已满")
    m.refresh_from_db()
    assert (m.status, m.reason) == ("rejected", "人数已满")
    with pytest.raises(Conflict):
        services.membership_approve(actor=admin, membership=m)


def test_invite_accept_and_decline(org, admin, volunteer, huiyang_volunteer):
    with pytest.raises(DomainError) as exc:
        services.membership_invite(actor=admin, org=org, volunteer_no="ZY000")
    assert "volunteer_no" in fields(exc)
    m = services.membership_invite(actor=admin, org=org, volunteer_no=volunteer.volunteer_no.lower())
    assert m.status == "invited"
    with pytest.raises(Conflict):
        services.membership_invite(actor=admin, org=org, volunteer_no=volunteer.volunteer_no)
    with pytest.raises(Conflict):
        services.membership_approve(actor=admin, membership=m)  # the volunteer answers an invitation
    services.membership_respond(actor=volunteer.user, membership=m, accept=True)
    m.refresh_from_db()
    assert m.status == "active"
    d = services.membership_invite(actor=admin, org=org, volunteer_no=huiyang_volunteer.volunteer_no)
    with pytest.raises(DomainError):
        services.membership_respond(actor=volunteer.user, membership=d, accept=True)  # not theirs
    services.membership_respond(actor=huiyang_volunteer.user, membership=d, accept=False)
    d.refresh_from_db()
    assert d.status == "rejected"


def test_remove_needs_reason(org, admin, volunteer):
    m = member(org, volunteer, admin=admin)
    with pytest.raises(DomainError) as exc:
        services.membership_remove(actor=admin, membership=m, reason="")
    assert "reason" in fields(exc)
    services.membership_remove(actor=admin, membership=m, reason="长期不参加活动")
    m.refresh_from_db()
    assert (m.status, m.reason) == ("removed", "长期不参加活动")
    assert AuditEntry.objects.filter(action="organizations.member.remove", object_id=str(m.pk)).exists()


def test_admin_role_follows_membership(org, admin, volunteer):
    m = member(org, volunteer, admin=admin, role="admin")
    user = volunteer.user
    assert RoleAssignment.objects.filter(user=user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).exists()
    services.membership_role_change(actor=admin, membership=m, role="member")
    assert not RoleAssignment.objects.filter(user=user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).exists()
    services.membership_role_change(actor=admin, membership=m, role="admin")
    assert RoleAssignment.objects.filter(user=user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).count() == 1
    services.membership_remove(actor=admin, membership=m, reason="违反章程")
    assert not RoleAssignment.objects.filter(user=user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).exists()


def test_last_admin_cannot_leave(county_manager, volunteer):
    org = active_org(county_manager, actor=volunteer.user)  # the volunteer applied: sole admin
    m = Membership.objects.get(organization=org, volunteer=volunteer)
    with pytest.raises(Conflict):
        services.membership_leave(actor=volunteer.user, membership=m)
    other = register(name="第二管理员")
    member(org, other, admin=fresh(volunteer.user), role="admin")
    services.membership_leave(actor=volunteer.user, membership=m)
    assert not RoleAssignment.objects.filter(user=volunteer.user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).exists()


def test_other_org_admin_cannot_manage_members(county_manager, org, volunteer):
    other = active_org(county_manager)
    other_admin = fresh(other.created_by)
    m = services.membership_apply(actor=volunteer.user, org=org)
    with pytest.raises(NotFound):
        selectors.organization_get_for_members(actor=other_admin, id=org.pk)
    with pytest.raises(PermissionDenied):
        services.membership_approve(actor=other_admin, membership=m)
    assert AuditEntry.objects.filter(action="organizations.member.approve", result=AuditEntry.Result.DENIED).exists()


def test_restricted_volunteer_cannot_join(org, admin, volunteer):
    Volunteer.objects.filter(pk=volunteer.pk).update(status=Volunteer.Status.SUSPENDED)
    with pytest.raises(DomainError):
        services.membership_apply(actor=volunteer.user, org=org)
    with pytest.raises(DomainError) as exc:
        services.membership_invite(actor=admin, org=org, volunteer_no=volunteer.volunteer_no)
    assert "volunteer_no" in fields(exc)


def test_plain_user_cannot_join(org, plain_user):
    with pytest.raises(DomainError) as exc:
        services.membership_apply(actor=plain_user, org=org)
    assert "志愿者" in str(exc.value.message)


# --- scope providers -------------------------------------------------------------------------------------


def test_org_admin_sees_only_own_members_as_volunteers(county_manager, volunteer, huiyang_volunteer):
    org = active_org(county_manager)
    other = active_org(county_manager)
    admin = fresh(org.created_by)
    member(org, volunteer, admin=admin)
    member(other, huiyang_volunteer, admin=fresh(other.created_by))
    invited = register(name="受邀者")
    services.membership_invite(actor=admin, org=org, volunteer_no=invited.volunteer_no)
    visible = set(Volunteer.objects.visible_to(fresh(admin)).values_list("pk", flat=True))
    assert visible == {volunteer.pk}
    assert list(listed(ORGANIZATIONS, admin)) == [org]
    with pytest.raises(NotFound):
        selectors.organization_get(actor=admin, id=other.pk)


def test_org_list_filters(city_manager, county_manager):
    a = active_org(county_manager, name="桥东长者服务中心")
    b = active_team(city_manager, name="淡水青年突击队", region_code=HUIYANG_TOWN)
    assert list(listed(ORGANIZATIONS, city_manager, q="长者")) == [a]
    assert list(listed(ORGANIZATIONS, city_manager, q=a.uscc)) == [a]
    assert list(listed(ORGANIZATIONS, city_manager, kind="team")) == [b]
    assert list(listed(ORGANIZATIONS, city_manager, region="441303")) == [b]
    assert list(listed(ORGANIZATIONS, city_manager, status="pending")) == []
    assert set(listed(ORGANIZATIONS, county_manager)) == {a}

"""The stored public member count (organizations/counts.py, issue #7): it follows every change in
the same transaction, the rebuild command finds and fixes a difference, and the directory reads
it without aggregating memberships (its query count does not grow with the organizations)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhiyuan.core.errors import DomainError
from zhiyuan.organizations import services
from zhiyuan.organizations.counts import member_counts_rebuild
from zhiyuan.organizations.models import Organization
from zhiyuan.organizations.tests.factories import active_org, member
from zhiyuan.volunteers import services as vsvc
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db


def stored(org) -> int:
    return Organization.objects.values_list("member_count", flat=True).get(pk=org.pk)


def public_counts(client, org) -> tuple:
    listed = client.get("/api/v1/organizations/public", {"q": org.name}).json()["items"]
    detail = client.get(f"/api/v1/organizations/public/{org.pk}").json()
    return [o["member_count"] for o in listed], detail["member_count"]


def test_count_follows_join_approve_accept_leave_remove_and_consent(client, county_manager):
    org = active_org(county_manager)
    admin = org.created_by
    a, b, c, d = (register() for _ in range(4))
    assert stored(org) == 0  # the applicant is no volunteer: no membership

    applied = services.membership_apply(actor=a.user, org=org)
    assert stored(org) == 0  # an application does not count
    services.membership_approve(actor=admin, membership=applied)
    assert stored(org) == 1

    invited = services.membership_invite(actor=admin, org=org, volunteer_no=b.volunteer_no)
    assert stored(org) == 1  # nor does an invitation
    services.membership_respond(actor=b.user, membership=invited, accept=True)
    assert stored(org) == 2
    declined = services.membership_invite(actor=admin, org=org, volunteer_no=c.volunteer_no)
    services.membership_respond(actor=c.user, membership=declined, accept=False)
    rejected = services.membership_apply(actor=d.user, org=org)
    services.membership_reject(actor=admin, membership=rejected)
    assert stored(org) == 2

    withdrawn = services.membership_apply(actor=c.user, org=org)
    services.membership_leave(actor=c.user, membership=withdrawn)  # withdraws an application
    assert stored(org) == 2

    vsvc.consent_withdraw(actor=a.user)
    assert stored(org) == 1 and public_counts(client, org) == ([1], 1)
    vsvc.consent_accept(actor=a.user)
    assert stored(org) == 2

    services.membership_leave(actor=b.user, membership=invited)
    assert stored(org) == 1
    services.membership_remove(actor=admin, membership=applied, reason="长期未参加活动")
    assert stored(org) == 0
    assert member_counts_rebuild(fix=False) == []


def test_consent_withdrawal_updates_every_organization_of_the_person(county_manager, volunteer):
    orgs = [active_org(county_manager) for i in range(2)]
    for org in orgs:
        member(org, volunteer, admin=org.created_by)
    other = active_org(county_manager)
    member(other, register(), admin=other.created_by)
    vsvc.consent_withdraw(actor=volunteer.user)
    assert [stored(o) for o in orgs] == [0, 0] and stored(other) == 1
    vsvc.consent_accept(actor=volunteer.user)
    assert [stored(o) for o in orgs] == [1, 1] and stored(other) == 1
    assert member_counts_rebuild(fix=False) == []


def test_applicant_volunteer_counts_once_approved_and_deregistration_ends_it(county_manager, volunteer):
    org = active_org(county_manager, actor=volunteer.user)
    assert stored(org) == 1  # approval made the applicant an active admin member
    member(org, register(), admin=volunteer.user)
    assert stored(org) == 2
    services.organization_suspend(actor=county_manager, org=org, reason="年检未通过")
    assert stored(org) == 2  # suspended: the members stay (the directory shows active organizations only)
    services.organization_deregister(actor=county_manager, org=org, reason="自行解散")
    assert stored(org) == 0  # every membership ended
    assert member_counts_rebuild(fix=False) == []


def test_count_is_unchanged_when_a_change_is_refused(county_manager, volunteer):
    org = active_org(county_manager)
    m = member(org, volunteer, admin=org.created_by)
    with pytest.raises(DomainError):  # any refusal: the point is the count
        services.membership_approve(actor=org.created_by, membership=m)
    with pytest.raises(DomainError):
        services.membership_remove(actor=volunteer.user, membership=m, reason="x")
    assert stored(org) == 1


def test_rebuild_command_reports_and_fixes_a_planted_difference(county_manager, volunteer, capsys):
    org = active_org(county_manager)
    member(org, volunteer, admin=org.created_by)
    Organization.objects.filter(pk=org.pk).update(member_count=7)

    with pytest.raises(CommandError, match="1 member count"):
        call_command("organization_member_counts", "--check")
    assert f"organization {org.pk}: stored 7, actual 1" in capsys.readouterr().out
    assert stored(org) == 7  # --check does not fix

    call_command("organization_member_counts")
    out = capsys.readouterr().out
    assert f"organization {org.pk}: stored 7, actual 1" in out and "1 difference(s) fixed" in out
    assert stored(org) == 1
    call_command("organization_member_counts", "--check")
    assert "0 difference(s) found" in capsys.readouterr().out


def test_a_drifted_count_never_makes_a_withdrawal_fail(county_manager, volunteer):
    org = active_org(county_manager)
    member(org, volunteer, admin=org.created_by)
    Organization.objects.filter(pk=org.pk).update(member_count=0)  # drifted: should be 1
    vsvc.consent_withdraw(actor=volunteer.user)  # −1 stops at 0 instead of failing the check
    assert stored(org) == 0 and member_counts_rebuild() == []


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/organizations/directory/", "/api/v1/organizations/public"])
def test_directory_query_count_does_not_grow_with_organizations(client, county_manager, path):
    first = active_org(county_manager)
    member(first, register(), admin=first.created_by)
    _queries(client, path)  # warm caches (code tables, regions) like a running server
    few = _queries(client, path)
    for i in range(4):
        org = active_org(county_manager)
        member(org, register(), admin=org.created_by)
    assert _queries(client, path) == few
    # the page: session, one page of organizations, their categories, their region names
    # (no COUNT: keyset pages); the API: the same without the session
    assert few == {"/organizations/directory/": 4, "/api/v1/organizations/public": 3}[path]

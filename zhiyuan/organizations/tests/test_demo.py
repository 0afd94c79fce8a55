"""The demo hook: one active organization of each kind, a pending application, the org admin of
the service organization, ~30 members; idempotent."""

import pytest
from stdnum.cn import uscc as stdnum_uscc

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.core.lists import list_query
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations import demo
from zhiyuan.organizations.lists import REVIEW_QUEUE
from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.volunteers.tests.factories import register


def listed(spec, actor, **data) -> list:
    """The spec's scoped, filtered rows (strict: an invalid filter is a 422)."""
    return list(list_query(actor=actor, spec=spec, data=data or None).queryset)


pytestmark = pytest.mark.django_db


def test_seed_is_complete_and_idempotent(city_manager, county_manager, other_county_manager):
    admin_volunteer = register(name="李组织")
    volunteers = [
        register(name="陈" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰"[i // 10], region_code="441302001000")
        for i in range(45)
    ]
    orgs = demo.seed(org_admin_user=admin_volunteer.user, region_manager_user=city_manager, volunteers=volunteers)
    by_status = {o.status for o in orgs[:-1]}
    assert by_status == {"active"} and orgs[-1].status == "pending"
    assert {o.kind for o in orgs} == {"federation", "hub", "support", "service", "team"}
    assert {o.sponsor_type for o in orgs if o.kind == "team"} >= {"organ", "school", "community"}
    assert all(stdnum_uscc.is_valid(o.uscc) for o in orgs if o.kind != "team")
    federation = next(o for o in orgs if o.kind == "federation")
    assert federation.name == "惠州市志愿服务联合会" and federation.region_code == "441300000000"
    service = next(o for o in orgs if o.kind == "service")
    sub = next(o for o in orgs if o.parent_id)
    assert sub.parent_id == service.pk
    assert RoleAssignment.objects.filter(
        user=admin_volunteer.user, role=Role.ORG_ADMIN, object_id=service.pk, active=True
    ).exists()
    assert list(listed(REVIEW_QUEUE, county_manager)) == [orgs[-1]]
    assert list(listed(REVIEW_QUEUE, other_county_manager)) == []
    active = Membership.objects.filter(status="active").exclude(role="admin").count()
    assert 25 <= active <= 35
    assert Membership.objects.filter(organization=service, status="applied").count() == 2
    counts = (Organization.objects.count(), Membership.objects.count(), AuditEntry.objects.count())
    again = demo.seed(org_admin_user=admin_volunteer.user, region_manager_user=city_manager, volunteers=volunteers)
    assert [o.pk for o in again] == [o.pk for o in orgs]
    assert (Organization.objects.count(), Membership.objects.count(), AuditEntry.objects.count()) == counts

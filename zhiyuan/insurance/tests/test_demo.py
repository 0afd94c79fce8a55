"""The insurance demo hook: a listed policy with members on its list, a blanket policy in the
alert window, a platform policy; idempotent."""

import pytest

from zhiyuan.insurance import demo, selectors
from zhiyuan.insurance.coverage import insurance_covered
from zhiyuan.insurance.models import InsurancePolicy, InsuredPerson
from zhiyuan.organizations.tests.factories import member
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_covers_listed_members(org, org_admin, platform_admin, volunteer):
    member(org, volunteer, admin=org_admin)
    member(org, register(name="钱成员"), admin=org_admin)
    policies = demo.seed(org_admin_user=org_admin, region_manager_user=platform_admin)
    assert len(policies) == 3
    assert InsuredPerson.objects.filter(policy=policies[0]).count() == 2
    assert insurance_covered(volunteer=volunteer, organization=org, on=selectors.today()).covered
    assert policies[1] in selectors.policies_expiring(actor=org_admin)
    counts = (InsurancePolicy.objects.count(), InsuredPerson.objects.count())
    demo.seed(org_admin_user=org_admin, region_manager_user=platform_admin)
    assert (InsurancePolicy.objects.count(), InsuredPerson.objects.count()) == counts

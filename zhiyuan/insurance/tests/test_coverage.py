"""The one cover answer (issue #9 item 5): yes, or no with the precise Chinese reason; one
query for one volunteer, a constant number for a batch."""

import datetime as dt

import pytest

from zhiyuan.insurance import services
from zhiyuan.insurance.coverage import insurance_covered, insurance_covered_many
from zhiyuan.insurance.tests.factories import IN_YEAR, list_of, listed_policy, policy
from zhiyuan.organizations.tests.factories import member
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db


def test_listed_volunteer_is_covered_and_unlisted_gets_the_reason(org, org_admin, volunteer):
    other = register(name="李未保")
    p = listed_policy(org_admin, org, volunteer, policy_no="P-LIST-1")
    yes = insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR)
    assert yes.covered and yes.policy_id == p.pk and yes.reason == ""
    no = insurance_covered(volunteer=other, organization=org, on=IN_YEAR)
    assert not no.covered
    assert no.reason == "该志愿者不在保单 P-LIST-1 的被保险人名单中"


def test_expired_policy_names_its_end_date(org, org_admin, volunteer):
    listed_policy(org_admin, org, volunteer, policy_no="P-OLD", starts_on=dt.date(2025, 5, 2), ends_on=dt.date(2026, 5, 1))
    answer = insurance_covered(volunteer=volunteer, organization=org, on=dt.date(2026, 5, 2))
    assert not answer.covered
    assert answer.reason == "保单 P-OLD 已于2026-05-01到期"
    # the last day is covered
    assert insurance_covered(volunteer=volunteer, organization=org, on=dt.date(2026, 5, 1)).covered


def test_not_yet_started_and_cancelled(org, org_admin, volunteer):
    p = listed_policy(org_admin, org, volunteer, policy_no="P-NEXT", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30))
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR).reason == "保单 P-NEXT 自2026-07-01起生效"
    services.policy_cancel(actor=org_admin, policy=p, on=dt.date(2026, 9, 1))
    assert insurance_covered(volunteer=volunteer, organization=org, on=dt.date(2026, 8, 31)).covered
    answer = insurance_covered(volunteer=volunteer, organization=org, on=dt.date(2026, 9, 1))
    assert answer.reason == "保单 P-NEXT 已于2026-09-01退保"


def test_nothing_at_all(org, volunteer):
    answer = insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR)
    assert not answer.covered and answer.reason == "未参加任何有效保险"


def test_another_organizations_list_does_not_cover(org, other_org, other_org_admin, volunteer):
    listed_policy(other_org_admin, other_org, volunteer)
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR).reason == "未参加任何有效保险"
    assert insurance_covered(volunteer=volunteer, organization=other_org, on=IN_YEAR).covered


def test_blanket_policy_covers_active_members_only(org, org_admin, volunteer):
    outsider = register(name="周路人")
    member(org, volunteer, admin=org_admin)
    policy(org_admin, org, cover="members", policy_no="P-ALL")
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR).covered
    answer = insurance_covered(volunteer=outsider, organization=org, on=IN_YEAR)
    assert answer.reason == f"该志愿者不是{org.name}的在队成员，不在保单 P-ALL 的保障范围内"


def test_platform_policy_covers_residents_of_its_region(org, city_manager, volunteer, huiyang_volunteer, county_manager):
    policy(county_manager, None, cover="members", region_code="441302000000", policy_no="P-PLAT")
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR).covered
    assert not insurance_covered(volunteer=huiyang_volunteer, organization=org, on=IN_YEAR).covered


def test_a_platform_policy_of_another_region_of_the_province_is_never_named(org, volunteer, huiyang_volunteer,
                                                                            platform_admin):  # fmt: skip
    """Platform policies are read by province and kept only for the people's own regions: a
    惠阳 platform list does not cover, nor appear in the reason of, a 惠城 resident."""
    policy(platform_admin, None, cover="listed", region_code="441303000000", policy_no="P-HUIYANG")
    for answer in (
        insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR),
        insurance_covered_many(volunteers=[volunteer], organization=org, on=IN_YEAR)[volunteer.pk],
    ):
        assert not answer.covered and answer.reason == "未参加任何有效保险"
    huiyang = insurance_covered_many(volunteers=[huiyang_volunteer, volunteer], organization=org, on=IN_YEAR)
    assert huiyang[huiyang_volunteer.pk].reason == "该志愿者不在保单 P-HUIYANG 的被保险人名单中"
    assert not huiyang[volunteer.pk].covered


def test_liability_is_not_accident_cover(org, org_admin, volunteer):
    listed_policy(org_admin, org, volunteer, kind="liability")
    assert not insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR).covered
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR, kind="liability").covered


def test_activity_policy_is_asked_by_name(org, org_admin, other_org, volunteer):
    other = register(name="吴活动")
    p = policy(org_admin, org, cover="activity", policy_no="P-ACT", starts_on=IN_YEAR, ends_on=IN_YEAR)
    # not a general cover
    assert not insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR).covered
    # unnamed: covers the activity's participants (the caller vouches)
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR, policy=p).covered
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR + dt.timedelta(days=1), policy=p).reason == (
        "保单 P-ACT 已于2026-06-01到期"
    )
    # once it has a list, only the listed
    services.insured_import(actor=org_admin, policy=p, upload=list_of(volunteer))
    p.refresh_from_db()
    assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR, policy=p).covered
    assert insurance_covered(volunteer=other, organization=org, on=IN_YEAR, policy=p).reason == (
        "该志愿者不在保单 P-ACT 的被保险人名单中"
    )
    # another organization's activity cannot borrow it
    assert not insurance_covered(volunteer=volunteer, organization=other_org, on=IN_YEAR, policy=p).covered


def test_one_query_for_one_volunteer(org, org_admin, volunteer, django_assert_num_queries):
    member(org, volunteer, admin=org_admin)
    listed_policy(org_admin, org, volunteer)
    policy(org_admin, org, cover="members")
    with django_assert_num_queries(1):
        assert insurance_covered(volunteer=volunteer, organization=org, on=IN_YEAR).covered


def _people(n, start):
    return [register(name=f"批量{chr(0x4E00 + start + i)}") for i in range(n)]


def test_batch_matches_single_answers_in_constant_queries(org, org_admin, volunteer, django_assert_num_queries):
    few = _people(3, 0)
    many = _people(12, 10)
    listed_policy(org_admin, org, few[0], many[0], policy_no="P-B1")
    member(org, few[1], admin=org_admin)
    member(org, many[1], admin=org_admin)
    policy(org_admin, org, cover="members", policy_no="P-B2")
    for group in (few, many):
        with django_assert_num_queries(3):
            answers = insurance_covered_many(volunteers=group, organization=org, on=IN_YEAR)
        for v in group:
            assert answers[v.pk] == insurance_covered(volunteer=v, organization=org, on=IN_YEAR)
    assert answers[many[0].pk].covered and answers[many[1].pk].covered and not answers[many[2].pk].covered
    assert insurance_covered_many(volunteers=[], organization=org, on=IN_YEAR) == {}

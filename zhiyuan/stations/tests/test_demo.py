"""The stations demo hook: the 惠城区 practice network and its 站/岗/点/室, two of them run by the
demo organizations; idempotent, and a re-run fills in an operator that was missing."""

import pytest

from zhiyuan.core.models import AuditEntry
from zhiyuan.stations import demo
from zhiyuan.stations.models import ServicePoint
from zhiyuan.testing import HUICHENG

pytestmark = pytest.mark.django_db


def _operators(county_manager):
    from zhiyuan.organizations.tests.factories import active_org, active_team

    return (
        active_org(county_manager, name=demo.OPERATORS["room"], region_code=demo.QIAODONG),
        active_team(county_manager, name=demo.OPERATORS["post"], region_code=HUICHENG),
    )


def _by_key(points) -> dict:
    return {key: points[i] for i, (key, _parent, _values) in enumerate(demo.POINTS)}


def test_seed_sets_operators_and_is_idempotent(platform_admin, county_manager, plain_user):
    room_org, post_org = _operators(county_manager)
    points = _by_key(demo.seed(station_admin_user=plain_user))
    assert points["room"].operator_organization == room_org and points["post"].operator_organization == post_org
    assert {k for k, p in points.items() if p.operator_organization_id} == {"room", "post"}
    counts = (ServicePoint.objects.count(), AuditEntry.objects.count())
    demo.seed(station_admin_user=plain_user)
    assert (ServicePoint.objects.count(), AuditEntry.objects.count()) == counts


def test_rerun_fills_in_a_missing_operator(platform_admin, county_manager, plain_user):
    points = _by_key(demo.seed(station_admin_user=plain_user))
    assert not any(p.operator_organization_id for p in points.values())  # no demo organizations yet
    room_org, _post_org = _operators(county_manager)
    demo.seed(station_admin_user=plain_user)
    assert ServicePoint.objects.get(pk=points["room"].pk).operator_organization == room_org

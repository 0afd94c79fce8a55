"""Rule 9: region scope is a range on the indexed 12-digit code (no LIKE), on both databases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.scopes import get_for, pk_or_404
from zhiyuan.core.errors import NotFound
from zhiyuan.regions.codes import prefix_bounds
from zhiyuan.regions.selectors import region_descendants_q

pytestmark = pytest.mark.django_db


def test_prefix_bounds():
    assert prefix_bounds("4413") == ("441300000000", "441399999999")
    assert prefix_bounds("441302001001") == ("441302001001", "441302001001")
    for bad in ["", "44x3", "4" * 13]:
        with pytest.raises(ValueError):
            prefix_bounds(bad)


def test_scope_query_is_a_range_not_like(city_manager, county_manager, other_county_manager):
    with CaptureQueriesContext(connection) as ctx:
        seen = set(RoleAssignment.objects.visible_to(county_manager).values_list("user_id", flat=True))
    sql = ctx.captured_queries[-1]["sql"].upper()
    assert "LIKE" not in sql and (">=" in sql or "BETWEEN" in sql)
    # the range keeps the prefix rule: 惠城区 sees itself, not 惠阳区, nor the city above it
    assert seen == {county_manager.pk}
    assert "LIKE" not in str(RoleAssignment.objects.filter(region_descendants_q("4413", "region_code")).query).upper()


def test_get_for_rejects_non_ids_as_missing(county_manager):
    for bad in ["x", None, -1, 0, 2**63, "1e3"]:
        with pytest.raises(NotFound):
            pk_or_404(bad)
    with pytest.raises(NotFound):
        get_for(county_manager, RoleAssignment, 2**70)

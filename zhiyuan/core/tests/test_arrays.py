"""``core.arrays.one_of``: a column against a whole list bound as one parameter — the same rows
as ``__in`` on both databases, for ints and strings, and nothing for an empty list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhiyuan.accounts.models import User
from zhiyuan.core.arrays import one_of
from zhiyuan.regions.models import Region

pytestmark = pytest.mark.django_db


def test_one_of_matches_like_in_with_one_parameter(county_manager, city_manager, platform_admin):
    ids = [county_manager.pk, platform_admin.pk, 10**9]
    assert set(User.objects.filter(one_of("id", ids)).values_list("pk", flat=True)) == {county_manager.pk, platform_admin.pk}
    codes = ["441302000000", "441303000000", "999999999999"]
    assert set(Region.objects.filter(one_of("code", codes)).values_list("code", flat=True)) == set(codes[:2])
    assert not User.objects.filter(one_of("id", [])).exists()
    with CaptureQueriesContext(connection) as ctx:
        list(User.objects.filter(one_of("id", list(range(1, 1001)))))
    assert ctx.captured_queries[0]["sql"].count("1000") <= 1  # one bound list, not 1,000 placeholders

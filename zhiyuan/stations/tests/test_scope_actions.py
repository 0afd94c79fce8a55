"""ARCHITECTURE rule 8 on service points: another county's point answers like a missing one (404);
a station admin's own point is visible and operable, but managing it answers 403."""

import pytest

from zhiyuan.stations.tests.factories import HUIYANG_TOWN, point, station_admin_of

pytestmark = pytest.mark.django_db
API = "/api/v1/stations/points"
JSON = "application/json"
MISSING = 987654


def test_other_scope_404_like_missing_and_admin_403(client, county_manager, other_county_manager):
    p = point(other_county_manager, region_code=HUIYANG_TOWN)
    admin = station_admin_of(other_county_manager, p)
    client.force_login(county_manager)
    for method, suffix in [("get", ""), ("post", "/close"), ("get", "/admins")]:
        outside = getattr(client, method)(f"{API}/{p.pk}{suffix}", content_type=JSON)
        missing = getattr(client, method)(f"{API}/{MISSING}{suffix}", content_type=JSON)
        assert outside.status_code == missing.status_code == 404
        assert outside.json() == missing.json()
    assert client.get(f"/stations/manage/{p.pk}/").status_code == 404
    client.force_login(admin)
    assert client.get(f"{API}/{p.pk}").status_code == 200
    r = client.post(f"{API}/{p.pk}/close", content_type=JSON)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert client.post(f"/stations/manage/{p.pk}/close/").status_code == 403

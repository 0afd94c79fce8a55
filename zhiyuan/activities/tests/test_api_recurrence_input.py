"""A weekly series posted without its optional ``exceptions`` is read with the default (no
dates left out), never a server error (schemathesis found the 500)."""

import pytest

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "address": "", "cancel_deadline_hours": 0, "category": "community", "conditions": "", "contact_name": "",
    "contact_phone": "", "content": "", "enrollment_mode": None, "geofence_m": 10, "latitude": None, "longitude": None,
    "positions": [], "recurrence": {"end": "", "from_date": "2000-01-01", "start": "", "until": "2000-01-01", "weekdays": [0]},
    "region_code": "", "risks": "", "safeguards": "", "shifts": [], "signup_method": "", "title": "", "visibility": None,
}  # fmt: skip


def test_a_series_without_exceptions_is_a_field_error_not_a_server_error(client, platform_admin):
    from zhiyuan.organizations.tests.factories import active_org

    org = active_org(platform_admin)
    client.force_login(platform_admin)
    r = client.post("/api/v1/activities/manage", dict(PAYLOAD, organization_id=org.pk), content_type="application/json")
    assert r.status_code == 422
    assert "title" in r.json()["fields"]

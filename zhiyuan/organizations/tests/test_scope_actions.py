"""ARCHITECTURE rule 8 on organizations: another scope's organization answers exactly like a
missing one (404), and a visible organization whose action the actor does not hold answers 403 —
on the API and on the pages."""

import pytest

from zhiyuan.accounts.roles import Role
from zhiyuan.organizations.tests.factories import HUIYANG_TOWN, active_org, applicant
from zhiyuan.testing import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/organizations"
JSON = "application/json"
MISSING = 987654


@pytest.fixture
def huiyang_org(other_county_manager):
    admin = applicant()
    return active_org(other_county_manager, admin, region_code=HUIYANG_TOWN), admin


def test_api_other_scope_is_the_same_404_as_missing(client, county_manager, huiyang_org):
    org, _ = huiyang_org
    client.force_login(county_manager)
    for method, suffix, body in [
        ("get", "", None),
        ("patch", "", {"intro": "x"}),
        ("post", "/review", {"decision": "approve"}),
        ("post", "/status", {"action": "suspend", "reason": "x"}),
        ("get", "/members", None),
    ]:
        call = getattr(client, method)
        kwargs = {"content_type": JSON, "data": body} if body is not None else {}
        outside = call(f"{API}/{org.pk}{suffix}", **kwargs)
        missing = call(f"{API}/{MISSING}{suffix}", **kwargs)
        assert outside.status_code == missing.status_code == 404, (suffix, outside.content)
        assert outside.json() == missing.json()


def test_api_visible_but_not_allowed_is_403(client, huiyang_org):
    org, admin = huiyang_org
    client.force_login(admin)  # its own admin: sees and manages it, may not review it
    assert client.get(f"{API}/{org.pk}").status_code == 200
    r = client.post(f"{API}/{org.pk}/status", {"action": "suspend", "reason": "x"}, content_type=JSON)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert client.get(f"{API}/{org.pk}/members").status_code == 200


def test_pages_other_scope_404_and_not_allowed_403(client, county_manager, huiyang_org):
    org, admin = huiyang_org
    client.force_login(county_manager)
    for url in [f"/organizations/manage/{org.pk}/", f"/organizations/manage/{org.pk}/edit/"]:
        assert client.get(url).status_code == 404
        assert client.get(url.replace(str(org.pk), str(MISSING))).status_code == 404
    client.force_login(admin)
    assert client.get(f"/organizations/manage/{org.pk}/").status_code == 200
    assert client.post(f"/organizations/manage/{org.pk}/status/", {"action": "suspend", "reason": "x"}).status_code == 403


def test_sub_team_admin_rules_follow_the_parent(client, other_county_manager, huiyang_org):
    """The admins of a parent manage its sub-teams (ORG-4) — the same rule in the list and the fetch."""
    from zhiyuan.accounts.scopes import MANAGE, can
    from zhiyuan.organizations.models import Organization

    org, admin = huiyang_org
    outsider = make_user("13911112222", "别人", role=Role.ORG_ADMIN, object_id=MISSING)
    assert can(admin, org, MANAGE) and not can(outsider, org, MANAGE)
    assert list(Organization.objects.visible_to(admin, MANAGE)) == [org]
    assert not Organization.objects.visible_to(admin, "review").exists()
    assert Organization.objects.visible_to(other_county_manager, "review").filter(pk=org.pk).exists()

"""/api/v1/insurance: create, scope, import, the batch cover check (constant queries)."""

import pytest

from zhiyuan.insurance.models import InsuredPerson
from zhiyuan.insurance.tests.factories import IN_YEAR, insured_list, list_of, listed_policy, policy
from zhiyuan.organizations.tests.factories import member
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db
BASE = "/api/v1/insurance"


def as_user(client, u):
    client.force_login(u)
    return client


def test_create_and_get(client, org, org_admin):
    c = as_user(client, org_admin)
    body = {
        "holder_id": org.pk,
        "insurer": "太平财产保险有限公司",
        "policy_no": "API-1",
        "cover": "listed",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "sum_insured": "200000",
    }
    r = c.post(f"{BASE}/policies", body, content_type="application/json")
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert c.get(f"{BASE}/policies/{pid}").json()["policy_no"] == "API-1"
    r = c.post(f"{BASE}/policies", {**body, "surprise": 1}, content_type="application/json")
    assert r.status_code == 422
    r = c.post(f"{BASE}/policies", {**body, "policy_no": "API-2", "ends_on": "2025-01-01"}, content_type="application/json")
    assert r.status_code == 422 and "ends_on" in r.json()["fields"]


def test_scope_404(client, org, org_admin, other_org_admin):
    p = policy(org_admin, org)
    c = as_user(client, other_org_admin)
    assert c.get(f"{BASE}/policies/{p.pk}").status_code == 404
    assert c.get(f"{BASE}/policies/{p.pk}/document").status_code == 404
    assert c.get(f"{BASE}/policies/{p.pk}/insured").status_code == 404
    assert c.get(f"{BASE}/policies").json()["items"] == []


def test_list_queries_do_not_grow(client, org, org_admin):
    c = as_user(client, org_admin)
    policy(org_admin, org)
    c.get(f"{BASE}/policies")  # warm the session
    counts = []
    for _ in range(2):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            r = c.get(f"{BASE}/policies")
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
        for _ in range(5):
            policy(org_admin, org)
    assert counts[0] == counts[1]
    assert len(c.get(f"{BASE}/policies").json()["items"]) == 11


def test_import_bad_and_good(client, org, org_admin, volunteer):
    p = policy(org_admin, org)
    c = as_user(client, org_admin)
    r = c.post(f"{BASE}/policies/{p.pk}/insured/import", {"file": insured_list([(volunteer.name, "bad")])})
    assert r.status_code == 200 and r.json()["ok"] is False and r.json()["errors"][0]["row"] == 2
    assert not InsuredPerson.objects.exists()
    r = c.post(f"{BASE}/policies/{p.pk}/insured/import", {"file": list_of(volunteer)})
    assert r.json()["ok"] is True and r.json()["added"] == 1
    items = c.get(f"{BASE}/policies/{p.pk}/insured").json()["items"]
    assert items[0]["volunteer_no"] == volunteer.volunteer_no and "*" in items[0]["id_number_masked"]


def test_cover_check_batch(client, org, org_admin, volunteer):
    other = register(name="冯未列")
    stranger = register(name="蒋陌生")
    member(org, other, admin=org_admin)
    listed_policy(org_admin, org, volunteer, policy_no="API-CHK")
    c = as_user(client, org_admin)
    body = {"organization_id": org.pk, "on": IN_YEAR.isoformat(), "volunteer_ids": [volunteer.pk, other.pk, stranger.pk]}
    r = c.post(f"{BASE}/cover-check", body, content_type="application/json")
    assert r.status_code == 200, r.content
    data = r.json()
    by_id = {i["volunteer_id"]: i for i in data["items"]}
    assert by_id[volunteer.pk]["covered"] is True
    assert by_id[other.pk]["reason"] == "该志愿者不在保单 API-CHK 的被保险人名单中"
    assert data["not_found"] == [stranger.pk]
    r = c.post(f"{BASE}/cover-check", {**body, "volunteer_ids": [2**70]}, content_type="application/json")
    assert r.status_code == 422
    r = c.post(f"{BASE}/cover-check", {**body, "organization_id": 999999}, content_type="application/json")
    assert r.status_code == 404

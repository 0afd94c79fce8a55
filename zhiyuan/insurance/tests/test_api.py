"""/api/v1/insurance: create, scope, import, the batch cover check (constant queries)."""

import pytest

from zhiyuan.insurance.models import InsuredPerson
from zhiyuan.insurance.tests.factories import IN_YEAR, id_number, insured_list, list_of, listed_policy, policy
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
    r = c.get(f"{BASE}/policies/{p.pk}/insured")
    assert r.json()["next_cursor"] is None
    items = r.json()["items"]
    assert items[0]["volunteer_no"] == volunteer.volunteer_no and "*" in items[0]["id_number_masked"]
    assert id_number(volunteer) not in r.content.decode()  # never the plaintext document number


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


# --- the insured list (lists.INSURED through core.lists.list_operation) -----------------------------

NAMES = ("赵一", "钱二", "孙三", "李四", "周五")


def test_insured_list_is_keyset_paged_masked_and_in_import_order(client, org, org_admin):
    people = [register(name=n) for n in NAMES]
    p = listed_policy(org_admin, org, *people)
    c = as_user(client, org_admin)
    seen, cursor, pages = [], None, 0
    while True:
        r = c.get(f"{BASE}/policies/{p.pk}/insured", {"page_size": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.content
        body = r.json()
        assert set(body) == {"items", "next_cursor"}  # no count, no page number
        body_text = r.content.decode()
        assert not any(id_number(v) in body_text for v in people)
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [i["volunteer_no"] for i in seen] == [v.volunteer_no for v in people]
    assert [i["id"] for i in seen] == sorted(i["id"] for i in seen)
    assert all("*" in i["id_number_masked"] for i in seen)
    # the filter: one volunteer by number
    r = c.get(f"{BASE}/policies/{p.pk}/insured", {"volunteer_no": people[3].volunteer_no})
    assert [i["name"] for i in r.json()["items"]] == ["李四"]


def test_insured_list_bad_input_is_422(client, org, org_admin, volunteer):
    p = listed_policy(org_admin, org, volunteer)
    c = as_user(client, org_admin)
    url = f"{BASE}/policies/{p.pk}/insured"
    assert c.get(url, {"cursor": "not-a-cursor"}).status_code == 422
    assert c.get(url, {"page_size": 0}).status_code == 422
    assert c.get(url, {"page_size": 101}).status_code == 422
    assert c.get(url, {"sort": "name"}).status_code == 422
    assert c.get(url, {"page": 2}).json()["items"]  # ``page`` is no longer read


def test_insured_list_wrong_scope_is_404_whatever_the_filters(client, org, org_admin, other_org_admin, volunteer):
    p = listed_policy(org_admin, org, volunteer)
    c = as_user(client, other_org_admin)
    assert c.get(f"{BASE}/policies/{p.pk}/insured").status_code == 404
    assert c.get(f"{BASE}/policies/{p.pk}/insured", {"volunteer_no": volunteer.volunteer_no}).status_code == 404
    assert c.get(f"{BASE}/policies/{p.pk}/insured", {"cursor": "junk"}).status_code == 404
    assert c.get(f"{BASE}/policies/999999/insured").status_code == 404


# session, user, the user's roles, the user's volunteer record, the policy (fetch-and-authorize),
# one page (insured persons joined to their volunteers): the same at 1 and at 5 rows.
INSURED_QUERIES = 6


@pytest.mark.parametrize("n", [1, 5])
def test_insured_list_query_count_is_exact(client, org, org_admin, n, django_assert_num_queries):
    p = listed_policy(org_admin, org, *[register(name=name) for name in NAMES[:n]])
    c = as_user(client, org_admin)
    url = f"{BASE}/policies/{p.pk}/insured"
    c.get(url)  # the first request after a login saves the session
    with django_assert_num_queries(INSURED_QUERIES):
        r = c.get(url)
    assert r.status_code == 200 and len(r.json()["items"]) == n

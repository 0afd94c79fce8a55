"""The accounts lists through the one list machinery (issue #7 items 1, 2, 4): role assignments,
the audit log and API tokens — keyset pages, a fixed number of queries whatever the row count,
region filters as ranges, cards on a phone, one definition for the page, the API and the export."""

import io
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from zhiyuan.accounts.models import ApiToken
from zhiyuan.accounts.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, assignment_of, town_manager
from zhiyuan.core.audit import audit_record
from zhiyuan.core.models import AuditEntry

pytestmark = pytest.mark.django_db
API = "/api/v1/accounts"
_keys = itertools.count()

# Session, user, roles (+ the volunteer role provider) and one page query; the pages add the
# navigation's and the buttons' checks. None of them counts the scope or reads per row.
QUERIES = {
    "/accounts/roles/": 8,  # + the unread-notice badge (core.context_processors.notifications)
    f"{API}/role-assignments": 6,
    "/accounts/audit/": 6,
    f"{API}/audit-entries": 5,
    "/accounts/tokens/": 7,
    f"{API}/tokens": 3,  # the owner's tokens: no role lookup at all
}


def _add_rows(actor, n: int) -> None:
    for _i in range(n):
        k = next(_keys)
        town_manager(HUICHENG_TOWN, name=f"桥东{k}")
        audit_record(actor=actor, action="test.row", region_code=HUICHENG_TOWN, detail={"k": k})
        ApiToken.objects.create(user=actor, name=f"令牌{k}", key_prefix="zyt_test", key_hash=f"hash-{k}")


@pytest.mark.parametrize("who", ["platform_admin", "county_manager"])
def test_each_list_costs_the_same_queries_at_two_row_counts(client, request, who, django_assert_num_queries):
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    for n in (2, 15):
        _add_rows(actor, n)
        for url, expected in QUERIES.items():
            client.get(url)  # the first request of a session also saves it
            with django_assert_num_queries(expected):
                r = client.get(url)
            assert r.status_code == 200, (url, r.content[:300])


def test_exports_cost_the_same_queries_at_two_row_counts(client, platform_admin):
    client.force_login(platform_admin)
    client.get("/accounts/roles/")  # the first request of a session also saves it
    counts = []
    for n in (2, 15):
        _add_rows(platform_admin, n)
        for url in ("/accounts/roles/export/", "/accounts/audit/export/"):
            with CaptureQueriesContext(connection) as ctx:
                b"".join(client.get(url).streaming_content)
            counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:]


def test_the_role_list_pages_by_cursor_on_page_api_alike(client, platform_admin):
    _add_rows(platform_admin, 5)
    client.force_login(platform_admin)
    seen, cursor = [], None
    while True:
        body = client.get(f"{API}/role-assignments", {"page_size": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [a["id"] for a in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert len(seen) == len(set(seen)) == 6  # five town managers and the admin
    # the page walks the same order with its "下一页" link
    page_ids, url = [], "/accounts/roles/?page_size=20"
    page = client.get(url).content.decode()
    page_ids = [int(x) for x in __import__("re").findall(r'data-assignment="(\d+)"', page)]
    assert page_ids == seen


def test_the_region_filter_and_the_scope_are_ranges_not_like(client, county_manager, other_county_manager):
    town_manager(HUICHENG_TOWN)
    huiyang = town_manager(HUIYANG_TOWN)
    audit_record(actor=county_manager, action="test.in", region_code=HUICHENG_TOWN)
    audit_record(actor=county_manager, action="test.out", region_code=HUIYANG_TOWN)
    client.force_login(county_manager)
    client.get(f"{API}/role-assignments")
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"{API}/role-assignments", {"region": "441302001"})
        a = client.get(f"{API}/audit-entries", {"action": "test."})
    assert all(x["region_code"].startswith("441302001") for x in r.json()["items"]) and r.json()["items"]
    assert assignment_of(huiyang).pk not in {x["id"] for x in r.json()["items"]}
    assert [e["action"] for e in a.json()["items"]] == ["test.in"]
    lists = [q["sql"] for q in ctx.captured_queries if q["sql"].endswith("LIMIT 51")]  # the two pages of 50 (+1)
    assert len(lists) == 2
    assert lists and not any('"region_code" LIKE' in sql for sql in lists), lists
    assert all('"region_code" >=' in sql for sql in lists), lists  # the scope (and the filter) as a range
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)


def test_outside_the_scope_is_not_listed_on_page_api_or_export(client, county_manager, other_county_manager):
    huiyang = town_manager(HUIYANG_TOWN, name="淡水街道文明办")
    audit_record(actor=other_county_manager, action="test.huiyang", region_code=HUIYANG_TOWN)
    client.force_login(county_manager)
    page = client.get("/accounts/roles/", {"status": "all"}).content.decode()
    assert f'data-assignment="{assignment_of(huiyang).pk}"' not in page and "淡水街道文明办" not in page
    assert client.get(f"{API}/role-assignments", {"q": "淡水"}).json()["items"] == []
    rows = list(load_workbook(io.BytesIO(b"".join(client.get("/accounts/roles/export/").streaming_content))).active.values)
    assert assignment_of(huiyang).pk not in {row[0] for row in rows[1:]}
    assert "test.huiyang" not in client.get("/accounts/audit/").content.decode()
    assert client.get(f"{API}/audit-entries", {"action": "test.huiyang"}).json()["items"] == []


def test_tokens_are_their_owners_only_and_page_by_cursor(client, county_manager, platform_admin):
    _add_rows(county_manager, 3)
    ApiToken.objects.create(user=platform_admin, name="别人的令牌", key_prefix="zyt_other", key_hash="other")
    client.force_login(county_manager)
    first = client.get(f"{API}/tokens", {"page_size": 2}).json()
    second = client.get(f"{API}/tokens", {"page_size": 2, "cursor": first["next_cursor"]}).json()
    names = [t["name"] for t in first["items"] + second["items"]]
    assert len(names) == 3 and second["next_cursor"] is None and "别人的令牌" not in names
    assert names == sorted(names, key=lambda s: int(s[2:]), reverse=True)  # newest first
    page = client.get("/accounts/tokens/").content.decode()
    assert "别人的令牌" not in page and page.count('data-token="') == 3
    assert client.get(f"{API}/tokens", {"sort": "oldest"}).status_code == 422


def test_lists_render_as_cards_on_a_phone(client, platform_admin):
    _add_rows(platform_admin, 1)
    client.force_login(platform_admin)
    for url, name in (("/accounts/roles/", "accounts.role"), ("/accounts/audit/", "accounts.audit"),
                      ("/accounts/tokens/", "accounts.token")):  # fmt: skip
        page = client.get(url).content.decode()
        assert f'data-list="{name}"' in page and 'class="table-wrap list-cards"' in page, url
        assert 'class="col-key"' in page and 'class="col-status"' in page, url
    # the token's revoke button is the card's action
    assert 'class="col-action"' in client.get("/accounts/tokens/").content.decode()


def test_an_htmx_request_gets_the_list_only(client, platform_admin):
    client.force_login(platform_admin)
    r = client.get("/accounts/audit/", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body and 'data-list="accounts.audit"' in body


def test_the_exports_are_audited_once_with_their_filters(client, platform_admin):
    client.force_login(platform_admin)
    b"".join(client.get("/accounts/roles/export/", {"role": "region_manager", "q": "13900000003"}).streaming_content)
    b"".join(client.get("/accounts/audit/export/", {"result": "denied"}).streaming_content)
    role = AuditEntry.objects.get(action="accounts.role.export")
    assert role.object_type == "accounts.roleassignment"
    assert role.detail["filters"]["role"] == "region_manager" and role.detail["filters"]["q"] == "*"  # a search is not kept
    audit = AuditEntry.objects.get(action="accounts.audit.export")
    assert audit.object_type == "core.auditentry" and audit.detail["filters"]["result"] == "denied"

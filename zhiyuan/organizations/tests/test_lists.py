"""The organizations app's lists on the one list machinery (issue #7; ``organizations/lists.py``):
the managers' list, the review queue, the public directory and the members API — exact query
counts whatever the number of rows, keyset (cursor) pages without a count, the region filter as
a range on the code, the members API's path parameter fetched and authorized first (404 outside
the scope), the export derived from the spec and audited."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations import services
from zhiyuan.organizations.lists import ORGANIZATIONS
from zhiyuan.organizations.tests.factories import HUIYANG_TOWN, active_org, active_team, apply, member
from zhiyuan.volunteers.tests import factories as vf

pytestmark = pytest.mark.django_db
API = "/api/v1/organizations"
MANAGE = "/organizations/manage/"


def ids(r) -> list[int]:
    return [o["id"] for o in r.json()["items"]]


def page_ids(r) -> list[int]:
    return [int(x) for x in re.findall(r'data-org="(\d+)"', r.content.decode())]


def walk(client, url, **params) -> list[list[int]]:
    """Every page of an API list, following ``next_cursor``."""
    pages, cursor = [], None
    while True:
        body = client.get(url, {**params, **({"cursor": cursor} if cursor else {})}).json()
        pages.append([o["id"] for o in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            return pages


def flat(pages: list[list[int]]) -> list[int]:
    return [i for p in pages for i in p]


def counted(client, url, params=None) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, params or {})
    assert r.status_code == 200, r.content[:300]
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


# --- exact query counts, the same at two row counts -----------------------------------------------

# Every request: session, user, the actor's role assignments, the actor's own volunteer row (the
# scope of an organization admin). Then a list: one page of rows (parent joined), their categories
# (one prefetch), their region names (one query); a page's region picker reads the actor's region;
# the managers' page also counts the pending applications (pending rows only, for its button).
# The members API: the organization (with its categories: the fetch-and-authorize helper), then
# one page of members with their volunteers. No COUNT(*) of the scope anywhere.
QUERIES = {
    "manager page": 10,  # + the unread-notice badge (core.context_processors.notifications)
    "review page": 9,
    "organizations API": 7,
    "review API": 7,
    "members API": 7,
}


def _grow(county_manager, org, n: int):
    for _ in range(n):
        active_team(county_manager)
        apply(name=f"待审核{_}{n}")
        member(org, vf.register(), admin=org.created_by)


@pytest.mark.parametrize(
    "what,url",
    [
        ("manager page", MANAGE),
        ("review page", f"{MANAGE}review/"),
        ("organizations API", API),
        ("review API", f"{API}/review-queue"),
        ("members API", None),
    ],
)
def test_query_counts_are_exact_and_do_not_grow(client, county_manager, what, url, django_assert_num_queries):
    org = active_org(county_manager)
    url = url or f"{API}/{org.pk}/members"
    client.force_login(county_manager)
    _grow(county_manager, org, 2)
    client.get(url)  # the first request after a login saves the session
    counts = []
    for more in (0, 7):
        _grow(county_manager, org, more)
        with django_assert_num_queries(QUERIES[what]) as ctx:
            r = client.get(url)
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
        assert not any("COUNT(" in q["sql"].upper() and "pending" not in q["sql"] for q in ctx.captured_queries)
    assert counts[0] == counts[1]


def test_directory_never_counts_and_filters_region_as_a_range(client, county_manager, city_manager):
    a = active_org(county_manager, name="桥东长者服务中心")
    b = active_team(city_manager, name="淡水青年突击队", region_code=HUIYANG_TOWN)
    for url in ("/organizations/directory/", f"{API}/public"):
        _n, sqls = counted(client, url, {"region": "441303"})
        assert not any("COUNT(" in s.upper() for s in sqls), url
        org_sql = [s for s in sqls if "organizations_organization" in s and '"region_code" >=' in s]
        assert org_sql and not any("LIKE" in s.upper() for s in org_sql), sqls
    assert ids(client.get(f"{API}/public", {"region": "441303"})) == [b.pk]
    assert ids(client.get(f"{API}/public", {"region": "4413"})) == [a.pk, b.pk]
    assert ids(client.get(f"{API}/public", {"region": "441302001"})) == [a.pk]
    assert client.get(f"{API}/public", {"region": "12345"}).status_code == 422
    page = client.get("/organizations/directory/", {"region": "441303"}).content.decode()
    assert "淡水青年突击队" in page and "桥东长者服务中心" not in page


def test_manager_list_region_filter_is_a_range(client, city_manager, county_manager):
    active_org(county_manager)
    b = active_team(city_manager, region_code=HUIYANG_TOWN)
    client.force_login(city_manager)
    assert ids(client.get(API, {"region": "441303"})) == [b.pk]
    _n, sqls = counted(client, MANAGE, {"region": "441303"})
    assert not any("LIKE" in s.upper() and "region_code" in s for s in sqls)
    assert page_ids(client.get(MANAGE, {"region": "441303"})) == [b.pk]


# --- keyset pages -----------------------------------------------------------------------------------


def test_api_lists_page_by_cursor_in_order(client, county_manager, city_manager):
    orgs = [active_team(county_manager, name=f"批量队{i:02d}") for i in range(7)]
    pages = walk(client, f"{API}/public", page_size=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert flat(pages) == [o.pk for o in sorted(orgs, key=lambda o: (o.region_code, o.name, o.pk))]
    client.force_login(city_manager)
    assert sorted(flat(walk(client, API, page_size=2))) == sorted(o.pk for o in orgs)
    assert flat(walk(client, API, page_size=2, sort="-created_at")) == [o.pk for o in reversed(orgs)]
    assert client.get(API, {"sort": "nonsense"}).status_code == 422
    r = client.get(f"{API}/public", {"cursor": "eyJ4Ijox"})
    assert r.status_code == 422 and "cursor" in r.json()["fields"]
    for size in ("0", "101", "99999999999999999999999", "x"):  # out of range: a 422, never a 500
        r = client.get(f"{API}/public", {"page_size": size})
        assert r.status_code == 422 and r.json()["code"] == "invalid", size
    # ``page`` is no longer read: it neither fails nor skips (follow ``next_cursor``)
    assert flat(walk(client, f"{API}/public", page=99, page_size=3)) == flat(pages)


def test_review_queue_pages_oldest_first_and_stays_in_scope(client, county_manager, other_county_manager):
    pending = [apply(name=f"待审核{i}") for i in range(5)]
    apply(name="惠阳待审核", region_code=HUIYANG_TOWN)
    client.force_login(county_manager)
    assert flat(walk(client, f"{API}/review-queue", page_size=2)) == [o.pk for o in pending]
    r = client.get(f"{MANAGE}review/")
    assert page_ids(r) == [o.pk for o in pending] and "惠阳待审核" not in r.content.decode()
    assert 'name="decision" value="approve"' in r.content.decode()
    client.force_login(other_county_manager)
    assert [o["name"] for o in client.get(f"{API}/review-queue").json()["items"]] == ["惠阳待审核"]


# --- the members API: a path parameter fetched and authorized first ------------------------------


def test_members_api_fetches_the_organization_first(client, county_manager, other_county_manager, volunteer):
    org = active_org(county_manager)
    joined = [services.membership_apply(actor=vf.register().user, org=org) for _ in range(5)]
    url = f"{API}/{org.pk}/members"
    client.force_login(org.created_by)
    pages = walk(client, url, page_size=2)
    assert [len(p) for p in pages] == [2, 2, 1] and set(flat(pages)) == {m.pk for m in joined}
    body = client.get(url, {"status": "nonsense"})
    assert body.status_code == 422 and "status" in body.json()["fields"]
    assert client.get(url, {"status": "active"}).json() == {"items": [], "next_cursor": None}
    # outside the scope, or no such organization: the same 404, before any filter is read
    client.force_login(other_county_manager)
    assert client.get(url).status_code == 404
    assert client.get(url, {"status": "nonsense"}).status_code == 404
    assert client.get(f"{API}/999999/members").status_code == 404
    client.force_login(volunteer.user)  # a volunteer is no manager of it
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 401


# --- the export ----------------------------------------------------------------------------------------


def test_manager_export_from_the_spec_is_filtered_scoped_and_audited(client, county_manager, city_manager):
    active_org(county_manager, name="桥东长者服务中心")
    active_team(city_manager, name="淡水青年突击队", region_code=HUIYANG_TOWN)
    client.force_login(county_manager)
    r = client.get(f"{MANAGE}export.xlsx", {"kind": "service"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith('filename="organizations.xlsx"')
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    assert list(rows[0]) == [str(c.label) for c in ORGANIZATIONS.export]
    assert [row[1] for row in rows[1:]] == ["桥东长者服务中心"]  # the other county's is out of scope
    e = AuditEntry.objects.get(action="organizations.org.export", actor=county_manager)
    assert e.detail["filters"]["kind"] == "service"
    bad = client.get(f"{MANAGE}export.xlsx", {"kind": "nonsense"})  # back to the list, which names the error
    assert bad.status_code == 302 and bad.url == f"{MANAGE}?kind=nonsense"
    assert AuditEntry.objects.filter(action="organizations.org.export").count() == 1

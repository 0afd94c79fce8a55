"""The region list (``lists.REGIONS``, issue #7): exact query counts for the browse page and the
API at two row counts, keyset pages on the code (no OFFSET, no COUNT), search order, and the
page going forward with a cursor."""

import pytest

from zhiyuan.regions.models import Region, RegionPopulation

from .factories import DONGGUAN, HUICHENG, HUIZHOU

pytestmark = pytest.mark.django_db
API = "/api/v1/regions/"

# Page: session, user, roles, the actor's own volunteer row, the region, its ancestors, its
# populations, the actor's regions (shortcuts), the list's parent check, the rows with their
# latest population (one query: subqueries), the jump picker (the region, its path, the choices
# of its three levels). API: the parent's check, the rows.
PAGE_QUERIES = 16  # + the unread-notice badge (core.context_processors.notifications)
API_QUERIES = 2


@pytest.mark.parametrize("parent", [HUIZHOU, DONGGUAN])  # 5 counties / 30-odd towns
def test_page_and_api_query_counts_are_exact(client, city_manager, parent, django_assert_num_queries):
    RegionPopulation.objects.create(region_id=HUICHENG, year=2020, population=1_205_034)
    children = Region.objects.filter(parent_id=parent).count()
    client.force_login(city_manager)
    client.get(f"/regions/{parent}/")  # the session is saved after the login
    with django_assert_num_queries(PAGE_QUERIES):
        r = client.get(f"/regions/{parent}/")
    assert r.status_code == 200 and r.content.decode().count("data-region=") == children
    client.logout()  # the API is public reference data
    with django_assert_num_queries(API_QUERIES) as ctx:
        body = client.get(API, {"parent": parent, "page_size": 100}).json()
    assert len(body["items"]) == children and body["next_cursor"] is None
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "OFFSET" not in sql and "COUNT(" not in sql


def test_page_goes_forward_with_a_cursor(client, platform_admin):
    client.force_login(platform_admin)
    first = client.get(f"/regions/{DONGGUAN}/", {"page_size": 20}).content.decode()
    assert first.count("data-region=") == 20 and "data-next" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = client.get(f"/regions/{DONGGUAN}/", {"page_size": 20, "cursor": cursor}).content.decode()
    rest = Region.objects.filter(parent_id=DONGGUAN).count() - 20
    assert second.count("data-region=") == rest and "data-next" not in second
    last = Region.objects.filter(parent_id=DONGGUAN).order_by("-code").first()
    assert f'data-region="{last.code}"' in second and f'data-region="{last.code}"' not in first


def test_search_lists_higher_levels_first_and_numbers_match_codes(client):
    items = client.get(API, {"q": "惠"}).json()["items"]
    levels = [i["level"] for i in items]
    assert levels == sorted(levels) and items
    assert {i["code"] for i in client.get(API, {"q": "441302", "page_size": 100}).json()["items"]} >= {HUICHENG}
    assert all(i["code"].startswith("441302") for i in client.get(API, {"q": "441302", "page_size": 100}).json()["items"])
    by_code = client.get(API, {"q": "惠", "sort": "code"}).json()["items"]
    assert [i["code"] for i in by_code] == sorted(i["code"] for i in by_code)
    assert client.get(API, {"sort": "name"}).status_code == 422


def test_the_path_is_the_parent_whatever_the_query_says(client, city_manager):
    client.force_login(city_manager)
    page = client.get(f"/regions/{HUIZHOU}/", {"parent": DONGGUAN}).content.decode()
    assert f'data-region="{HUICHENG}"' in page and 'data-region="4419' not in page
    r = client.get(f"/regions/{HUIZHOU}/export.xlsx", {"parent": DONGGUAN})
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(min_row=2, values_only=True))
    assert rows and all(row[0].startswith("4413") for row in rows)

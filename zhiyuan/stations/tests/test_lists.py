"""The stations lists (``lists.py``, issue #7): a constant, exact number of queries per page and
per API call whatever the rows, keyset pages (no OFFSET, no COUNT), the region filter as a range
on the code, bad filters refused by the API and shown by the page, sorts, and the scope."""

import pytest

from zhiyuan.core.lists import list_query
from zhiyuan.stations.lists import POINTS, PUBLIC_POINTS
from zhiyuan.stations.models import ServicePoint
from zhiyuan.stations.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, point, station_admin_of

pytestmark = pytest.mark.django_db
API = "/api/v1/stations"


def bulk(n: int, *, region_code=HUICHENG_TOWN, prefix="批量站", **values):
    ServicePoint.objects.bulk_create(
        ServicePoint(name=f"{prefix}{i:03d}", region_code=region_code, address=f"批量路{i}号", **values) for i in range(n)
    )


def listed(r) -> int:
    return r.content.decode().count("data-point=")


def warm(client, url):
    """The first request after a login saves the session; measure the ones after it."""
    client.get(url, {"page_size": 1})


# Filtered by region: session, user, roles, the actor's own volunteer row, the region filter's
# code check, the page of rows (parent and operator joined), their region names; the page adds
# the region picker (its root and its choices).
PAGE_QUERIES = 10  # + the unread-notice badge (core.context_processors.notifications)
API_QUERIES = 7
# Public page and API (anonymous, no region filter): the rows and their regions; the page adds
# the region picker's choices.
PUBLIC_PAGE_QUERIES = 3
PUBLIC_API_QUERIES = 2
# 「我的站点」 (a station admin with several points): session, user, roles, the actor's own
# volunteer row, rows, regions.
MINE_PAGE_QUERIES = 7  # + the unread-notice badge (core.context_processors.notifications)
MINE_API_QUERIES = 6


@pytest.mark.parametrize("rows", [3, 25])
def test_manager_page_and_api_query_counts_are_exact(client, county_manager, rows, django_assert_num_queries):
    bulk(rows)
    client.force_login(county_manager)
    warm(client, f"{API}/points")
    with django_assert_num_queries(PAGE_QUERIES):
        r = client.get("/stations/manage/", {"region": "441302", "status": "active", "sort": "name"})
    assert r.status_code == 200 and listed(r) == rows
    with django_assert_num_queries(API_QUERIES):
        body = client.get(f"{API}/points", {"region": "441302", "status": "active", "sort": "name"}).json()
    assert len(body["items"]) == rows


@pytest.mark.parametrize("rows", [3, 25])
def test_public_page_and_api_query_counts_are_exact(client, rows, django_assert_num_queries):
    bulk(rows)
    with django_assert_num_queries(PUBLIC_PAGE_QUERIES):
        r = client.get("/stations/", {"q": "批量"})
    assert r.status_code == 200 and listed(r) == min(rows, 20)
    with django_assert_num_queries(PUBLIC_API_QUERIES):
        body = client.get(f"{API}/public/points", {"q": "批量"}).json()
    assert len(body["items"]) == min(rows, 20)


@pytest.mark.parametrize("rows", [2, 6])
def test_mine_page_and_api_query_counts_are_exact(client, county_manager, rows, django_assert_num_queries):
    points = [point(county_manager) for _ in range(rows)]
    admin = station_admin_of(county_manager, points[0])
    from zhiyuan.stations import services

    for p in points[1:]:
        services.station_admin_assign(actor=county_manager, point=p, mobile=admin.mobile)
    client.force_login(admin)
    warm(client, f"{API}/mine")
    with django_assert_num_queries(MINE_PAGE_QUERIES + 1):  # + the "exactly one point?" check
        r = client.get("/stations/mine/")
    assert r.status_code == 200 and listed(r) == rows
    with django_assert_num_queries(MINE_API_QUERIES):
        body = client.get(f"{API}/mine").json()
    assert sorted(i["id"] for i in body["items"]) == sorted(p.pk for p in points)


def test_api_walks_every_point_with_a_cursor_not_offset_or_count(client, county_manager, django_assert_num_queries):
    bulk(7)
    bulk(2, region_code=HUIYANG_TOWN, prefix="惠阳站")  # outside the county manager's scope
    client.force_login(county_manager)
    warm(client, f"{API}/points")
    seen, cursor = [], None
    while True:
        params = {"region": "441302", "sort": "name", "page_size": 3, **({"cursor": cursor} if cursor else {})}
        with django_assert_num_queries(API_QUERIES) as ctx:
            body = client.get(f"{API}/points", params).json()
        sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
        assert "OFFSET" not in sql and "COUNT(" not in sql and " LIKE " not in sql
        seen += [i["name"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"批量站{i:03d}" for i in range(7)]


def test_public_page_goes_forward_with_a_cursor(client):
    bulk(23)
    first = client.get("/stations/").content.decode()
    assert first.count("data-point=") == 20 and "data-next" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = client.get("/stations/", {"cursor": cursor}).content.decode()
    assert second.count("data-point=") == 3 and "批量站022" in second and "批量站022" not in first
    assert "data-next" not in second and "回到第一页" in second
    # an edited cursor starts again at the first page rather than failing
    assert client.get("/stations/", {"cursor": "x" + cursor}).content.decode().count("data-point=") == 20


def test_region_filter_is_a_range_on_the_code(county_manager, city_manager, django_assert_num_queries):
    bulk(2)
    bulk(2, region_code=HUIYANG_TOWN, prefix="惠阳站")
    with django_assert_num_queries(2) as ctx:  # the code's check, the rows
        rows = list(list_query(actor=None, spec=PUBLIC_POINTS, data={"region": "441303"}).queryset)
    assert {p.name for p in rows} == {"惠阳站000", "惠阳站001"}
    sql = ctx.captured_queries[-1]["sql"].upper()
    assert "LIKE" not in sql and "441303000000" in sql and "441303999999" in sql
    # the scope comes first: a county manager filtering on another county finds nothing
    assert list(list_query(actor=county_manager, spec=POINTS, data={"region": "441303"}).queryset) == []
    assert len(list(list_query(actor=city_manager, spec=POINTS, data={"region": "4413"}).queryset)) == 4


def test_filters_and_sorts(client, city_manager):
    bulk(2)
    network(city_manager)
    client.force_login(city_manager)
    names = lambda **p: [i["name"] for i in client.get(f"{API}/points", p).json()["items"]]  # noqa: E731
    assert all(n.startswith("实践") for n in names(network_level="centre") + names(network_level="station"))
    assert names(network_level="none") == ["批量站000", "批量站001"]
    assert names(q="批量路1号") == ["批量站001"]  # the address
    assert names(kind="room") == []
    newest = names(sort="-created_at")
    assert newest[0].startswith("实践站")
    for bad in ({"status": "gone"}, {"sort": "id"}, {"region": "12"}, {"network_level": "x"}, {"page_size": 101}):
        r = client.get(f"{API}/points", bad)
        assert r.status_code == 422, bad
        assert set(r.json()) == {"code", "message", "fields"}
    # the page shows a bad filter next to the form and filters nothing (rather than wrongly)
    r = client.get("/stations/manage/", {"status": "gone"})
    assert r.status_code == 200 and "errorlist" in r.content.decode() and listed(r) == 5


def test_public_list_and_api_never_show_closed_points_or_the_contact(client, county_manager):
    from zhiyuan.stations import services

    p = point(county_manager, name="已关闭站", contact_name="张主任", contact_phone="13711112222")
    services.service_point_close(actor=county_manager, point=p)
    point(county_manager, name="开放站", contact_name="李主任", contact_phone="13722223333")
    page = client.get("/stations/").content.decode()
    assert "开放站" in page and "已关闭站" not in page and "李主任" not in page and "13722223333" not in page
    body = client.get(f"{API}/public/points", {"status": "closed"}).json()  # an unknown parameter changes nothing
    assert [i["name"] for i in body["items"]] == ["开放站"]


def test_export_masks_the_contact_phone(client, county_manager):
    import io

    from openpyxl import load_workbook

    point(county_manager, name="桥东站", contact_name="黄站长", contact_phone="13912345678")
    client.force_login(county_manager)
    r = client.get("/stations/manage/export.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    by = dict(zip(rows[0], rows[1], strict=True))
    assert by["联系人电话"] == "139****5678"


def network(actor):
    from zhiyuan.stations.tests.factories import network as make

    return make(actor)

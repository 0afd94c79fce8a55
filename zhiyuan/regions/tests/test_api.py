"""Regions API: public reference data (no authentication for GETs)."""

import pytest

from zhiyuan.regions.models import RegionPopulation

from .factories import DONGGUAN, HUICHENG, HUIYANG, HUIZHOU, QIAODONG

URL = "/api/v1/regions/"


@pytest.mark.django_db
def test_list_provinces_anonymously(client):
    r = client.get(URL)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "next_cursor"} and body["next_cursor"] is None  # keyset pages, no count
    assert "440000000000" in {i["code"] for i in body["items"]}
    assert all(i["level"] == 1 and i["parent"] is None for i in body["items"])


@pytest.mark.django_db
def test_list_children_of_a_city(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        r = client.get(URL, {"parent": "4413"})
    assert r.status_code == 200
    items = {i["code"]: i for i in r.json()["items"]}
    assert {HUICHENG, HUIYANG} <= set(items)
    assert items[HUICHENG] == {
        "code": HUICHENG,
        "name": "惠城区",
        "level": 3,
        "full_name": "广东省/惠州市/惠城区",
        "parent": HUIZHOU,
    }


@pytest.mark.django_db
def test_pagination(client):
    every = [i["code"] for i in client.get(URL, {"parent": DONGGUAN, "page_size": 100}).json()["items"]]
    assert len(every) > 20 and every == sorted(every)
    seen, cursor = [], None
    while True:
        body = client.get(URL, {"parent": DONGGUAN, "page_size": 10, **({"cursor": cursor} if cursor else {})}).json()
        assert len(body["items"]) <= 10
        seen += [i["code"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == every  # the cursor walks every child once, in code order
    assert client.get(URL, {"page_size": 101}).status_code == 422
    assert client.get(URL, {"page_size": 0}).status_code == 422
    assert client.get(URL, {"cursor": "not-a-cursor"}).status_code == 422


@pytest.mark.django_db
def test_search_by_name_optionally_inside_a_parent(client):
    r = client.get(URL, {"q": "惠城"})
    assert HUICHENG in {i["code"] for i in r.json()["items"]}
    r = client.get(URL, {"q": "桥东", "parent": HUICHENG})
    assert [i["code"] for i in r.json()["items"]] == [QIAODONG]
    r = client.get(URL, {"q": "桥东", "parent": HUIYANG})
    assert r.json()["items"] == []
    r = client.get(URL, {"q": "<script>alert(1)</script>"})
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("parent", ["999999", "abc", "<b>", "1" * 13])
def test_unknown_parent_is_404_with_error_shape(client, parent):
    r = client.get(URL, {"parent": parent})
    assert r.status_code == 404
    assert set(r.json()) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_get_region_with_populations_and_ancestors(client):
    RegionPopulation.objects.create(region_id=HUICHENG, year=2020, population=1_205_034, source="七普")
    r = client.get(URL + "441302")
    assert r.status_code == 200
    body = r.json()
    assert (body["code"], body["name"], body["level"], body["parent"]) == (HUICHENG, "惠城区", 3, HUIZHOU)
    assert body["full_name"] == "广东省/惠州市/惠城区"
    assert [a["name"] for a in body["ancestors"]] == ["广东省", "惠州市"]
    assert body["populations"] == [{"year": 2020, "population": 1_205_034, "source": "七普"}]
    assert body["children_count"] > 5


@pytest.mark.django_db
def test_get_unknown_region_is_404(client):
    r = client.get(URL + "999999")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


@pytest.mark.django_db
def test_operations_in_openapi(client):
    doc = client.get("/api/v1/openapi.json").json()
    ops = {op.get("operationId") for path in doc["paths"].values() for op in path.values()}
    assert {"list_regions", "get_region"} <= ops

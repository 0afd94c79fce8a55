"""The manager list's name search and region filter at scale (issue #7 item 2, docs/benchmarks.md
§7): the same answers on SQLite and PostgreSQL whatever index each reads."""

import pytest

from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.services.profile import ProfileChange
from zhiyuan.volunteers.tests import factories as f
from zhiyuan.volunteers.tests.test_manage_list import API, PAGE, listed_ids

pytestmark = pytest.mark.django_db
OTHER_TOWN = "441302002000"  # 江北街道, 惠城区


@pytest.fixture
def names():
    return {n: f.register(name=n) for n in ("欧阳小明", "张小明", "小明亮", "王芳", "王芳芳")}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("小明", {"小明亮"}),  # 1-2 characters: from the start of the name
        ("王芳", {"王芳", "王芳芳"}),
        ("王", {"王芳", "王芳芳"}),
        ("阳小明", {"欧阳小明"}),  # 3 or more: anywhere in the name
        ("小明亮", {"小明亮"}),
        ("欧阳小明", {"欧阳小明"}),
        ("不存在的人", set()),
    ],
)
def test_name_search_short_from_the_start_longer_anywhere(client, county_manager, names, q, expected):
    client.force_login(county_manager)
    want = {names[n].pk for n in expected}
    assert listed_ids(client.get(PAGE, {"q": q})) == want
    assert {i["id"] for i in client.get(API, {"q": q}).json()["items"]} == want


def test_name_search_leaves_out_restricted_people_and_other_regions(client, county_manager, names, huiyang_volunteer):
    svc.consent_withdraw(actor=names["张小明"].user, kind="privacy")
    client.force_login(county_manager)
    assert listed_ids(client.get(PAGE, {"q": "张小明"})) == set()
    assert listed_ids(client.get(PAGE, {"q": huiyang_volunteer.name})) == set()


def test_region_filter_inside_and_outside_the_scope(client, county_manager, city_manager, huiyang_volunteer):
    own = f.register(name="江北人", region_code=OTHER_TOWN)
    f.register(name="桥东人")
    client.force_login(county_manager)
    assert listed_ids(client.get(PAGE, {"region": OTHER_TOWN})) == {own.pk}
    assert listed_ids(client.get(PAGE, {"region": "441303"})) == set()  # another county: nobody
    assert client.get(API, {"region": "441303"}).json()["items"] == []
    client.force_login(city_manager)  # 惠州市: the county filter of a city-wide (broad) scope
    assert listed_ids(client.get(PAGE, {"region": "441303"})) == {huiyang_volunteer.pk}
    assert len(listed_ids(client.get(PAGE, {"region": "4413"}))) == 3


def test_age_and_skill_filters_walking_the_sort_index(client, city_manager):
    import datetime as dt

    young = f.register(name="青年人", birth=dt.date.today().replace(year=dt.date.today().year - 20) - dt.timedelta(days=1))
    f.register(name="中年人", birth=dt.date(1970, 1, 1))
    svc.volunteer_update_profile(actor=young.user, change=ProfileChange(skills=[{"code": "medical"}]))
    client.force_login(city_manager)
    assert listed_ids(client.get(PAGE, {"age_min": 18, "age_max": 22})) == {young.pk}
    assert listed_ids(client.get(PAGE, {"skill": "medical"})) == {young.pk}


@pytest.mark.parametrize("sort", ["-registered_at", "name", "age", "volunteer_no"])
def test_status_filter_under_every_sort(client, county_manager, sort):
    a, b, c = (f.register(name=n) for n in ("甲一", "乙二", "丙三"))
    for v in (a, c):
        svc.volunteer_change_status(actor=county_manager, volunteer_id=v.pk, to_status="suspended", reason="测试")
    client.force_login(county_manager)
    assert listed_ids(client.get(PAGE, {"status": "suspended", "sort": sort})) == {a.pk, c.pk}
    items = client.get(API, {"status": "active", "sort": sort}).json()["items"]
    assert [i["id"] for i in items] == [b.pk]


@pytest.mark.parametrize("q", ['"小明', "小明 OR 王", "明亮*", "NEAR(小 明)", "a'b"])
def test_search_text_is_a_plain_string_never_index_query_syntax(client, county_manager, names, q):
    client.force_login(county_manager)
    r = client.get(PAGE, {"q": q})
    assert r.status_code == 200
    assert listed_ids(r) == set()


def test_a_changed_or_removed_name_is_found_by_what_it_is_now(client, county_manager, names):
    """SQLite keeps its trigram table (migration 0012) by triggers in the writer's transaction; a
    migration that rebuilt the volunteers table without them would fail here."""
    from zhiyuan.volunteers.models import Volunteer

    v = names["欧阳小明"]
    Volunteer.objects.filter(pk=v.pk).update(name="司马小明")
    client.force_login(county_manager)
    assert listed_ids(client.get(PAGE, {"q": "阳小明"})) == set()
    assert listed_ids(client.get(PAGE, {"q": "马小明"})) == {v.pk}
    newcomer = f.register(name="诸葛小明")
    assert listed_ids(client.get(PAGE, {"q": "葛小明"})) == {newcomer.pk}

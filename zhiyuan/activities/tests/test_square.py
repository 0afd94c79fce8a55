"""The public activity square (ACT-2): who sees what, the filters, distance, keyset pages, bad
parameters and the number of queries per page — through the API and the page."""

import pytest
from django.urls import reverse

from zhiyuan.activities.models import Activity, ActivityStatus, Visibility
from zhiyuan.activities.square import bounding_box, haversine_m
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.organizations.tests.factories import active_org, applicant, member
from zhiyuan.testing import PASSWORD

pytestmark = pytest.mark.django_db

API = "/api/v1/activities/square"
HUIYANG_TOWN = "441303001000"
# 惠州 惠城区 (the factory's point) and places around it
HERE = (23.1118, 114.4162)
KM_EAST = 1 / (111.32 * 0.9198)  # one kilometre of longitude at 23.1°N, in degrees


def east(km: float) -> dict:
    return {"latitude": f"{HERE[0]:.6f}", "longitude": f"{HERE[1] + km * KM_EAST:.6f}"}


@pytest.fixture
def org_admin_user(db):
    return applicant("组织管理员")


@pytest.fixture
def org(county_manager, org_admin_user):
    return active_org(county_manager, actor=org_admin_user)


@pytest.fixture
def other_org(county_manager):
    return active_org(county_manager)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [a["id"] for a in response.json()["items"]]


def login(client, user):
    assert client.login(username=user.mobile, password=PASSWORD)


# --- who sees what -------------------------------------------------------------------------------


def test_only_published_open_public_activities_are_on_the_square(client, org):
    shown = published_activity(org)
    draft = published_activity(org, status=ActivityStatus.DRAFT)
    cancelled = published_activity(org, status=ActivityStatus.CANCELLED)
    closed = published_activity(org, status=ActivityStatus.CLOSED)
    ended = published_activity(org, shifts=[(at(-3, 9), at(-3, 12))])
    members_only = published_activity(org, visibility=Visibility.MEMBERS)
    got = ids(client.get(API))
    assert got == [shown.pk]
    page = client.get(reverse("activities:square"))
    assert page.status_code == 200
    html = page.content.decode()
    assert shown.title in html
    for hidden in (draft, cancelled, closed, ended, members_only):
        assert hidden.title not in html


def test_members_only_activities_show_to_active_members_of_the_organizer_only(
    client, org, other_org, org_admin_user, volunteer, huiyang_volunteer
):
    mine = published_activity(org, visibility=Visibility.MEMBERS)
    theirs = published_activity(other_org, visibility=Visibility.MEMBERS)
    member(org, volunteer, admin=org_admin_user)
    login(client, volunteer.user)
    assert ids(client.get(API)) == [mine.pk]
    assert client.get(f"/api/v1/activities/{mine.pk}/public").status_code == 200
    assert client.get(f"/api/v1/activities/{theirs.pk}/public").status_code == 404
    client.logout()
    login(client, huiyang_volunteer.user)  # a volunteer who is no member
    assert ids(client.get(API)) == []
    assert client.get(reverse("activities:square_detail", args=[mine.pk])).status_code == 404


def test_the_detail_page_is_404_for_drafts_and_cancelled_and_shows_the_notice(client, org):
    draft = published_activity(org, status=ActivityStatus.DRAFT)
    cancelled = published_activity(org, status=ActivityStatus.CANCELLED)
    for a in (draft, cancelled):
        assert client.get(reverse("activities:square_detail", args=[a.pk])).status_code == 404
        assert client.get(f"/api/v1/activities/{a.pk}/public").status_code == 404
    a = published_activity(
        org, positions=[{"name": "引导员", "slots": 3}, {"name": "摄影", "slots": 1, "min_age": 18}],
        shifts=[(at(1, 9), at(1, 12)), (at(8, 9), at(8, 12))], risks="夏季高温，注意防暑。", safeguards="提供饮用水和意外险。",
        conditions="年满18周岁。", signup_method="在线报名。",
    )  # fmt: skip
    html = client.get(reverse("activities:square_detail", args=[a.pk])).content.decode()
    for text in (
        "夏季高温，注意防暑。",
        "提供饮用水和意外险。",
        "年满18周岁。",
        "在线报名。",
        "引导员",
        "摄影",
        a.contact_phone,
        a.address,
    ):
        assert text in html
    # the sign-up button: the enrollment page, which sends a signed-out visitor through the
    # login page and back to it
    signup = reverse("activities:enroll", args=[a.pk])
    assert f'href="{signup}" data-signup' in html
    r = client.get(signup)
    assert r.status_code == 302 and r["Location"] == reverse("accounts:login") + "?next=" + signup
    body = client.get(f"/api/v1/activities/{a.pk}/public").json()
    assert [(p["name"], p["slots_per_shift"], p["open_slots"]) for p in body["positions"]] == [("引导员", 3, 6), ("摄影", 1, 2)]
    assert [s["open_slots"] for s in body["shifts"]] == [4, 4]
    assert body["signup_open"] is True and body["risks"] == "夏季高温，注意防暑。"


# --- filters ---------------------------------------------------------------------------------------


def test_search_category_region_dates_and_open_slots_filter_the_square(client, org):
    park = published_activity(org, title="湖边公园清洁", category="environment", shifts=[(at(2, 9), at(2, 12))])
    library = published_activity(org, title="图书馆导读", category="education_support", shifts=[(at(10, 9), at(10, 12))])
    huiyang = published_activity(
        org, region_code=HUIYANG_TOWN, title="淡水助老", category="smart_elderly", shifts=[(at(5, 9), at(5, 12))]
    )
    full = published_activity(org, title="满员活动")
    full.__class__.objects.filter(pk=full.pk).update(slots_open=0)

    assert ids(client.get(API, {"q": "公园"})) == [park.pk]
    assert ids(client.get(API, {"category": "education_support"})) == [library.pk]
    assert ids(client.get(API, {"region": "441303000000"})) == [huiyang.pk]
    assert set(ids(client.get(API, {"region": "441302000000"}))) == {park.pk, library.pk, full.pk}
    d = lambda n: at(n).date().isoformat()  # noqa: E731
    assert ids(client.get(API, {"date_from": d(4), "date_to": d(6)})) == [huiyang.pk]
    assert ids(client.get(API, {"date_from": d(9)})) == [library.pk]
    assert full.pk not in ids(client.get(API, {"open": "1"}))
    page = client.get(reverse("activities:square"), {"category": "environment"}).content.decode()
    assert park.title in page and library.title not in page


def test_nearest_first_within_the_radius_on_both_databases(client, org):
    far = published_activity(org, title="12公里", **east(12))
    near = published_activity(org, title="1公里", **east(1))
    mid = published_activity(org, title="5公里", **east(5))
    # publishing needs coordinates now; one without them (written before that rule) stays out
    no_point = published_activity(org, title="无坐标")
    Activity.objects.filter(pk=no_point.pk).update(latitude=None, longitude=None)
    out_of_range = published_activity(org, title="40公里", **east(40))
    r = client.get(API, {"lat": HERE[0], "lng": HERE[1], "sort": "distance", "radius": 20})
    assert ids(r) == [near.pk, mid.pk, far.pk]
    for item, a in zip(r.json()["items"], (near, mid, far), strict=True):
        exact = haversine_m(HERE[0], HERE[1], float(a.latitude), float(a.longitude))
        assert abs(item["distance_m"] - exact) <= 1  # the exact distance, not the box
    assert out_of_range.pk not in ids(client.get(API, {"lat": HERE[0], "lng": HERE[1], "radius": 30}))
    assert out_of_range.pk in ids(client.get(API, {"lat": HERE[0], "lng": HERE[1], "radius": 50}))
    # the default sort keeps time order and still shows the distance; the default radius is 10 km
    items = client.get(API, {"lat": HERE[0], "lng": HERE[1]}).json()["items"]
    assert {i["id"] for i in items} == {near.pk, mid.pk} and all(i["distance_m"] is not None for i in items)
    page = client.get(reverse("activities:square"), {"lat": HERE[0], "lng": HERE[1], "sort": "distance", "radius": 20})
    page = page.content.decode()
    assert page.index("1公里") < page.index("5公里") < page.index("12公里")


def test_the_bounding_box_holds_the_circle():
    south, north, west, east_ = bounding_box(HERE[0], HERE[1], 10_000)
    for lat, lng in ((south, HERE[1]), (north, HERE[1]), (HERE[0], west), (HERE[0], east_)):
        assert haversine_m(HERE[0], HERE[1], lat, lng) >= 10_000


# --- keyset pages ----------------------------------------------------------------------------------


def test_keyset_pages_cover_every_activity_once_in_order(client, org):
    made = [published_activity(org, shifts=[(at(d, 9), at(d, 12))], **east(d)) for d in (3, 1, 2, 5, 4)]
    for params, order in (
        ({}, sorted(made, key=lambda a: (a.starts_at, a.pk))),
        ({"lat": HERE[0], "lng": HERE[1], "sort": "distance"}, [made[i] for i in (1, 2, 0, 4, 3)]),
    ):
        seen, cursor = [], None
        while True:
            r = client.get(API, {**params, "page_size": 2, **({"cursor": cursor} if cursor else {})})
            seen += ids(r)
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        assert seen == [a.pk for a in order]


# --- bad parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"category": "nope"}, "category"),
        ({"lat": "23.1"}, "lng"),
        ({"sort": "distance"}, "sort"),
        ({"radius": "5"}, "radius"),
        ({"lat": "95", "lng": "114"}, "lat"),
        ({"date_from": "2026-12-10", "date_to": "2026-12-01"}, "date_to"),
        ({"region": "999999"}, "region"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field_in_chinese(client, org, params, field):
    r = client.get(API, params)
    assert r.status_code == 422, r.content
    body = r.json()
    assert field in body["fields"], body
    assert any("\u4e00" <= ch <= "\u9fff" for m in body["fields"][field] for ch in m)


def test_a_bad_cursor_or_page_size_is_a_422(client, org):
    assert client.get(API, {"cursor": "not-a-cursor"}).status_code == 422
    assert client.get(API, {"page_size": 500}).status_code == 422
    # a distance cursor cannot be replayed with a text where the number was
    assert client.get(API, {"lat": 23, "lng": 114, "sort": "distance", "cursor": "WyJ4IiwxXQ"}).status_code == 422


def test_the_page_shows_bad_filters_beside_the_form_and_filters_nothing(client, org):
    a = published_activity(org)
    r = client.get(reverse("activities:square"), {"sort": "distance", "date_from": "2026-12-10", "date_to": "2026-12-01"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "按距离排序需要您的位置" in html and "结束日期不能早于开始日期。" in html
    assert a.title in html


# --- queries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 5])
def test_the_api_page_reads_a_constant_number_of_queries(client, org, rows, django_assert_num_queries):
    for _ in range(rows):
        published_activity(org)
    with django_assert_num_queries(2):  # the page (with its organizations); the region names
        assert len(ids(client.get(API))) == rows
    with django_assert_num_queries(2):
        assert len(ids(client.get(API, {"lat": HERE[0], "lng": HERE[1], "sort": "distance", "category": "community"}))) == rows


@pytest.mark.parametrize("rows", [1, 5])
def test_the_square_page_reads_a_constant_number_of_queries(
    client, org, org_admin_user, volunteer, rows, django_assert_num_queries
):
    for _ in range(rows):
        published_activity(org, visibility=Visibility.MEMBERS)
    with django_assert_num_queries(2):
        client.get(reverse("activities:square"))
    member(org, volunteer, admin=org_admin_user)
    login(client, volunteer.user)
    # session, user, roles, volunteer (the menu), the page (membership as a sub-query), region
    # names, the region picker, the session's refresh and its savepoint — none per row
    with django_assert_num_queries(11):  # 10 + the notification badge
        r = client.get(reverse("activities:square"))
    assert r.content.decode().count('class="square-card"') == rows


@pytest.mark.parametrize("shifts", [1, 4])
def test_the_detail_reads_a_constant_number_of_queries(client, org, shifts, django_assert_num_queries):
    a = published_activity(org, shifts=[(at(d, 9), at(d, 12)) for d in range(1, shifts + 1)],
                           positions=[{"name": "引导员", "slots": 2}, {"name": "摄影", "slots": 1}])  # fmt: skip
    # activity, region name, positions, their courses, their qualifications, shifts, slots
    with django_assert_num_queries(7):
        assert client.get(f"/api/v1/activities/{a.pk}/public").status_code == 200


def test_the_square_is_in_everyones_menu(client):
    assert 'data-nav="activities_square"' in client.get("/").content.decode()

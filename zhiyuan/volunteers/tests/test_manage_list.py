"""Manager list, search, detail, status change and export (SPEC §0 scope rule, VOL-2, VOL-9, VOL-10)."""

import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook

from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.models import Volunteer, VolunteerServiceCategory, VolunteerSkill
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db
PAGE = "/volunteers/manage/"
API = "/api/v1/volunteers"


def html(r) -> str:
    return r.content.decode()


def content(r) -> bytes:
    return b"".join(r.streaming_content) if r.streaming else r.content


def number_of(v: Volunteer) -> str:
    return documents.document_unseal(v.id_number_sealed)


def listed_ids(r) -> set[int]:
    import re

    return {int(m) for m in re.findall(r'data-volunteer="(\d+)"', html(r))}


@pytest.fixture
def cast(volunteer, huiyang_volunteer):
    """惠城区: 陈志愿 (active adult man, 1990); 惠阳区: 林惠阳."""
    return volunteer, huiyang_volunteer


# --- scope ------------------------------------------------------------------------------------------


def test_county_manager_sees_only_own_county_on_page_and_api(client, county_manager, cast):
    own, _other = cast
    client.force_login(county_manager)
    r = client.get(PAGE)
    assert r.status_code == 200
    assert listed_ids(r) == {own.pk}
    body = client.get(API).json()
    assert [i["id"] for i in body["items"]] == [own.pk] and body["next_cursor"] is None


def test_other_county_detail_is_404_on_page_and_api(client, county_manager, cast):
    _own, other = cast
    client.force_login(county_manager)
    assert client.get(f"{PAGE}{other.pk}/").status_code == 404
    assert client.get(f"{API}/{other.pk}").status_code == 404
    r = client.post(f"{PAGE}{other.pk}/status/", {"to_status": "suspended", "reason": "测试"})
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.status == "active"


def test_city_manager_and_platform_admin_see_both(client, city_manager, platform_admin, cast):
    for actor in (city_manager, platform_admin):
        client.force_login(actor)
        assert listed_ids(client.get(PAGE)) == {v.pk for v in cast}
        assert len(client.get(API).json()["items"]) == 2


def test_plain_user_and_volunteer_are_refused(client, plain_user, cast):
    own, _other = cast
    for u in (plain_user, own.user):
        client.force_login(u)
        assert client.get(PAGE).status_code == 403
        assert client.get(PAGE + "export.xlsx").status_code == 403
        assert client.get(f"{PAGE}{own.pk}/").status_code == 403
        assert client.get(API).status_code == 403
        assert client.post(API + "/search", {"id_number": number_of(own)}, content_type="application/json").status_code == 403


def test_anonymous_is_sent_to_login(client, cast):
    r = client.get(PAGE)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert client.get(API).status_code == 401


def test_restricted_people_are_not_listed_searched_or_exported(client, county_manager, cast):
    own, _other = cast
    number = number_of(own)
    svc.consent_withdraw(actor=own.user, kind="privacy")
    client.force_login(county_manager)
    assert listed_ids(client.get(PAGE)) == set()
    assert client.get(f"{PAGE}{own.pk}/").status_code == 404
    assert client.post(API + "/search", {"id_number": number}, content_type="application/json").json()["items"] == []
    wb = load_workbook(io.BytesIO(content(client.get(PAGE + "export.xlsx"))))
    assert wb.active.max_row == 1  # the header only


# Session, user, roles, the manager's own volunteer row, the page of rows, their regions; the
# page adds the region picker's choices. The same whatever the rows and the depth.
PAGE_QUERIES = 8  # + the unread-notice badge (core.context_processors.notifications)
API_QUERIES = 6


def warm(client):
    """The first request after a login saves the session; measure the ones after it."""
    client.get(API, {"page_size": 1})


@pytest.mark.parametrize("rows", [2, 7])
def test_list_query_count_is_exact_and_does_not_grow_with_rows(client, county_manager, rows, django_assert_num_queries):
    for _ in range(rows):
        f.register(name="刘一")
    client.force_login(county_manager)
    warm(client)
    with django_assert_num_queries(PAGE_QUERIES):
        r = client.get(PAGE, {"q": "刘一", "status": "active", "sort": "name"})
    assert len(listed_ids(r)) == rows
    with django_assert_num_queries(API_QUERIES):
        body = client.get(API, {"q": "刘一", "status": "active", "sort": "name"}).json()
    assert len(body["items"]) == rows


def test_deep_pages_use_a_cursor_not_offset_or_count(client, county_manager, django_assert_num_queries):
    people = [f.register(name=f"刘{c}") for c in "甲乙丙丁戊"]
    client.force_login(county_manager)
    warm(client)
    seen, cursor = [], None
    while True:
        params = {"sort": "name", "page_size": 2, **({"cursor": cursor} if cursor else {})}
        with django_assert_num_queries(API_QUERIES) as ctx:
            body = client.get(API, params).json()
        sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
        assert "OFFSET" not in sql and "COUNT(" not in sql
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [p.pk for p in sorted(people, key=lambda p: (p.name, p.pk))]
    r = client.get(PAGE, {"sort": "name", "page_size": "20"})
    assert 'data-next' not in html(r)
    assert client.get(API, {"cursor": "not-a-cursor"}).status_code == 422


@pytest.mark.parametrize("kind", ["mobile", "volunteer_no"])
def test_exact_search_hits_its_own_column_without_an_or_across_the_user_join(client, county_manager, kind,
                                                                             django_assert_num_queries):
    v = f.register(name="精确")
    f.register(name="别人")
    client.force_login(county_manager)
    term = v.user.mobile if kind == "mobile" else v.volunteer_no
    warm(client)
    with django_assert_num_queries(API_QUERIES) as ctx:
        body = client.get(API, {"q": term}).json()
    assert [i["id"] for i in body["items"]] == [v.pk]
    [listing] = [q["sql"] for q in ctx.captured_queries if "volunteers_volunteer" in q["sql"] and "ORDER BY" in q["sql"]]
    where = listing[listing.index("WHERE") :]
    # the mobile is resolved to user ids by the users' unique index; no name or join condition
    assert '"accounts_user"."mobile"' not in where and "LIKE '%" not in where
    if kind == "mobile":
        assert '"user_id" IN (SELECT' in where


# --- masking ----------------------------------------------------------------------------------------


def test_list_shows_masked_document_and_mobile_only(client, county_manager, volunteer):
    client.force_login(county_manager)
    page = html(client.get(PAGE))
    api = json.dumps(client.get(API).json(), ensure_ascii=False)
    number, mobile = number_of(volunteer), volunteer.user.mobile
    for text in (page, api):
        assert volunteer.id_number_masked in text
        assert number not in text
        assert mobile not in text and f"{mobile[:3]}****{mobile[-4:]}" in text


# --- filters ----------------------------------------------------------------------------------------


@pytest.fixture
def people(county_manager):
    """Four 惠城区 people differing in one attribute each."""
    a = f.register(name="甲男", birth=dt.date(1990, 5, 17), male=True)
    b = f.register(name="乙女", birth=dt.date(2000, 3, 1), male=False)
    c = f.register(name="丙长者", birth=dt.date(1950, 1, 1), male=True, region_code="441302002000")
    d = f.register(name="丁暂停", birth=dt.date(1985, 1, 1), male=False)
    svc.volunteer_change_status(actor=county_manager, volunteer_id=d.pk, to_status="suspended", reason="测试")
    Volunteer.objects.filter(pk=a.pk).update(political_status="01")
    VolunteerSkill.objects.create(volunteer=b, code="medical")
    VolunteerServiceCategory.objects.create(volunteer=c, code="smart_elderly")
    Volunteer.objects.filter(pk=c.pk).update(registered_at=dt.datetime(2024, 1, 10, 12, tzinfo=dt.UTC))
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "乙"}, {"b"}),
        ({"status": "suspended"}, {"d"}),
        ({"gender": "2"}, {"b", "d"}),
        ({"age_min": "60"}, {"c"}),
        ({"age_max": "30"}, {"b"}),
        ({"age_min": "30", "age_max": "45"}, {"a", "d"}),
        ({"political_status": "01"}, {"a"}),
        ({"skill": "medical"}, {"b"}),
        ({"service_category": "smart_elderly"}, {"c"}),
        ({"region": "441302002000"}, {"c"}),
        ({"registered_to": "2024-12-31"}, {"c"}),
        ({"registered_from": "2025-01-01"}, {"a", "b", "d"}),
    ],
)
def test_each_filter_on_page_and_api(client, county_manager, people, params, expected):
    client.force_login(county_manager)
    want = {people[k].pk for k in expected}
    assert listed_ids(client.get(PAGE, params)) == want
    assert {i["id"] for i in client.get(API, params).json()["items"]} == want


def test_search_by_volunteer_number_and_mobile(client, county_manager, people):
    client.force_login(county_manager)
    a = people["a"]
    assert listed_ids(client.get(PAGE, {"q": a.volunteer_no})) == {a.pk}
    assert listed_ids(client.get(PAGE, {"q": a.user.mobile})) == {a.pk}


def test_sorting_and_page_size(client, county_manager, people):
    client.force_login(county_manager)
    body = client.get(API, {"sort": "age", "page_size": 2}).json()
    assert [i["name"] for i in body["items"]] == ["乙女", "甲男"] and body["next_cursor"]
    body = client.get(API, {"sort": "age", "page_size": 2, "cursor": body["next_cursor"]}).json()
    assert [i["name"] for i in body["items"]] == ["丁暂停", "丙长者"]
    r = client.get(PAGE, {"sort": "-age", "page_size": "20"})
    assert html(r).index("丙长者") < html(r).index("乙女")
    assert client.get(API, {"page_size": 500}).status_code == 422


def test_invalid_filter_shows_chinese_error_not_crash(client, county_manager, people):
    client.force_login(county_manager)
    r = client.get(PAGE, {"age_min": "50", "age_max": "20"})
    assert r.status_code == 200 and "最大年龄不能小于最小年龄" in html(r)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"gender": "5"}, "gender"),
        ({"political_status": "99"}, "political_status"),
        ({"skill": "juggling"}, "skill"),
        ({"service_category": "nothing"}, "service_category"),
        ({"sort": "password"}, "sort"),
        ({"region": "4413x"}, "region"),
        ({"age_min": "50", "age_max": "20"}, "age_max"),
        ({"registered_from": "2025-02-01", "registered_to": "2025-01-01"}, "registered_to"),
    ],
)
def test_api_refuses_an_invalid_filter_instead_of_listing_everyone(client, county_manager, people, params, field):
    client.force_login(county_manager)
    r = client.get(API, params)
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {field}, body
    assert re.search(r"[\u4e00-\u9fff]", body["fields"][field][0]) and "items" not in body


def test_api_filter_error_names_the_valid_codes(client, county_manager):
    client.force_login(county_manager)
    body = client.get(API, {"status": "bogus", "political_status": "99"}).json()
    assert "active" in body["fields"]["status"][0] and "suspended" in body["fields"]["status"][0]
    assert "13" in body["fields"]["political_status"][0]


def test_page_stays_forgiving_with_a_chinese_notice_for_an_invalid_filter(client, county_manager, people):
    client.force_login(county_manager)
    r = client.get(PAGE, {"status": "bogus"})
    assert r.status_code == 200
    assert "选择一个有效的选项" in html(r)  # the field's error next to the filter
    assert listed_ids(r) == {p.pk for p in people.values()}  # nothing filtered rather than wrongly


# --- document number search -------------------------------------------------------------------------


def test_document_search_finds_exactly_one_and_never_echoes_the_number(client, county_manager, people):
    client.force_login(county_manager)
    target = people["b"]
    number = number_of(target)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}".lower()  # normalized before the lookup
    r = client.post(PAGE, {"id_number": spaced, "id_type": ""})
    assert r.status_code == 200
    import re

    found = set(map(int, re.findall(r'data-volunteer="(\d+)"', html(r).split('id="document-results"')[1].split("</table>")[0])))
    assert found == {target.pk}
    assert number not in html(r) and spaced not in html(r)
    api = client.post(API + "/search", {"id_number": number}, content_type="application/json")
    assert [i["id"] for i in api.json()["items"]] == [target.pk]
    assert number not in api.content.decode()
    for e in AuditEntry.objects.all():
        assert number not in json.dumps(e.detail)


def test_document_search_outside_scope_finds_nobody(client, county_manager, huiyang_volunteer):
    client.force_login(county_manager)
    r = client.post(PAGE, {"id_number": number_of(huiyang_volunteer)})
    assert "data-document-none" in html(r)


def test_an_invalid_document_number_is_a_field_error_not_nobody_found(client, county_manager, people):
    """Issue #8 item 5: a typo is said to be a typo (with the parser's reason), never echoed."""
    client.force_login(county_manager)
    valid = number_of(people["b"])
    typo = valid[:-1] + ("0" if valid[-1] != "0" else "1")  # checksum broken
    r = client.post(PAGE, {"id_number": typo, "id_type": "111"})
    assert r.status_code == 400
    assert "证件号码无效：" in html(r) and "data-document-none" not in html(r)
    assert typo not in html(r)
    r = client.post(PAGE, {"id_number": "12-3", "id_type": ""})  # valid for no type at all
    assert r.status_code == 400
    assert "证件号码无效：它不是任何一种证件的有效号码。" in html(r)
    assert "12-3" not in html(r)
    r = client.post(PAGE, {"id_number": "H1234", "id_type": "516"})
    assert "证件号码无效：港澳居民来往内地通行证号码为H或M加8位数字（旧版加10位数字）。" in html(r)

    api = client.post(API + "/search", {"id_number": typo, "id_type": "111"}, content_type="application/json")
    assert api.status_code == 422
    body = api.json()
    assert list(body["fields"]) == ["id_number"] and body["fields"]["id_number"][0].startswith("证件号码无效：")
    assert typo not in api.content.decode()
    api = client.post(API + "/search", {"id_number": "12"}, content_type="application/json")
    assert api.status_code == 422 and list(api.json()["fields"]) == ["id_number"]
    api = client.post(API + "/search", {"id_number": valid, "id_type": "no_such"}, content_type="application/json")
    assert api.status_code == 422 and "id_type" in api.json()["fields"]
    # A valid number of another type is still searched (and finds nobody here).
    api = client.post(API + "/search", {"id_number": "H12345678"}, content_type="application/json")
    assert api.status_code == 200 and api.json()["items"] == []


def test_list_api_has_no_document_number_parameter(client):
    spec = client.get("/api/v1/openapi.json").json()
    params = {p["name"] for p in spec["paths"][API]["get"]["parameters"]}
    assert "q" in params and not params & {"id_number", "document", "id_no"}
    assert "post" in spec["paths"][API + "/search"]


# --- detail, reveal, status -------------------------------------------------------------------------


def test_detail_shows_profile_history_and_reveal_is_audited(client, county_manager, volunteer):
    client.force_login(county_manager)
    r = client.get(f"{PAGE}{volunteer.pk}/")
    page = html(r)
    assert r.status_code == 200 and volunteer.name in page and volunteer.id_number_masked in page
    assert number_of(volunteer) not in page
    assert f"/volunteers/{volunteer.pk}/reveal-id/" in page and "data-history" in page
    revealed = client.post(f"/volunteers/{volunteer.pk}/reveal-id/", {"reason": "核实"})
    assert number_of(volunteer) in html(revealed)
    assert AuditEntry.objects.filter(action="volunteer.reveal_id", object_id=str(volunteer.pk)).count() == 1


def test_status_change_from_detail_page(client, county_manager, volunteer):
    client.force_login(county_manager)
    r = client.post(f"{PAGE}{volunteer.pk}/status/", {"to_status": "suspended", "reason": "多次无故缺席"})
    assert r.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.status == "suspended"
    assert "多次无故缺席" in html(client.get(f"{PAGE}{volunteer.pk}/"))
    assert AuditEntry.objects.filter(action="volunteer.status_change").count() == 1
    r = client.post(f"{PAGE}{volunteer.pk}/status/", {"to_status": "active", "reason": ""})
    assert r.status_code == 400 and "errorlist" in html(r)
    volunteer.refresh_from_db()
    assert volunteer.status == "suspended"


# --- export -----------------------------------------------------------------------------------------


def test_export_is_masked_filtered_scoped_and_audited(client, county_manager, people, huiyang_volunteer):
    client.force_login(county_manager)
    r = client.get(PAGE + "export.xlsx", {"gender": "2"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(content(r))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][3] == "证件号码"
    data = rows[1:]
    assert {row[1] for row in data} == {"乙女", "丁暂停"}
    flat = json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)
    for v in (*people.values(), huiyang_volunteer):
        assert number_of(v) not in flat and v.user.mobile not in flat
    assert people["b"].id_number_masked in flat
    assert huiyang_volunteer.name not in flat
    entry = AuditEntry.objects.get(action="volunteer.export")
    assert entry.actor_id == county_manager.pk
    # audited once when the stream starts (so an aborted download is audited too): the filters
    # and the cap, not a row count that is known only at the end
    assert entry.detail == {"filters": {"gender": "2", "sort": "-registered_at"}, "limit": 50_000}


def test_nav_entry_for_managers_only(client, county_manager, plain_user):
    client.force_login(county_manager)
    assert 'href="/volunteers/manage/"' in html(client.get("/"))
    client.force_login(plain_user)
    assert 'href="/volunteers/manage/"' not in html(client.get("/"))

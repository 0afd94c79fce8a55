"""Pages of the stations app: scope (404 outside), forms with Chinese errors, export, the
station admin's page, the public list without personal data, navigation."""

import io

import pytest
from openpyxl import load_workbook

from zhiyuan.core.models import AuditEntry
from zhiyuan.stations import services
from zhiyuan.stations.models import ServicePoint
from zhiyuan.stations.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, point, station_admin_of

pytestmark = pytest.mark.django_db
MANAGE = "/stations/manage/"


def html(r) -> str:
    return r.content.decode()


@pytest.fixture
def huicheng_point(county_manager):
    return point(
        county_manager,
        name="桥东志愿服务站",
        address="桥东街道东新街1号",
        service_phone="0752-2800003",
        contact_name="黄站长",
        contact_phone="13912345678",
        opening_hours="每日 8:30–20:00",
        has_place=True,
        has_team=True,
    )


@pytest.fixture
def huiyang_point(other_county_manager):
    return point(other_county_manager, name="淡水志愿服务站", region_code=HUIYANG_TOWN, address="淡水街道开城大道")


def body(r) -> bytes:
    """An export's bytes (it is streamed)."""
    return b"".join(r.streaming_content)


def as_user(client, u):
    client.force_login(u)
    return client


# --- manager list -------------------------------------------------------------------------------------


def test_county_manager_list_shows_own_county_only(client, county_manager, huicheng_point, huiyang_point):
    r = as_user(client, county_manager).get(MANAGE)
    assert r.status_code == 200
    page = html(r)
    assert f'data-point="{huicheng_point.pk}"' in page and "桥东志愿服务站" in page
    assert "淡水志愿服务站" not in page
    assert 'data-nav="stations"' in page


def test_city_manager_list_shows_both_and_filters(client, city_manager, huicheng_point, huiyang_point):
    c = as_user(client, city_manager)
    page = html(c.get(MANAGE))
    assert "桥东志愿服务站" in page and "淡水志愿服务站" in page
    page = html(c.get(MANAGE, {"region": "441303"}))
    assert "淡水志愿服务站" in page and "桥东志愿服务站" not in page
    page = html(c.get(MANAGE, {"q": "开城"}))  # address search
    assert "淡水志愿服务站" in page and "桥东志愿服务站" not in page
    page = html(c.get(MANAGE, {"kind": "room"}))
    assert "淡水志愿服务站" not in page and "桥东志愿服务站" not in page


def test_list_paginates(client, county_manager):
    for i in range(32):
        ServicePoint.objects.create(name=f"批量站{i:02d}", region_code=HUICHENG_TOWN, address="x")
    c = as_user(client, county_manager)
    assert html(c.get(MANAGE)).count("data-point=") == 30
    first = html(c.get(MANAGE))
    cursor = first.split("cursor=")[1].split('"')[0]
    second = html(c.get(MANAGE + "?cursor=" + cursor))
    assert second.count("data-point=") == 2 and "批量站31" in second and "批量站31" not in first
    assert "cursor=" not in second.split("data-list-table")[1]  # the last page has no "next"


def test_list_query_count_does_not_grow_with_rows(client, county_manager, django_assert_max_num_queries):
    c = as_user(client, county_manager)
    for i in range(5):
        ServicePoint.objects.create(name=f"批量站{i:02d}", region_code=HUICHENG_TOWN, address="x")
    c.get(MANAGE)
    for i in range(5, 25):
        ServicePoint.objects.create(name=f"批量站{i:02d}", region_code=HUICHENG_TOWN, address="x")
    with django_assert_max_num_queries(12):
        assert c.get(MANAGE).status_code == 200


def test_other_countys_point_is_404_on_every_page(client, county_manager, huiyang_point):
    c = as_user(client, county_manager)
    pk = huiyang_point.pk
    assert c.get(f"{MANAGE}{pk}/").status_code == 404
    assert c.get(f"{MANAGE}{pk}/edit/").status_code == 404
    assert c.post(f"{MANAGE}{pk}/edit/", {"name": "x"}).status_code == 404
    assert c.post(f"{MANAGE}{pk}/close/", {"confirm": "on"}).status_code == 404
    assert c.post(f"{MANAGE}{pk}/admins/", {"mobile": county_manager.mobile}).status_code == 404
    assert c.get(f"/stations/mine/{pk}/").status_code == 404
    huiyang_point.refresh_from_db()
    assert huiyang_point.name == "淡水志愿服务站" and huiyang_point.is_active


def test_volunteer_and_station_admin_cannot_use_manager_pages(client, volunteer, county_manager, huicheng_point):
    c = as_user(client, volunteer.user)
    assert c.get(MANAGE).status_code == 403
    assert c.get(f"{MANAGE}{huicheng_point.pk}/").status_code == 403
    admin = station_admin_of(county_manager, huicheng_point)
    c = as_user(client, admin)
    assert c.get(MANAGE).status_code == 403
    assert c.get(f"{MANAGE}{huicheng_point.pk}/edit/").status_code == 403
    assert c.post(f"{MANAGE}{huicheng_point.pk}/close/", {"confirm": "on"}).status_code == 403


# --- create / edit ---------------------------------------------------------------------------------------


def test_create_form_renders_with_region_picker(client, county_manager):
    r = as_user(client, county_manager).get(f"{MANAGE}new/")
    assert r.status_code == 200
    page = html(r)
    assert 'id="service-point-form"' in page and "data-region-picker" in page and "有标识" in page


def test_create_through_the_page(client, county_manager):
    data = {
        "name": "水东街志愿服务点",
        "network_level": "",
        "kind": "point",
        "region_code": HUICHENG_TOWN,
        "address": "水东街88号",
        "latitude": "23.08",
        "longitude": "114.42",
        "functions": ["needs", "activities"],
        "has_place": "on",
    }
    r = as_user(client, county_manager).post(f"{MANAGE}new/", data)
    assert r.status_code == 302, html(r)
    p = ServicePoint.objects.get(name="水东街志愿服务点")
    assert r["Location"] == f"{MANAGE}{p.pk}/"
    assert (p.kind, p.functions, p.has_place, p.has_team) == ("point", ["needs", "activities"], True, False)
    assert AuditEntry.objects.filter(action="stations.point.create", object_id=str(p.pk)).exists()


def test_create_with_bad_input_shows_chinese_errors(client, county_manager):
    data = {"name": "", "kind": "station", "region_code": HUICHENG_TOWN, "address": "x", "latitude": "200", "longitude": "114"}
    r = as_user(client, county_manager).post(f"{MANAGE}new/", data)
    assert r.status_code == 400
    page = html(r)
    assert "请填写站点名称。" in page and "纬度应在 -90 到 90 之间。" in page
    assert not ServicePoint.objects.exists()


def test_create_outside_scope_is_refused_on_the_page(client, county_manager):
    data = {"name": "越界站", "kind": "station", "region_code": HUIYANG_TOWN, "address": "x"}
    r = as_user(client, county_manager).post(f"{MANAGE}new/", data)
    assert r.status_code in (400, 403)
    assert "不在" in html(r)
    assert not ServicePoint.objects.exists()


def test_edit_through_the_page(client, county_manager, huicheng_point):
    c = as_user(client, county_manager)
    r = c.get(f"{MANAGE}{huicheng_point.pk}/edit/")
    assert r.status_code == 200 and 'value="桥东志愿服务站"' in html(r)
    data = {
        "name": "桥东志愿服务站（新）",
        "kind": "station",
        "region_code": HUICHENG_TOWN,
        "address": "新地址",
        "contact_name": "黄站长",
        "contact_phone": "13912345678",
    }
    r = c.post(f"{MANAGE}{huicheng_point.pk}/edit/", data)
    assert r.status_code == 302
    huicheng_point.refresh_from_db()
    assert huicheng_point.name == "桥东志愿服务站（新）" and huicheng_point.has_place is False


def test_operator_organization_chosen_on_the_form_and_shown_by_name(client, county_manager, other_county_manager):
    from zhiyuan.organizations.services import organization_suspend
    from zhiyuan.organizations.tests.factories import active_org

    mine = active_org(county_manager, name="桥东长者关爱服务中心")
    theirs = active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)
    c = as_user(client, county_manager)
    form = html(c.get(f"{MANAGE}new/"))
    assert f'name="operator_organization_id" value="{mine.pk}"><span class="picker-name">桥东长者关爱服务中心</span>' in form
    assert "淡水青年志愿者协会" not in form
    assert 'name="operator_organization_id" value="" checked><span class="picker-name">不指定运营组织</span>' in form
    data = {"name": "长者饭堂服务室", "kind": "room", "region_code": HUICHENG_TOWN, "address": "水东街"}
    r = c.post(f"{MANAGE}new/", {**data, "operator_organization_id": str(theirs.pk)})  # a crafted value
    assert r.status_code == 400 and "运营组织不存在或不在您的管辖范围内。" in html(r)
    assert not ServicePoint.objects.exists()
    r = c.post(f"{MANAGE}new/", {**data, "operator_organization_id": str(mine.pk)})
    assert r.status_code == 302, html(r)
    p = ServicePoint.objects.get(name="长者饭堂服务室")
    assert p.operator_organization == mine
    detail = html(c.get(f"{MANAGE}{p.pk}/"))
    assert f'href="/organizations/manage/{mine.pk}/">桥东长者关爱服务中心</a>' in detail
    assert "桥东长者关爱服务中心" in html(c.get(MANAGE))
    edit = html(c.get(f"{MANAGE}{p.pk}/edit/"))
    current = (
        f'<label class="picker-option" data-picker-current="{mine.pk}"><input type="radio" name="operator_organization_id" '
        f'value="{mine.pk}" checked><span class="picker-name">桥东长者关爱服务中心</span>'
        '<span class="picker-detail">当前选择 · 惠城区/桥东街道</span></label>'
    )
    assert current in edit
    assert f'data-picker-option="{mine.pk}"' not in edit  # not twice
    assert 'data-label="运营组织">桥东长者关爱服务中心</td>' in html(client.get("/stations/"))
    rows = list(load_workbook(io.BytesIO(body(c.get(f"{MANAGE}export.xlsx")))).active.iter_rows(values_only=True))
    assert dict(zip(rows[0], rows[1], strict=True))["运营组织"] == "桥东长者关爱服务中心"
    organization_suspend(actor=county_manager, org=mine, reason="整改")
    edit = html(c.get(f"{MANAGE}{p.pk}/edit/"))
    assert (
        f'value="{mine.pk}" checked><span class="picker-name">桥东长者关爱服务中心</span>'
        '<span class="picker-detail">当前选择 · 惠城区/桥东街道 · 已暂停</span>'
    ) in edit
    assert "已暂停" in html(c.get(f"{MANAGE}{p.pk}/"))
    assert "桥东长者关爱服务中心" not in html(client.get("/stations/"))  # no longer public


# --- detail, admins, close ----------------------------------------------------------------------------------


def test_detail_assign_and_revoke_admin(client, county_manager, huicheng_point, plain_user):
    c = as_user(client, county_manager)
    r = c.post(f"{MANAGE}{huicheng_point.pk}/admins/", {"mobile": "13999999999"})
    assert r.status_code == 400 and "未找到该手机号对应的用户" in html(r)
    r = c.post(f"{MANAGE}{huicheng_point.pk}/admins/", {"mobile": plain_user.mobile})
    assert r.status_code == 302
    page = html(c.get(f"{MANAGE}{huicheng_point.pk}/"))
    assert plain_user.masked_mobile in page and plain_user.mobile not in page
    a = plain_user.role_assignments.get(active=True)
    assert c.post(f"{MANAGE}{huicheng_point.pk}/admins/{a.pk}/revoke/").status_code == 302
    a.refresh_from_db()
    assert not a.active


def test_close_needs_confirmation(client, county_manager, huicheng_point):
    c = as_user(client, county_manager)
    r = c.post(f"{MANAGE}{huicheng_point.pk}/close/", {"reason": "搬迁"})
    assert r.status_code == 400 and "请勾选确认后再关闭。" in html(r)
    assert c.post(f"{MANAGE}{huicheng_point.pk}/close/", {"reason": "搬迁", "confirm": "on"}).status_code == 302
    huicheng_point.refresh_from_db()
    assert not huicheng_point.is_active
    assert c.post(f"{MANAGE}{huicheng_point.pk}/reopen/").status_code == 302
    huicheng_point.refresh_from_db()
    assert huicheng_point.is_active


# --- export -------------------------------------------------------------------------------------------------


def test_export_contains_scoped_filtered_rows_and_is_audited(client, county_manager, huicheng_point, huiyang_point):
    point(county_manager, name='=HYPERLINK("x")', address="注入测试")
    r = as_user(client, county_manager).get(f"{MANAGE}export.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(body(r))).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("编号", "名称", "阵地层级", "类型") and "有标识" in header and "六有达标项" in header
    names = {row[1] for row in rows[1:]}
    assert names == {"桥东志愿服务站", '\'=HYPERLINK("x")'}  # formula neutralised; 惠阳区 absent
    row = next(row for row in rows[1:] if row[1] == "桥东志愿服务站")
    by = dict(zip(header, row, strict=True))
    assert by["区划代码"] == HUICHENG_TOWN and by["所在区划"].endswith("桥东街道")
    assert by["阵地层级"] == "独立站点" and by["类型"] == "站" and by["六有达标项"] == "2/6"
    assert by["有场所"] == "是" and by["有标识"] == "否" and by["状态"] == "运行中"
    assert AuditEntry.objects.filter(action="stations.point.export", actor=county_manager).exists()
    # Filters apply to the export too.
    r = client.get(f"{MANAGE}export.xlsx", {"q": "桥东"})
    rows = list(load_workbook(io.BytesIO(body(r))).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["桥东志愿服务站"]


# --- station admin: 我的站点 ---------------------------------------------------------------------------------


def test_station_admin_edits_own_point(client, county_manager, huicheng_point):
    admin = station_admin_of(county_manager, huicheng_point)
    c = as_user(client, admin)
    r = c.get("/stations/mine/")
    assert r.status_code == 302 and r["Location"] == f"/stations/mine/{huicheng_point.pk}/"
    page = html(c.get(r["Location"]))
    assert 'data-nav="my_station"' in page and 'data-nav="stations"' not in page
    data = {
        "opening_hours": "周一至周日 8:00–21:00",
        "service_phone": "0752-2800009",
        "contact_name": "黄站长",
        "contact_phone": "13912345678",
        "functions": ["needs"],
        "has_place": "on",
        "has_team": "on",
        "has_rules": "on",
        # Manager-only fields are not on the form and are ignored if sent.
        "name": "篡改",
    }
    r = c.post(f"/stations/mine/{huicheng_point.pk}/", data)
    assert r.status_code == 302
    huicheng_point.refresh_from_db()
    assert huicheng_point.opening_hours == "周一至周日 8:00–21:00" and huicheng_point.name == "桥东志愿服务站"
    assert huicheng_point.six_haves_count == 3 and huicheng_point.functions == ["needs"]
    r = c.post(f"/stations/mine/{huicheng_point.pk}/", {**data, "service_phone": "abc"})
    assert r.status_code == 400 and "请输入有效的电话号码" in html(r)


def test_station_admin_cannot_edit_another_point(client, county_manager, huicheng_point):
    other = point(county_manager, name="另一个站")
    admin = station_admin_of(county_manager, huicheng_point)
    c = as_user(client, admin)
    assert c.get(f"/stations/mine/{other.pk}/").status_code == 404
    assert c.post(f"/stations/mine/{other.pk}/", {"opening_hours": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.opening_hours == ""


def test_station_admin_with_no_point_sees_empty_page(client, plain_user):
    r = as_user(client, plain_user).get("/stations/mine/")
    assert r.status_code == 200 and "您还不是任何站点的管理员。" in html(r)


# --- public list --------------------------------------------------------------------------------------------


def test_public_list_shows_public_fields_only(client, county_manager, huicheng_point, huiyang_point):
    closed = point(county_manager, name="已关闭站", contact_name="张", contact_phone="13711112222")
    services.service_point_close(actor=county_manager, point=closed)
    r = client.get("/stations/")  # anonymous
    assert r.status_code == 200
    page = html(r)
    assert "桥东志愿服务站" in page and "淡水志愿服务站" in page and "已关闭站" not in page
    assert "0752-2800003" in page and "每日 8:30–20:00" in page  # the public service phone and hours
    assert "13912345678" not in page and "黄站长" not in page  # never the contact person
    page = html(client.get("/stations/", {"region": "441303"}))
    assert "淡水志愿服务站" in page and "桥东志愿服务站" not in page


def test_public_list_is_in_everyones_navigation(client, volunteer):
    assert 'data-nav="stations_public"' in html(client.get("/stations/"))
    page = html(as_user(client, volunteer.user).get("/stations/"))
    assert 'data-nav="stations_public"' in page and 'data-nav="stations"' not in page and 'data-nav="my_station"' not in page


def test_detail_uses_the_key_value_layout_of_the_other_detail_pages(client, county_manager, huicheng_point):
    """Labels in a column beside their values (dl.kv), as on the organization and profile pages."""
    page = html(as_user(client, county_manager).get(f"{MANAGE}{huicheng_point.pk}/"))
    info = page.split("data-point-info>", 1)[1].split("</section>", 1)[0]
    assert info.lstrip().startswith('<dl class="kv">')

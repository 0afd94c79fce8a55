"""Manager pages (browser, population upload, template) and the region picker."""

import io

import pytest
from django import forms
from openpyxl import load_workbook

from zhiyuan.core.models import AuditEntry
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level, RegionPopulation

from .factories import DONGGUAN, HUICHENG, HUIYANG, HUIZHOU, QIAODONG, population_csv


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    r = client.get("/regions/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/regions/", "/regions/441300000000/", "/regions/population/upload/", "/regions/population/template.xlsx"]
)
def test_plain_user_is_refused(client, plain_user, url):
    client.force_login(plain_user)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_manager_drills_down_with_breadcrumb_and_population(client, county_manager, django_assert_max_num_queries):
    RegionPopulation.objects.create(region_id=HUICHENG, year=2020, population=1_205_034)
    client.force_login(county_manager)
    r = client.get("/regions/")  # a county manager opens at their county, not at 全国 (issue #8)
    assert r.status_code == 302 and r["Location"] == f"/regions/{HUICHENG}/"
    with django_assert_max_num_queries(20):  # a bounded number, whatever the number of children
        r = client.get(f"/regions/{HUIZHOU}/")
    page = r.content.decode()
    assert "惠城区" in page and "惠阳区" in page and "1205034" in page
    r = client.get("/regions/441302/")  # short code redirects to the canonical URL
    assert r.status_code == 302 and r["Location"].endswith(f"/regions/{HUICHENG}/")
    page = client.get(f"/regions/{HUICHENG}/").content.decode()
    assert "广东省" in page and "惠州市" in page and "桥东街道" in page and "2020" in page
    assert client.get("/regions/999999/").status_code == 404


@pytest.mark.django_db
def test_platform_admins_open_at_the_provinces(client, platform_admin):
    client.force_login(platform_admin)
    r = client.get("/regions/")
    assert r.status_code == 200 and "广东省" in r.content.decode()


@pytest.mark.django_db
def test_public_pickers_open_at_the_home_region(client, settings):
    from zhiyuan.regions.forms import RegionCascadeField

    settings.ZHIYUAN_HOME_REGION = HUIZHOU
    html = RegionCascadeField(start_at_home=True, min_level=4).widget.render("region_code", "")
    assert f'value="{HUIZHOU}" selected' in html and 'value="440000000000" selected' in html
    assert "data-region-chosen" not in html  # opened there, not chosen
    assert 'value="441302000000"' in html  # the counties of the home city are offered next
    manager_filter = RegionCascadeField(min_level=1).widget.render("region", "")
    assert "selected" not in manager_filter.replace('<option value="">', "")
    page = client.get("/volunteers/register/").content.decode()
    assert f'value="{HUIZHOU}" selected' in page


@pytest.mark.django_db
def test_browse_search_escapes_input(client, platform_admin):
    client.force_login(platform_admin)
    page = client.get("/regions/", {"q": "惠城"}).content.decode()
    assert "广东省/惠州市/惠城区" in page
    page = client.get("/regions/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.django_db
def test_manager_nav_entries(client, city_manager, plain_user):
    client.force_login(city_manager)
    page = client.get("/regions/", follow=True).content.decode()
    assert 'data-nav="regions"' in page and 'data-nav="regions_population"' in page
    client.force_login(plain_user)
    assert 'data-nav="regions"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_children_export_is_excel(client, city_manager):
    client.force_login(city_manager)
    r = client.get(f"/regions/{HUIZHOU}/export.xlsx", {"q": "东莞"})  # the children, whatever the query says
    assert r.status_code == 200 and r["Content-Disposition"] == f'attachment; filename="regions-{HUIZHOU}.xlsx"'
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    assert ws["A1"].value == "区划代码"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert HUICHENG in {row[0] for row in rows} and all(row[0].startswith("4413") for row in rows)
    assert {row[2] for row in rows} == {"县级"}
    assert AuditEntry.objects.filter(action="regions.region.export", actor=city_manager).count() == 1


@pytest.mark.django_db
def test_template_download_prefilled_with_the_managers_regions(client, county_manager):
    client.force_login(county_manager)
    r = client.get("/regions/population/template.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[0] == "区划代码" and "常住人口" in header
    codes = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert HUICHENG in codes and QIAODONG in codes and HUIYANG not in codes


@pytest.mark.django_db
def test_upload_good_file(client, city_manager):
    client.force_login(city_manager)
    r = client.post(
        "/regions/population/upload/",
        {"file": population_csv([[HUICHENG, 2020, 100], [HUIYANG, 2020, 200]]), "source": "七普"},
    )
    assert r.status_code == 302
    assert RegionPopulation.objects.filter(year=2020).count() == 2
    assert "导入成功" in client.get(r["Location"]).content.decode()


@pytest.mark.django_db
def test_upload_wrong_scope_shows_error_table_and_saves_nothing(client, county_manager):
    client.force_login(county_manager)
    file = population_csv([[HUICHENG, 2020, 100], [HUIYANG, 2020, "<b>x</b>"]])
    r = client.post("/regions/population/upload/", {"file": file})
    assert r.status_code == 200
    page = r.content.decode()
    assert "data-import-errors" in page and "管辖范围" in page and "常住人口应为整数" in page
    assert "<b>x</b>" not in page
    assert RegionPopulation.objects.count() == 0


@pytest.mark.django_db
def test_upload_form_validation(client, county_manager):
    client.force_login(county_manager)
    page = client.post("/regions/population/upload/", {}).content.decode()
    assert "请选择要上传的文件" in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(
        "/regions/population/upload/", {"file": SimpleUploadedFile("x.exe", b"MZ"), "year": "abc"}
    ).content.decode()
    assert "只支持" in page and "请输入整数年份" in page


# --- the region picker ---


@pytest.mark.django_db
def test_options_fragment(client):
    r = client.get("/regions/options/", {"parent": HUIZHOU})
    assert r.status_code == 200
    html = r.content.decode()
    assert f'<option value="{HUICHENG}">惠城区</option>' in html
    assert client.get("/regions/options/", {"parent": "<x>"}).content.decode().count("<option") == 1


class PickerForm(forms.Form):
    region = RegionCascadeField(label="社区", min_level=Level.TOWN, max_level=Level.TOWN)


@pytest.mark.django_db
def test_picker_renders_path_and_next_level():
    html = str(PickerForm(initial={"region": HUICHENG})["region"])
    assert 'name="region__0"' in html and 'name="region__2"' in html and 'name="region__3"' in html
    assert f'<option value="{HUIZHOU}" selected>' in html and f'<option value="{HUICHENG}" selected>' in html
    assert "桥东街道" in html  # the towns are offered next
    assert 'hx-get="/regions/cascade/"' in html and "<noscript>" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,ok",
    [
        ({"region": QIAODONG}, True),
        ({"region": "441302001"}, True),  # 9-digit code typed without JS
        ({"region__0": "440000000000", "region__1": HUIZHOU, "region__2": HUICHENG, "region__3": QIAODONG}, True),
        ({"region__0": "440000000000", "region__1": DONGGUAN, "region__2": "441900003000"}, True),  # no county level
        ({"region": HUICHENG}, False),  # county: not deep enough
        ({"region": "999999999"}, False),
        ({"region": "<script>"}, False),
        ({"region": "😀" * 10_000}, False),
        ({}, False),
        # a town left over from a previous county choice is ignored: stops at 惠阳区, too high
        ({"region__0": "440000000000", "region__1": HUIZHOU, "region__2": HUIYANG, "region__3": QIAODONG}, False),
    ],
)
def test_picker_validation(data, ok):
    form = PickerForm(data)
    assert form.is_valid() is ok, form.errors
    if ok:
        assert len(form.cleaned_data["region"]) == 12 and form.cleaned_data["region"].isdigit()


@pytest.mark.django_db
def test_picker_root_limits_the_choice():
    class RootForm(forms.Form):
        region = RegionCascadeField(min_level=Level.TOWN, root=HUICHENG)

    assert RootForm({"region": QIAODONG}).is_valid()
    form = RootForm({"region": "441303001000"})
    assert not form.is_valid() and "范围" in str(form.errors)
    html = str(RootForm()["region"])
    assert "桥东街道" in html and "广东省" not in html


@pytest.mark.django_db
def test_picker_error_messages_are_chinese():
    form = PickerForm({"region": HUICHENG})
    form.is_valid()
    assert "乡级" in form.errors["region"][0]
    form = PickerForm({})
    form.is_valid()
    assert form.errors["region"]


@pytest.mark.django_db
def test_cascade_endpoint_rerenders_after_a_change(client):
    params = {"rc_name": "region", "rc_min": "4", "rc_max": "4", "rc_root": "", "rc_id": "id_region"}
    r = client.get("/regions/cascade/", {**params, "region__0": "440000000000", "region__1": HUIZHOU})
    html = r.content.decode()
    assert r.status_code == 200 and 'name="region__2"' in html and "惠城区" in html
    # the city changed to 东莞: the stale county choice is dropped, 东莞's towns are offered
    r = client.get("/regions/cascade/", {**params, "region__0": "440000000000", "region__1": DONGGUAN, "region__2": HUICHENG})
    html = r.content.decode()
    assert "东城街道" in html and "桥东街道" not in html
    assert client.get("/regions/cascade/", {**params, "rc_name": "<x>"}).status_code == 400
    assert client.get("/regions/cascade/", {**params, "rc_max": "x"}).status_code == 400


@pytest.mark.django_db
def test_jump_picker_on_the_browser(client, county_manager):
    client.force_login(county_manager)
    page = client.get(f"/regions/{HUICHENG}/").content.decode()
    assert 'name="region__0"' in page and 'action="/regions/go/"' in page
    r = client.get("/regions/go/", {"region__0": "440000000000", "region__1": HUIZHOU, "region__2": HUIYANG})
    assert r.status_code == 302 and r["Location"].endswith(f"/regions/{HUIYANG}/")
    r = client.get("/regions/go/", {"region": "999999"})
    assert r.status_code == 302 and r["Location"].endswith("/regions/")

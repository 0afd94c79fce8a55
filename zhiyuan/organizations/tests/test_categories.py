"""Service categories of organizations (ISSUE "categories" on the application): codes of
volunteers.codes.ServiceCategory on the application, the edit forms, the API (in and out), the
manager list filter, the public directory filter and the public page."""

import io

import pytest
from openpyxl import load_workbook

from zhiyuan.organizations import demo, services
from zhiyuan.organizations.models import Organization, OrganizationCategory
from zhiyuan.organizations.services import OrganizationInput
from zhiyuan.organizations.tests.factories import active_org, active_team, applicant, org_data, team_data

pytestmark = pytest.mark.django_db
BASE = "/api/v1/organizations"
JSON = "application/json"


def codes(org) -> list[str]:
    return list(OrganizationCategory.objects.filter(organization=org).order_by("id").values_list("code", flat=True))


# --- the service -------------------------------------------------------------------------------------


def test_application_keeps_categories_in_order_without_duplicates(county_manager):
    org = active_org(county_manager, categories=["health", "smart_elderly", "health"])
    assert codes(org) == ["health", "smart_elderly"]
    assert services.category_codes(org) == ["health", "smart_elderly"]


def test_categories_are_optional():
    org = services.organization_apply(actor=applicant(), application=OrganizationInput(**org_data()))
    assert codes(org) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["health", "juggling"], "juggling 不是有效的服务类别代码"),
        ([5], "不是有效的服务类别代码"),
        ({"a": 1}, "服务类别格式错误"),
        (["community", "health", "events", "water", "science", "poverty", "epidemic", "anti_drug", "other"], "最多选择 8 个"),
    ],
)
def test_invalid_categories_are_a_chinese_field_error(value, message):
    from zhiyuan.core.errors import DomainError

    with pytest.raises(DomainError) as e:
        services.organization_apply(actor=applicant(), application=OrganizationInput(**org_data(categories=value)))
    assert set(e.value.fields) == {"categories"} and message in str(e.value.fields["categories"][0])
    assert not Organization.objects.exists()


def test_update_replaces_or_keeps_categories(county_manager):
    org = active_org(county_manager, categories=["health"])
    admin = org.created_by
    services.organization_update(actor=admin, org=org, change=OrganizationInput(intro="新的简介"))
    assert codes(org) == ["health"]  # not given: unchanged
    services.organization_update(actor=admin, org=org, change=OrganizationInput(categories=["environment", "water"]))
    assert codes(org) == ["environment", "water"]
    services.organization_update(actor=admin, org=org, change=OrganizationInput(categories=[]))
    assert codes(org) == []


# --- the API -----------------------------------------------------------------------------------------


def test_api_apply_and_read_categories_with_labels(client, plain_user, county_manager):
    client.force_login(plain_user)
    r = client.post(BASE, team_data(categories=["left_behind_children", "education_support"]), content_type=JSON)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["categories"] == [
        {"code": "left_behind_children", "label": "关爱留守儿童"},
        {"code": "education_support", "label": "助学支教"},
    ]
    client.force_login(county_manager)
    assert client.get(f"{BASE}/{body['id']}").json()["categories"][0]["code"] == "left_behind_children"


def test_api_invalid_category_code_is_a_chinese_field_error(client, plain_user):
    client.force_login(plain_user)
    r = client.post(BASE, team_data(categories=["health", "nonsense"]), content_type=JSON)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid" and "nonsense 不是有效的服务类别代码" in body["fields"]["categories"][0]
    r = client.post(BASE, team_data(categories="health"), content_type=JSON)  # not a list
    assert r.status_code == 422 and r.json()["fields"]["categories"] == ["请提交列表。"]
    assert not Organization.objects.exists()


def test_api_patch_changes_categories(client, county_manager):
    org = active_org(county_manager, categories=["health"])
    client.force_login(org.created_by)
    r = client.patch(f"{BASE}/{org.pk}", {"categories": ["environment"]}, content_type=JSON)
    assert r.status_code == 200 and [c["code"] for c in r.json()["categories"]] == ["environment"]
    r = client.patch(f"{BASE}/{org.pk}", {"categories": ["x"]}, content_type=JSON)
    assert r.status_code == 400 and "categories" in r.json()["fields"]


def test_api_filters_by_category_for_managers_and_the_public(client, county_manager, django_assert_max_num_queries):
    elderly = active_org(county_manager, categories=["smart_elderly", "health"])
    green = active_team(county_manager, categories=["environment"])
    active_org(county_manager)
    client.force_login(county_manager)
    listed = client.get(BASE, {"category": "health"}).json()
    assert [o["id"] for o in listed["items"]] == [elderly.pk] and listed["next_cursor"] is None
    assert [o["id"] for o in client.get(BASE, {"category": "environment"}).json()["items"]] == [green.pk]
    client.logout()
    public = client.get(f"{BASE}/public", {"category": "environment"}).json()
    assert [o["id"] for o in public["items"]] == [green.pk]
    assert public["items"][0]["categories"] == [{"code": "environment", "label": "环境保护"}]
    with django_assert_max_num_queries(6):  # categories are prefetched: no query per organization
        assert len(client.get(f"{BASE}/public").json()["items"]) == 3


def test_api_unknown_category_filter_is_a_422(client, county_manager):
    client.force_login(county_manager)
    for url in (BASE, f"{BASE}/public", f"{BASE}/review-queue"):
        r = client.get(url, {"category": "bogus"})
        assert r.status_code == 422 and "category" in r.json()["fields"], url


# --- the pages ---------------------------------------------------------------------------------------


def test_application_page_offers_and_saves_categories(client, plain_user):
    client.force_login(plain_user)
    page = client.get("/organizations/apply/").content.decode()
    assert 'name="categories"' in page and 'value="smart_elderly"' in page and "智慧助老" in page
    data = team_data(categories=["smart_elderly", "community"])
    r = client.post("/organizations/apply/", data)
    assert r.status_code == 302, r.content.decode()[:500]
    assert codes(Organization.objects.get()) == ["smart_elderly", "community"]


def test_application_page_refuses_an_unknown_category(client, plain_user):
    client.force_login(plain_user)
    r = client.post("/organizations/apply/", team_data(categories=["bogus"]))
    assert r.status_code == 400 and "bogus" in r.content.decode() and not Organization.objects.exists()


def test_edit_page_shows_current_categories_checked_and_saves(client, county_manager):
    import re

    org = active_org(county_manager, categories=["health"])
    client.force_login(org.created_by)
    page = client.get(f"/organizations/manage/{org.pk}/edit/").content.decode()
    assert re.search(r'value="health"[^>]*checked', page)
    data = {"address": org.address, "contact_name": org.contact_name, "contact_phone": org.contact_phone,
            "intro": org.intro, "categories": ["water", "environment"]}  # fmt: skip
    r = client.post(f"/organizations/manage/{org.pk}/edit/", data)
    assert r.status_code == 302, r.content.decode()[:500]
    assert codes(org) == ["water", "environment"]


def test_public_directory_filters_and_shows_categories(client, county_manager):
    elderly = active_org(county_manager, name="长者关爱中心", categories=["smart_elderly"])
    active_org(county_manager, name="环保协会", categories=["environment"])
    page = client.get("/organizations/directory/", {"category": "smart_elderly"}).content.decode()
    assert "长者关爱中心" in page and "环保协会" not in page and "智慧助老" in page
    assert 'name="category"' in page
    profile = client.get(f"/organizations/directory/{elderly.pk}/").content.decode()
    assert "服务类别" in profile and "智慧助老" in profile


def test_manager_list_filters_by_category_and_the_export_names_them(client, county_manager):
    active_org(county_manager, name="长者关爱中心", categories=["smart_elderly", "health"])
    active_org(county_manager, name="环保协会", categories=["environment"])
    client.force_login(county_manager)
    page = client.get("/organizations/manage/", {"category": "environment"}).content.decode()
    assert "环保协会" in page and "长者关爱中心" not in page
    r = client.get("/organizations/manage/export.xlsx")
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    col = rows[0].index("服务类别")
    by_name = {r[1]: r[col] for r in rows[1:]}
    assert by_name["长者关爱中心"] == "智慧助老、医疗健康" and by_name["环保协会"] == "环境保护"
    detail = client.get(f"/organizations/manage/{Organization.objects.get(name='环保协会').pk}/").content.decode()
    assert "环境保护" in detail


# --- demo data ---------------------------------------------------------------------------------------


def test_demo_organizations_have_categories(city_manager):
    from zhiyuan.volunteers.tests.factories import register

    admin = register(name="李组织")
    volunteers = [register(name="陈" + "甲乙丙丁戊己庚辛壬癸"[i]) for i in range(10)]
    orgs = demo.seed(org_admin_user=admin.user, region_manager_user=city_manager, volunteers=volunteers)
    assert all(codes(o) for o in orgs)
    assert codes(next(o for o in orgs if o.kind == "service")) == ["empty_nest_elderly", "smart_elderly", "health"]
    # a database seeded before categories existed gets them on the next seed
    OrganizationCategory.objects.all().delete()
    demo.seed(org_admin_user=admin.user, region_manager_user=city_manager, volunteers=volunteers)
    assert all(codes(o) for o in orgs)

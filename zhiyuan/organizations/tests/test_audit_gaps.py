"""Audit of issue #4 (organizations): behaviour checks that had no test of their own.

* hostile input (HTML/script in names, emoji, 10,000-character fields) on the API and the pages;
* VOL-6 a person who withdrew consent is hidden from lists and exports — member lists included;
* VOL-6 the data download holds the person's memberships.

Tests marked ``xfail(strict=True)`` document a bug found by the audit: they fail today and must
pass once it is fixed (then remove the marker).
"""

import io

import pytest
from openpyxl import load_workbook

from zhiyuan.organizations.models import Organization
from zhiyuan.organizations.tests.factories import active_org, member, org_data, team_data
from zhiyuan.volunteers import services as vsvc

pytestmark = pytest.mark.django_db
BASE = "/api/v1/organizations"
JSON = "application/json"
SCRIPT = "<script>alert('x')</script>"


# --- hostile input -----------------------------------------------------------------------------------


def test_script_in_a_name_is_kept_as_text_and_escaped_on_every_public_page(client, county_manager, plain_user):
    client.force_login(plain_user)
    r = client.post(BASE, org_data(name=f"{SCRIPT}爱心中心"), content_type=JSON)
    assert r.status_code == 201, r.content
    assert r.json()["name"] == f"{SCRIPT}爱心中心"  # JSON carries the text as typed
    org = Organization.objects.get(pk=r.json()["id"])
    client.force_login(county_manager)
    assert client.post(f"{BASE}/{org.pk}/review", {"decision": "approve"}, content_type=JSON).status_code == 200
    client.logout()
    for url in (f"/organizations/directory/{org.pk}/", "/organizations/directory/", "/organizations/directory/?q=script"):
        page = client.get(url).content.decode()
        assert SCRIPT not in page and "&lt;script&gt;" in page, url
    client.force_login(county_manager)
    for url in (f"/organizations/manage/{org.pk}/", "/organizations/manage/"):
        page = client.get(url).content.decode()
        assert SCRIPT not in page and "&lt;script&gt;" in page, url


def test_emoji_names_are_accepted(client, plain_user):
    client.force_login(plain_user)
    r = client.post(BASE, team_data(name="爱心😀志愿服务队", sponsor_name="东湖社区😀"), content_type=JSON)
    assert r.status_code == 201, r.content
    assert Organization.objects.get(pk=r.json()["id"]).name == "爱心😀志愿服务队"


@pytest.mark.parametrize("field", ["name", "intro", "address", "contact_name", "contact_phone", "sponsor_name"])
def test_ten_thousand_characters_are_a_field_error_not_a_crash(client, plain_user, field):
    client.force_login(plain_user)
    data = team_data(**{field: "长" * 10_000})
    r = client.post(BASE, data, content_type=JSON)
    assert r.status_code in (400, 422), r.content
    assert field in r.json()["fields"], r.json()
    r = client.post("/organizations/apply/", data)
    assert r.status_code in (200, 400) and not Organization.objects.exists()


def test_ten_thousand_character_reasons_are_refused(client, county_manager, volunteer):
    org = active_org(county_manager)
    m = member(org, volunteer, admin=org.created_by)
    client.force_login(org.created_by)
    r = client.post(f"{BASE}/{org.pk}/members/{m.pk}/remove", {"reason": "因" * 10_000}, content_type=JSON)
    assert r.status_code in (400, 422) and "reason" in r.json()["fields"], r.content
    client.force_login(county_manager)
    r = client.post(f"{BASE}/{org.pk}/status", {"action": "suspend", "reason": "因" * 10_000}, content_type=JSON)
    assert r.status_code in (400, 422) and "reason" in r.json()["fields"], r.content


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\x07", "\n", "\u2028"])
def test_control_characters_in_a_name_are_refused(client, plain_user, char):
    client.force_login(plain_user)
    r = client.post(BASE, org_data(name=f"爱心{char}中心"), content_type=JSON)
    assert r.status_code == 400 and "name" in r.json()["fields"]
    assert "不可见的控制字符" in r.json()["fields"]["name"][0]
    assert not Organization.objects.exists()


@pytest.mark.parametrize("field", ["address", "contact_name", "sponsor_name", "intro"])
def test_control_characters_in_other_text_fields_are_refused(client, plain_user, field):
    client.force_login(plain_user)
    r = client.post(BASE, team_data(**{field: "东湖\u202e社区"}), content_type=JSON)
    assert r.status_code == 400 and field in r.json()["fields"], r.content


def test_line_breaks_are_kept_in_the_intro_and_emoji_sequences_in_names(client, plain_user):
    client.force_login(plain_user)
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # three emoji joined by U+200D
    r = client.post(BASE, team_data(name=f"爱心{family}志愿服务队", intro="第一行\n第二行"), content_type=JSON)
    assert r.status_code == 201, r.content
    org = Organization.objects.get()
    assert org.intro == "第一行\n第二行" and family in org.name


def test_control_characters_in_a_reason_are_refused(client, county_manager):
    org = active_org(county_manager)
    client.force_login(county_manager)
    r = client.post(f"{BASE}/{org.pk}/status", {"action": "suspend", "reason": "违规\u202e"}, content_type=JSON)
    assert r.status_code == 400 and "reason" in r.json()["fields"], r.content


def test_control_characters_on_the_application_page_are_a_field_error(client, plain_user):
    client.force_login(plain_user)
    r = client.post("/organizations/apply/", team_data(name="爱心\u200b服务队"))
    assert r.status_code in (200, 400) and "不可见的控制字符" in r.content.decode()
    assert not Organization.objects.exists()


# --- VOL-6 restriction reaches the member lists ------------------------------------------------------


def test_withdrawn_member_leaves_member_lists_and_exports(client, county_manager, volunteer):
    org = active_org(county_manager)
    member(org, volunteer, admin=org.created_by)
    vsvc.consent_withdraw(actor=volunteer.user)
    client.force_login(org.created_by)
    body = client.get(f"{BASE}/{org.pk}/members").json()
    assert volunteer.volunteer_no not in str(body)
    assert volunteer.volunteer_no not in client.get(f"/organizations/manage/{org.pk}/").content.decode()
    wb = load_workbook(io.BytesIO(client.get(f"/organizations/manage/{org.pk}/members/export.xlsx").content))
    assert volunteer.volunteer_no not in [c for row in wb.active.iter_rows(values_only=True) for c in row]


def test_withdrawn_member_is_not_counted_nor_reachable_by_id(client, county_manager, volunteer):
    org = active_org(county_manager)
    m = member(org, volunteer, admin=org.created_by)

    def counts():
        listed = client.get(f"{BASE}/public", {"q": org.name}).json()["items"]
        return [o["member_count"] for o in listed], client.get(f"{BASE}/public/{org.pk}").json()["member_count"]

    assert counts() == ([1], 1)
    assert "data-member-count>1<" in client.get(f"/organizations/directory/{org.pk}/").content.decode()
    vsvc.consent_withdraw(actor=volunteer.user)
    assert counts() == ([0], 0)
    assert "data-member-count>0<" in client.get(f"/organizations/directory/{org.pk}/").content.decode()
    client.force_login(org.created_by)
    assert "data-member-count>0<" in client.get(f"/organizations/manage/{org.pk}/").content.decode()
    r = client.post(f"{BASE}/{org.pk}/members/{m.pk}/role", {"role": "backbone"}, content_type=JSON)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


# --- VOL-6 "download of all my data" -----------------------------------------------------------------


def test_data_download_includes_organization_memberships(county_manager, volunteer):
    org = active_org(county_manager)
    member(org, volunteer, admin=org.created_by, role="backbone")
    data = vsvc.my_data(actor=volunteer.user)
    assert "memberships" in data and org.name in str(data["memberships"])
    [row] = data["memberships"]
    assert row["organization_name"] == org.name and row["role"] == "backbone" and row["role_label"] == "骨干"
    assert row["status"] == "active" and row["status_label"] == "在队"
    assert row["applied_at"] and row["joined_at"] and row["ended_at"] is None


def test_json_and_excel_downloads_list_memberships_of_every_status(client, county_manager, volunteer):
    import json

    from zhiyuan.organizations import services as osvc

    first = active_org(county_manager, name="东湖爱心协会")
    second = active_org(county_manager, name="西湖环保协会")
    m = member(first, volunteer, admin=first.created_by)
    osvc.membership_leave(actor=volunteer.user, membership=m)
    member(second, volunteer, admin=second.created_by)
    client.force_login(volunteer.user)

    body = json.loads(client.get("/volunteers/me/export.json").content)
    rows = {r["organization_name"]: r for r in body["memberships"]}
    assert rows["东湖爱心协会"]["status"] == "left" and rows["东湖爱心协会"]["ended_at"]
    assert rows["西湖环保协会"]["status"] == "active"
    api = client.get("/api/v1/volunteers/me/export").json()
    assert {r["organization_name"] for r in api["memberships"]} == {"东湖爱心协会", "西湖环保协会"}

    wb = load_workbook(io.BytesIO(client.get("/volunteers/me/export.xlsx").content))
    sheet = wb["组织成员身份"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["organization_id", "organization_name"]
    names = [row[1] for row in values[1:]]
    assert sorted(names) == ["东湖爱心协会", "西湖环保协会"]


def test_data_download_without_memberships_has_an_empty_section(client, volunteer):
    client.force_login(volunteer.user)
    assert vsvc.my_data(actor=volunteer.user)["memberships"] == []
    wb = load_workbook(io.BytesIO(client.get("/volunteers/me/export.xlsx").content))
    assert [list(r) for r in wb["组织成员身份"].iter_rows(values_only=True)] == [["（无）"]]

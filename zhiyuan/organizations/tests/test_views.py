"""Pages of the organizations app: scope (404 outside), forms with Chinese errors, exports,
the org admin's members page, the volunteer's page, the public directory, navigation."""

import io
import re

import pytest
from openpyxl import load_workbook

from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations import services
from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.organizations.tests.factories import (
    HUIYANG_TOWN,
    active_org,
    active_team,
    apply,
    make_uscc,
    member,
    org_data,
)

pytestmark = pytest.mark.django_db
MANAGE = "/organizations/manage/"


def html(r) -> str:
    return r.content.decode()


def as_user(client, u):
    client.force_login(u)
    return client


def sheet(r) -> list[list]:
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content))
    return [list(row) for row in wb.active.iter_rows(values_only=True)]


@pytest.fixture
def huicheng_org(county_manager):
    return active_org(county_manager, name="桥东长者服务中心", contact_phone="13912349999")


@pytest.fixture
def huiyang_org(other_county_manager):
    return active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)


# --- managers ------------------------------------------------------------------------------------------


def test_county_manager_list_is_scoped(client, county_manager, huicheng_org, huiyang_org):
    r = as_user(client, county_manager).get(MANAGE)
    assert r.status_code == 200
    page = html(r)
    assert f'data-org="{huicheng_org.pk}"' in page and "淡水青年志愿者协会" not in page
    assert 'data-nav="organizations_manage"' in page


def test_city_manager_list_filters_and_search(client, city_manager, huicheng_org, huiyang_org):
    c = as_user(client, city_manager)
    page = html(c.get(MANAGE))
    assert "桥东长者服务中心" in page and "淡水青年志愿者协会" in page
    assert "淡水青年志愿者协会" not in html(c.get(MANAGE, {"region": "441302"}))
    page = html(c.get(MANAGE, {"q": huiyang_org.uscc}))
    assert "淡水青年志愿者协会" in page and "桥东长者服务中心" not in page
    assert "data-org=" not in html(c.get(MANAGE, {"kind": "team"}))
    assert "data-org=" not in html(c.get(MANAGE, {"status": "suspended"}))


def test_list_paginates(client, county_manager):
    for i in range(32):
        Organization.objects.create(
            name=f"批量队{i:02d}", kind="team", region_code="441302001000", address="x", contact_name="x", contact_phone="x",
            sponsor_type="community", sponsor_name="x", team_category="other", status="active",
        )  # fmt: skip
    c = as_user(client, county_manager)
    page = html(c.get(MANAGE))
    assert page.count("data-org=") == 20 and "共 32" not in page  # no count of the scope
    cursor = re.search(r'data-next href="\?cursor=([^"]+)"', page).group(1)
    last = html(c.get(MANAGE, {"cursor": cursor}))
    assert last.count("data-org=") == 12 and "data-next" not in last
    names = re.findall(r">(批量队\d\d)<", page + last)
    assert names == sorted(names) and len(set(names)) == 32
    assert html(c.get(MANAGE, {"page_size": 50})).count("data-org=") == 32


def test_non_manager_gets_403_on_manager_pages(client, plain_user, huicheng_org):
    c = as_user(client, plain_user)
    assert c.get(MANAGE).status_code == 403
    assert c.get(f"{MANAGE}review/").status_code == 403
    assert c.get(f"{MANAGE}export.xlsx").status_code == 403
    assert c.get(f"{MANAGE}{huicheng_org.pk}/").status_code == 404


def test_export_is_scoped_and_audited(client, county_manager, huicheng_org, huiyang_org, volunteer):
    member(huicheng_org, volunteer, admin=huicheng_org.created_by)
    r = as_user(client, county_manager).get(f"{MANAGE}export.xlsx")
    assert r.status_code == 200
    rows = sheet(r)
    assert rows[0][:4] == ["编号", "名称", "类型", "统一社会信用代码"]
    assert [row[1] for row in rows[1:]] == ["桥东长者服务中心"]
    assert rows[1][3] == huicheng_org.uscc and rows[1][13] == 1  # the member (the applicant has no volunteer profile)
    assert AuditEntry.objects.filter(action="organizations.org.export", actor=county_manager).exists()


def test_review_queue_and_review_from_page(client, county_manager, city_manager):
    mine = apply(name="桥东待审组织")
    other = apply(name="淡水待审组织", region_code=HUIYANG_TOWN)
    c = as_user(client, county_manager)
    page = html(c.get(f"{MANAGE}review/"))
    assert "桥东待审组织" in page and "淡水待审组织" not in page
    assert c.get(f"{MANAGE}{other.pk}/").status_code == 404
    assert c.post(f"{MANAGE}{other.pk}/review/", {"decision": "approve"}).status_code == 404
    r = c.post(f"{MANAGE}{mine.pk}/review/", {"decision": "reject", "reason": ""})
    assert r.status_code == 400 and "不通过时请填写原因" in html(r)
    r = c.post(f"{MANAGE}{mine.pk}/review/", {"decision": "approve", "next": "queue"})
    assert r.status_code == 302 and r.url == f"{MANAGE}review/"
    mine.refresh_from_db()
    assert mine.status == "active"
    r = as_user(client, city_manager).post(f"{MANAGE}{other.pk}/review/", {"decision": "reject", "reason": "名称重复"})
    assert r.status_code == 302
    other.refresh_from_db()
    assert other.status == "rejected"


def test_status_form(client, county_manager, other_county_manager, huicheng_org):
    assert (
        as_user(client, other_county_manager).post(f"{MANAGE}{huicheng_org.pk}/status/", {"action": "suspend"}).status_code == 404
    )
    c = as_user(client, county_manager)
    r = c.post(f"{MANAGE}{huicheng_org.pk}/status/", {"action": "suspend", "reason": ""})
    assert r.status_code == 400 and "请填写原因" in html(r)
    assert c.post(f"{MANAGE}{huicheng_org.pk}/status/", {"action": "suspend", "reason": "整改"}).status_code == 302
    huicheng_org.refresh_from_db()
    assert huicheng_org.status == "suspended"
    assert "整改" in html(c.get(f"{MANAGE}{huicheng_org.pk}/"))


# --- organization admin ---------------------------------------------------------------------------------


def test_org_admin_members_page(client, county_manager, huicheng_org, huiyang_org, volunteer, huiyang_volunteer):
    member(huicheng_org, volunteer, admin=huicheng_org.created_by, role="backbone")
    member(huiyang_org, huiyang_volunteer, admin=huiyang_org.created_by)
    c = as_user(client, huicheng_org.created_by)
    r = c.get("/organizations/mine/")
    assert r.status_code == 302 and r.url == f"{MANAGE}{huicheng_org.pk}/"
    page = html(c.get(f"{MANAGE}{huicheng_org.pk}/"))
    assert "陈志愿" in page and "林惠阳" not in page and 'data-nav="organizations_admin"' in page
    assert 'id="status-form"' not in page  # not theirs to suspend
    assert "陈志愿" not in html(c.get(f"{MANAGE}{huicheng_org.pk}/", {"role": "member"}))
    assert "陈志愿" in html(c.get(f"{MANAGE}{huicheng_org.pk}/", {"q": volunteer.volunteer_no}))
    assert c.get(f"{MANAGE}{huiyang_org.pk}/").status_code == 404
    assert c.get(f"{MANAGE}{huiyang_org.pk}/members/export.xlsx").status_code == 404
    assert c.get(MANAGE).status_code == 403


def test_member_export(client, huicheng_org, volunteer):
    member(huicheng_org, volunteer, admin=huicheng_org.created_by, role="backbone")
    r = as_user(client, huicheng_org.created_by).get(f"{MANAGE}{huicheng_org.pk}/members/export.xlsx")
    rows = sheet(r)
    assert rows[0][:5] == ["志愿者编号", "姓名", "手机号", "角色", "状态"]
    assert rows[1][:2] == [volunteer.volunteer_no, "陈志愿"] and rows[1][3] == "骨干" and "****" in rows[1][2]
    assert AuditEntry.objects.filter(action="organizations.member.export", object_id=str(huicheng_org.pk)).exists()


def test_member_actions_from_page(client, huicheng_org, volunteer, huiyang_volunteer):
    admin = huicheng_org.created_by
    m = services.membership_apply(actor=volunteer.user, org=huicheng_org)
    c = as_user(client, admin)
    url = f"{MANAGE}{huicheng_org.pk}/members/{m.pk}/"
    assert c.post(url + "approve/").status_code == 302
    m.refresh_from_db()
    assert m.status == "active"
    r = c.post(url + "remove/", {"reason": ""}, follow=True)
    assert "移出成员时请填写原因" in html(r)
    c.post(url + "role/", {"role": "admin"})
    m.refresh_from_db()
    assert m.role == "admin"
    c.post(url + "remove/", {"reason": "违反章程"})
    m.refresh_from_db()
    assert (m.status, m.reason) == ("removed", "违反章程")
    r = c.post(f"{MANAGE}{huicheng_org.pk}/members/invite/", {"volunteer_no": "XX", "role": "member"})
    assert r.status_code == 400 and "未找到该编号的志愿者" in html(r)
    r = c.post(f"{MANAGE}{huicheng_org.pk}/members/invite/", {"volunteer_no": huiyang_volunteer.volunteer_no, "role": "member"})
    assert r.status_code == 302
    assert Membership.objects.filter(volunteer=huiyang_volunteer, status="invited").exists()


def test_org_admin_edits_profile(client, huicheng_org):
    c = as_user(client, huicheng_org.created_by)
    url = f"{MANAGE}{huicheng_org.pk}/edit/"
    assert c.get(url).status_code == 200
    data = {
        "intro": "新的简介",
        "address": "新地址",
        "contact_name": "王",
        "contact_phone": "bad",
        "sponsor_type": "",
        "sponsor_name": "",
        "team_category": "",
    }
    r = c.post(url, data)
    assert r.status_code == 400 and "请输入有效的电话号码" in html(r)
    r = c.post(url, {**data, "contact_phone": "0752-2345678"})
    assert r.status_code == 302
    huicheng_org.refresh_from_db()
    assert huicheng_org.intro == "新的简介"


# --- applying and the volunteer ------------------------------------------------------------------------


def test_apply_page(client, plain_user):
    c = as_user(client, plain_user)
    assert c.get("/organizations/apply/").status_code == 200
    data = {k: v for k, v in org_data(uscc="123").items() if v is not None}
    r = c.post("/organizations/apply/", data)
    assert r.status_code == 400 and "统一社会信用代码应为18位" in html(r)
    assert not Organization.objects.exists()
    r = c.post("/organizations/apply/", {**data, "uscc": make_uscc(4242)})
    assert r.status_code == 302
    page = html(c.get("/organizations/my/"))
    assert data["name"] in page and "待审核" in page and "注册成为志愿者后才能加入组织" in page


def test_volunteer_joins_and_leaves(client, huicheng_org, volunteer):
    c = as_user(client, volunteer.user)
    page = html(c.get(f"/organizations/directory/{huicheng_org.pk}/"))
    assert "申请加入" in page
    r = c.post(f"/organizations/directory/{huicheng_org.pk}/join/")
    assert r.status_code == 302
    m = Membership.objects.get(volunteer=volunteer)
    page = html(c.get("/organizations/my/"))
    assert f'data-membership="{m.pk}"' in page and "撤回申请" in page and 'data-nav="organizations.my"' in page
    services.membership_approve(actor=huicheng_org.created_by, membership=m)
    assert c.post(f"/organizations/my/{m.pk}/leave/").status_code == 302
    m.refresh_from_db()
    assert m.status == "left"


def test_volunteer_answers_invitation(client, huicheng_org, volunteer):
    m = services.membership_invite(actor=huicheng_org.created_by, org=huicheng_org, volunteer_no=volunteer.volunteer_no)
    c = as_user(client, volunteer.user)
    assert "接受邀请" in html(c.get("/organizations/my/"))
    c.post(f"/organizations/my/{m.pk}/respond/", {"accept": "1"})
    m.refresh_from_db()
    assert m.status == "active"


def test_cannot_leave_someone_elses_membership(client, huicheng_org, volunteer, huiyang_volunteer):
    m = member(huicheng_org, volunteer, admin=huicheng_org.created_by)
    assert as_user(client, huiyang_volunteer.user).post(f"/organizations/my/{m.pk}/leave/").status_code == 404
    m.refresh_from_db()
    assert m.status == "active"


# --- public directory ----------------------------------------------------------------------------------


def test_directory_and_profile_are_public_without_contact(client, county_manager, huicheng_org, volunteer):
    sub = active_team(county_manager, actor=huicheng_org.created_by, parent_id=huicheng_org.pk, name="桥东长者服务中心一分队")
    pending = apply(name="未审核的组织")
    member(huicheng_org, volunteer, admin=huicheng_org.created_by)
    r = client.get("/organizations/directory/")
    assert r.status_code == 200
    page = html(r)
    assert "桥东长者服务中心" in page and "未审核的组织" not in page and "13912349999" not in page
    assert 'data-nav="organizations_directory"' in page
    assert "未审核的组织" not in html(client.get("/organizations/directory/", {"q": "审核"}))
    r = client.get(f"/organizations/directory/{huicheng_org.pk}/")
    page = html(r)
    assert r.status_code == 200 and "13912349999" not in page and "陈志愿" not in page
    assert sub.name in page and "登录后申请加入" in page
    assert "data-member-count>1<" in page and "暂无" in page
    assert client.get(f"/organizations/directory/{pending.pk}/").status_code == 404
    assert client.get("/organizations/").status_code == 302


def test_suspended_org_leaves_directory(client, county_manager, huicheng_org):
    services.organization_suspend(actor=county_manager, org=huicheng_org, reason="整改")
    assert client.get(f"/organizations/directory/{huicheng_org.pk}/").status_code == 404
    assert "桥东长者服务中心" not in html(client.get("/organizations/directory/"))


def test_list_query_count_is_flat(client, county_manager, django_assert_max_num_queries):
    c = as_user(client, county_manager)
    for _ in range(3):
        active_team(county_manager)
    c.get(MANAGE)  # warm caches (session, regions)
    with django_assert_max_num_queries(15):
        c.get(MANAGE)
    for _ in range(5):
        active_team(county_manager)
    with django_assert_max_num_queries(15):
        c.get(MANAGE)


def test_pending_detail_shows_review_form_to_reviewer_only(client, county_manager, plain_user):
    org = apply(plain_user, name="桥东待审组织")
    page = html(as_user(client, county_manager).get(f"{MANAGE}{org.pk}/"))
    assert 'id="review-form"' in page and 'id="status-form"' not in page and "待审核" in page
    assert as_user(client, plain_user).get(f"{MANAGE}{org.pk}/").status_code == 404  # the applicant is no manager


def test_parent_admin_applies_for_and_manages_sub_team(client, county_manager, huicheng_org, volunteer):
    admin = huicheng_org.created_by
    c = as_user(client, admin)
    page = html(c.get("/organizations/apply/"))
    assert f'<option value="{huicheng_org.pk}">' in page
    sub = active_team(county_manager, actor=admin, parent_id=huicheng_org.pk, name="桥东长者服务中心一分队")
    member(sub, volunteer, admin=admin)
    page = html(c.get(f"{MANAGE}{huicheng_org.pk}/"))
    assert "桥东长者服务中心一分队" in page
    page = html(c.get(f"{MANAGE}{sub.pk}/"))
    assert "陈志愿" in page and 'id="invite-form"' in page


def test_account_settings_name_the_organization_an_admin_runs(client, huicheng_org):
    """Issue #8 item 5: an organization admin's role chip says which organization."""
    import re

    from zhiyuan.accounts.models import RoleAssignment

    grant = RoleAssignment.objects.filter(role="org_admin", object_id=huicheng_org.pk, active=True).first()
    admin = grant.user if grant else Membership.objects.get(organization=huicheng_org, role="admin").volunteer.user
    client.force_login(admin)
    html = client.get("/accounts/settings/").content.decode()
    chips = re.findall(r'<li class="badge chip">(.*?)</li>', html, re.S)
    assert any("桥东长者服务中心" in c for c in chips), chips

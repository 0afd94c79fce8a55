"""Pages: login with the TOTP step, logout, TOTP set-up, settings, tokens, roles, audit log."""

import datetime
import importlib
import io
import re
import time

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from zhiyuan.accounts import services
from zhiyuan.accounts import views as account_views
from zhiyuan.accounts.lists import ROLES
from zhiyuan.accounts.models import ApiToken, RoleAssignment, User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, assignment_of, next_code, town_manager, user
from zhiyuan.core import chain
from zhiyuan.core.audit import audit_record
from zhiyuan.core.models import AuditEntry
from zhiyuan.testing import HUIYANG, PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def html(r) -> str:
    return r.content.decode()


def post_login(client, mobile, password=PASSWORD, next_url=None):
    data = {"mobile": mobile, "password": password}
    url = LOGIN + (f"?next={next_url}" if next_url else "")
    return client.post(url, data)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- login ------------------------------------------------------------------------------------------------------


def test_login_page_renders(client):
    r = client.get(LOGIN)
    assert r.status_code == 200
    page = html(r)
    assert 'id="login-form"' in page and 'name="mobile"' in page and 'name="password"' in page


def test_login_without_totp_goes_home(client, plain_user):
    r = post_login(client, plain_user.mobile)
    assert r.status_code == 302 and r["Location"] == "/"
    assert is_logged_in(client)


def test_wrong_password_and_unknown_mobile_show_the_same_page(client, plain_user):
    a = post_login(client, plain_user.mobile, "Wrong#Pass1")
    b = post_login(Client(), "13712345678", "Wrong#Pass1")
    assert a.status_code == b.status_code == 200
    assert "手机号或密码错误。" in html(a) and "手机号或密码错误。" in html(b)
    assert not is_logged_in(client)


def test_lockout_message_on_the_page(client, settings, plain_user):
    settings.ZHIYUAN_LOGIN_MAX_FAILURES = 2
    post_login(client, plain_user.mobile, "Wrong#Pass1")
    r = post_login(client, plain_user.mobile, "Wrong#Pass1")
    assert "锁定" in html(r) and "15 分钟" in html(r)
    r = post_login(client, plain_user.mobile)
    assert "锁定" in html(r) and not is_logged_in(client)


def test_login_rate_limit_on_the_page(client, settings, plain_user):
    settings.ZHIYUAN_LOGIN_RATE = 1
    post_login(client, plain_user.mobile, "Wrong#Pass1")
    r = post_login(client, plain_user.mobile)
    assert r.status_code == 429 and "频繁" in html(r)


@pytest.mark.parametrize(
    "next_url,expected",
    [
        ("/accounts/settings/", "/accounts/settings/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_is_honoured_only_on_this_site(client, plain_user, next_url, expected):
    r = post_login(client, plain_user.mobile, next_url=next_url)
    assert r["Location"] == expected


def test_hostile_login_input(client, plain_user):
    r = client.post(LOGIN, {"mobile": "1" * 10_000, "password": "x" * 10_000})
    assert r.status_code == 200
    assert "请输入11位中国大陆手机号码。" in html(r)
    r = client.post(LOGIN, {"mobile": '"><script>alert(1)</script>', "password": "x"})
    assert "<script>alert(1)</script>" not in html(r)
    assert not is_logged_in(client)


def test_totp_login_two_steps(client, county_manager):
    r = post_login(client, county_manager.mobile, next_url="/accounts/settings/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/totp/"
    assert not is_logged_in(client)
    assert client.get("/accounts/settings/").status_code == 302  # half-authenticated is not signed in
    page = html(client.get("/accounts/login/totp/"))
    assert 'id="totp-form"' in page and 'name="code"' in page
    r = client.post("/accounts/login/totp/", {"code": "12345"})
    assert r.status_code == 200 and "6位数字" in html(r)
    county_manager.refresh_from_db()
    r = client.post("/accounts/login/totp/", {"code": next_code(county_manager)})
    assert r.status_code == 302 and r["Location"] == "/accounts/settings/"
    assert is_logged_in(client)
    assert AuditEntry.objects.filter(action="accounts.login", result="ok", actor=county_manager).exists()


def test_totp_code_cannot_be_replayed_at_the_next_login(client, county_manager):
    code = next_code(county_manager)
    post_login(client, county_manager.mobile)
    assert client.post("/accounts/login/totp/", {"code": code}).status_code == 302
    other = Client()
    post_login(other, county_manager.mobile)
    r = other.post("/accounts/login/totp/", {"code": code})
    assert r.status_code == 200 and "已经使用过" in html(r)
    assert "_auth_user_id" not in other.session


def test_half_authenticated_state_expires_after_five_minutes(client, county_manager):
    post_login(client, county_manager.mobile)
    session = client.session
    session[account_views.PENDING_KEY]["at"] = time.time() - 301
    session.save()
    r = client.post("/accounts/login/totp/", {"code": next_code(county_manager)})
    assert r.status_code == 302 and r["Location"] == LOGIN
    assert not is_logged_in(client)
    assert client.get("/accounts/login/totp/").status_code == 302


def test_totp_step_without_a_password_step(client):
    r = client.get("/accounts/login/totp/")
    assert r.status_code == 302 and r["Location"] == LOGIN


# --- logout, sessions ------------------------------------------------------------------------------------------------


def test_logout_is_a_post(client, plain_user):
    client.force_login(plain_user)
    r = client.get("/accounts/logout/")
    assert r.status_code == 200 and 'id="logout-form"' in html(r) and is_logged_in(client)
    r = client.post("/accounts/logout/")
    assert r.status_code == 302 and not is_logged_in(client)
    assert client.get("/accounts/settings/").status_code == 302
    assert AuditEntry.objects.filter(action="accounts.logout", actor=plain_user).exists()


def test_session_idle_timeout_settings(settings):
    declared = importlib.import_module("zhiyuan.settings")
    for s in (settings, declared):
        assert 0 < s.SESSION_COOKIE_AGE <= 30 * 60
        assert 0 < s.ZHIYUAN_SESSION_REFRESH_SECONDS <= 120  # the idle time-out is precise to this
        assert s.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
        assert s.SESSION_COOKIE_HTTPONLY is True


def test_a_request_extends_an_idle_session_but_writes_it_at_most_once_a_minute(client, plain_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhiyuan.accounts.middleware import SessionIdleRefreshMiddleware

    client.force_login(plain_user)
    assert client.get("/accounts/settings/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accounts/settings/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]

    # Twenty minutes idle (of thirty): the next request moves the expiry thirty minutes ahead.
    session = client.session
    session[SessionIdleRefreshMiddleware.KEY] -= 20 * 60
    session.save()
    Session.objects.all().update(expire_date=timezone.now() + datetime.timedelta(minutes=10))
    assert client.get("/accounts/settings/").status_code == 200
    expiry = Session.objects.get().expire_date
    assert expiry > timezone.now() + datetime.timedelta(minutes=29)


def test_expired_session_requires_login(client, plain_user):
    client.force_login(plain_user)
    assert client.get("/accounts/settings/").status_code == 200
    Session.objects.all().update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    r = client.get("/accounts/settings/")
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)


def test_each_request_extends_the_session(client, plain_user):
    client.force_login(plain_user)
    soon = timezone.now() + datetime.timedelta(seconds=60)
    Session.objects.all().update(expire_date=soon)
    client.get("/accounts/settings/")
    assert Session.objects.get().expire_date > soon + datetime.timedelta(minutes=5)


# --- TOTP set-up and the middleware -------------------------------------------------------------------------------------


@pytest.fixture
def manager_without_totp(db):
    return make_user("13900000066", "新任区管理员", role=Role.REGION_MANAGER, region_code=HUIYANG, totp=False)


def test_managers_are_sent_to_the_totp_setup(client, manager_without_totp):
    client.force_login(manager_without_totp)
    for path in ("/", "/accounts/roles/", "/accounts/settings/", "/regions/"):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"] == "/accounts/totp/setup/?required=1", path
    page = html(client.get("/accounts/totp/setup/?required=1"))
    assert "data-required" in page and "等保" in page
    assert "<svg" in page and "otpauth" not in page  # the QR code, inline; the URI only inside it
    manager_without_totp.refresh_from_db()
    secret = services.totp_secret(user=manager_without_totp)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in page
    # A reload keeps the same secret (the QR already scanned stays valid).
    client.get("/accounts/totp/setup/")
    manager_without_totp.refresh_from_db()
    assert services.totp_secret(user=manager_without_totp) == secret
    r = client.post("/accounts/totp/setup/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert r.status_code == 200 and "验证码错误" in html(r)
    r = client.post("/accounts/totp/setup/", {"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302
    assert client.get("/").status_code == 200
    manager_without_totp.refresh_from_db()
    assert manager_without_totp.totp_enabled


def test_logout_stays_reachable_for_managers_without_totp(client, manager_without_totp):
    client.force_login(manager_without_totp)
    assert client.post("/accounts/logout/").status_code == 302
    assert not is_logged_in(client)


def test_plain_users_are_not_forced(client, plain_user):
    client.force_login(plain_user)
    assert client.get("/").status_code == 200
    page = html(client.get("/accounts/totp/setup/"))
    assert "data-required" not in page and "<svg" in page


def test_regenerate_secret(client, plain_user):
    client.force_login(plain_user)
    client.get("/accounts/totp/setup/")
    plain_user.refresh_from_db()
    first = services.totp_secret(user=plain_user)
    client.post("/accounts/totp/setup/", {"action": "regenerate"})
    plain_user.refresh_from_db()
    assert services.totp_secret(user=plain_user) != first


def test_totp_page_once_enabled(client, county_manager):
    client.force_login(county_manager)
    page = html(client.get("/accounts/totp/setup/"))
    assert "已启用" in page and "<svg" not in page


# --- account settings ---------------------------------------------------------------------------------------------------


def test_display_name_with_script_is_escaped(client, plain_user):
    plain_user.display_name = "<script>alert(1)</script>"
    plain_user.save()
    client.force_login(plain_user)
    page = html(client.get("/accounts/settings/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_profile_form(client, plain_user):
    client.force_login(plain_user)
    r = client.post("/accounts/settings/", {"action": "profile", "display_name": "名" * 10_000, "email": "bad"})
    assert r.status_code == 400
    page = html(r)
    assert "姓名不能超过50个字符。" in page and "请输入有效的电子邮箱地址。" in page
    plain_user.refresh_from_db()
    assert plain_user.display_name == "普通用户"
    r = client.post("/accounts/settings/", {"action": "profile", "display_name": "陈😀", "email": "chen@example.cn"})
    assert r.status_code == 302
    plain_user.refresh_from_db()
    assert (plain_user.display_name, plain_user.email) == ("陈😀", "chen@example.cn")


def test_password_change_form(client, plain_user):
    client.force_login(plain_user)
    data = {"action": "password", "old_password": PASSWORD, "new_password": "Better#Pass2", "new_password2": "Other#Pass3"}
    assert "两次输入的新密码不一致。" in html(client.post("/accounts/settings/", data))
    data.update(new_password="12345678", new_password2="12345678")
    page = html(client.post("/accounts/settings/", data))
    assert "密码须包含" in page
    data.update(old_password="wrong", new_password="Better#Pass2", new_password2="Better#Pass2")
    assert "当前密码不正确。" in html(client.post("/accounts/settings/", data))
    data.update(old_password=PASSWORD)
    r = client.post("/accounts/settings/", data)
    assert r.status_code == 302
    assert client.get("/accounts/settings/").status_code == 200  # still signed in
    plain_user.refresh_from_db()
    assert plain_user.check_password("Better#Pass2")


def test_manager_cannot_disable_totp_on_the_page(client, county_manager):
    client.force_login(county_manager)
    page = html(client.get("/accounts/settings/"))
    assert "不能关闭" in page and 'value="totp_disable"' not in page
    r = client.post("/accounts/settings/", {"action": "totp_disable", "password": PASSWORD})
    assert "不能关闭" in html(r)
    county_manager.refresh_from_db()
    assert county_manager.totp_enabled


# --- API tokens page ----------------------------------------------------------------------------------------------------


def test_token_secret_shown_once(client, county_manager):
    client.force_login(county_manager)
    r = client.post("/accounts/tokens/", {"name": "区平台", "can_write": "on", "region_prefix": HUICHENG_TOWN, "lifetime": "30"})
    assert r.status_code == 200
    token = ApiToken.objects.get()
    page = html(r)
    assert "data-created-token" in page and token.key_prefix in page
    secret = page.split("data-secret")[1].split(">", 1)[1].split("<", 1)[0]
    assert secret.startswith("zyt_") and token.region_prefix == "441302001" and token.can_write
    assert token.expires_at > timezone.now() + datetime.timedelta(days=29)
    again = html(client.get("/accounts/tokens/"))
    assert secret not in again and token.key_prefix in again


def test_token_page_errors(client, county_manager):
    client.force_login(county_manager)
    r = client.post("/accounts/tokens/", {"name": "", "region_prefix": HUIYANG_TOWN})
    assert r.status_code == 400 and "请填写令牌名称。" in html(r)
    r = client.post("/accounts/tokens/", {"name": "x", "region_prefix": HUIYANG_TOWN})
    assert r.status_code == 400
    assert "所选区划不在允许的范围内。" in html(r) or "只能限定在您管辖的区划范围内。" in html(r)
    assert not ApiToken.objects.exists()


def test_token_revoke_page(client, api_user, county_manager):
    mine, _ = services.api_token_create(actor=api_user, name="a")
    theirs, _ = services.api_token_create(actor=county_manager, name="b")
    client.force_login(api_user)
    assert client.post(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.get(f"/accounts/tokens/{mine.pk}/revoke/").status_code == 405
    assert client.post(f"/accounts/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at and not theirs.revoked_at


# --- navigation ----------------------------------------------------------------------------------------------------------


def nav(client) -> str:
    return html(client.get("/"))


def test_navigation_by_role(client, plain_user, county_manager, platform_admin):
    client.force_login(plain_user)
    page = nav(client)
    assert 'data-nav="accounts.settings"' in page and 'data-nav="accounts.tokens"' not in page
    assert 'data-nav="accounts.roles"' not in page and 'data-nav="accounts.audit"' not in page
    client.force_login(county_manager)
    page = nav(client)
    assert 'data-nav="accounts.roles"' in page and 'data-nav="accounts.audit"' in page  # their region's entries
    assert 'data-nav="accounts.tokens"' in page
    client.force_login(platform_admin)
    page = nav(client)
    assert 'data-nav="accounts.roles"' in page and 'data-nav="accounts.audit"' in page


def test_menu_has_no_empty_list(client, plain_user, county_manager):
    """An empty <ul> still takes a flex gap in the desktop menu: a group without entries is left out."""
    import re

    def lists(page):
        nav_html = page.split('id="mainnav"', 1)[1].split("</nav>", 1)[0]
        return [re.sub(r"\s", "", body) for body in re.findall(r"<ul[^>]*>(.*?)</ul>", nav_html, re.S)]

    for who in (None, plain_user, county_manager):
        if who:
            client.force_login(who)
        assert all(lists(nav(client))), who
    assert '<ul class="manage" id="nav-manage">' in nav(client)  # the county manager's manage entries (a drop-down)
    client.logout()
    assert 'id="nav-manage"' not in nav(client)


# --- role management: the 惠城 / 惠阳 scope ------


@pytest.fixture
def huiyang_town_manager(db):
    return town_manager(HUIYANG_TOWN, name="淡水街道文明办")


def test_county_manager_sees_nothing_of_huiyang(client, county_manager, other_county_manager, huiyang_town_manager):
    huicheng_town = town_manager(HUICHENG_TOWN, name="桥东街道文明办")
    client.force_login(county_manager)
    page = html(client.get("/accounts/roles/"))
    assert f'data-assignment="{assignment_of(huicheng_town).pk}"' in page
    assert f'data-assignment="{assignment_of(huiyang_town_manager).pk}"' not in page
    assert "淡水街道文明办" not in page and "惠阳区文明办" not in page
    hidden = assignment_of(huiyang_town_manager).pk
    assert client.get(f"/accounts/roles/{hidden}/").status_code == 404
    assert client.post(f"/accounts/roles/{hidden}/revoke/", {"confirm": "on"}).status_code == 404
    assert RoleAssignment.objects.get(pk=hidden).active


def test_city_manager_sees_both_counties(client, city_manager, county_manager, huiyang_town_manager):
    client.force_login(city_manager)
    page = html(client.get("/accounts/roles/"))
    assert f'data-assignment="{assignment_of(huiyang_town_manager).pk}"' in page
    assert f'data-assignment="{assignment_of(county_manager).pk}"' in page
    assert client.get(f"/accounts/roles/{assignment_of(huiyang_town_manager).pk}/").status_code == 200


def test_roles_page_refused_to_plain_users(client, plain_user):
    client.force_login(plain_user)
    for path in ("/accounts/roles/", "/accounts/roles/export/", "/accounts/roles/grant/", "/accounts/audit/"):
        assert client.get(path).status_code == 403, path


def test_roles_search_filter_and_pages(client, platform_admin, city_manager, county_manager, other_county_manager, monkeypatch):
    monkeypatch.setattr(ROLES, "page_size", 2)
    client.force_login(platform_admin)
    page = html(client.get("/accounts/roles/", {"q": "惠阳区"}))
    assert f'data-assignment="{assignment_of(other_county_manager).pk}"' in page
    assert f'data-assignment="{assignment_of(county_manager).pk}"' not in page
    page = html(client.get("/accounts/roles/", {"q": county_manager.mobile}))
    assert f'data-assignment="{assignment_of(county_manager).pk}"' in page and "139****0003" in page
    assert county_manager.mobile not in page.split("<main")[1].split('name="q"')[0]
    page = html(client.get("/accounts/roles/", {"role": "platform_admin"}))
    assert f'data-assignment="{assignment_of(platform_admin).pk}"' in page
    assert f'data-assignment="{assignment_of(county_manager).pk}"' not in page
    first = html(client.get("/accounts/roles/", {"role": "region_manager"}))
    assert first.count('data-assignment="') == 2 and "role=region_manager&amp;cursor=" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = html(client.get("/accounts/roles/", {"role": "region_manager", "cursor": cursor}))
    assert second.count('data-assignment="') == 1 and "data-next" not in second and "回到第一页" in second
    assert not set(re.findall(r'data-assignment="(\d+)"', first)) & set(re.findall(r'data-assignment="(\d+)"', second))
    page = html(client.get("/accounts/roles/", {"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page


def test_roles_page_query_count(client, platform_admin, django_assert_max_num_queries):
    for i in range(10):
        town_manager(HUICHENG_TOWN, name=f"桥东{i}")
    client.force_login(platform_admin)
    client.get("/accounts/roles/")
    with django_assert_max_num_queries(15):
        assert client.get("/accounts/roles/").status_code == 200


def test_roles_export_is_scoped_and_neutralised(client, county_manager, huiyang_town_manager):
    town = town_manager(HUICHENG_TOWN, name='=HYPERLINK("http://x")')
    client.force_login(county_manager)
    r = client.get("/accounts/roles/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    ids = {row[0] for row in rows[1:]}
    assert assignment_of(town).pk in ids and assignment_of(huiyang_town_manager).pk not in ids
    names = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names
    assert all(county_manager.mobile not in str(row) for row in rows)
    assert AuditEntry.objects.filter(action="accounts.role.export", actor=county_manager).exists()


def test_grant_page(client, county_manager):
    client.force_login(county_manager)
    page = html(client.get("/accounts/roles/grant/"))
    assert 'id="role-grant-form"' in page and 'name="organization__q"' in page and 'name="service_point__q"' in page
    for role in ("region_manager", "org_admin", "station_admin"):
        assert f'value="{role}"' in page
    assert 'value="platform_admin"' not in page
    u = user("桥东新任")
    r = client.post("/accounts/roles/grant/", {"mobile": u.mobile, "role": "region_manager", "region_code": HUICHENG_TOWN})
    assert r.status_code == 302
    a = RoleAssignment.objects.get(user=u)
    assert r["Location"] == f"/accounts/roles/{a.pk}/"
    r = client.post("/accounts/roles/grant/", {"mobile": "13711112222", "role": "region_manager", "region_code": HUICHENG_TOWN})
    assert r.status_code == 400 and "未找到该手机号对应的用户" in html(r)
    other = user()
    r = client.post("/accounts/roles/grant/", {"mobile": other.mobile, "role": "region_manager", "region_code": HUIYANG_TOWN})
    assert r.status_code in (400, 403) and not RoleAssignment.objects.filter(user=other).exists()
    r = client.post("/accounts/roles/grant/", {"mobile": other.mobile, "role": "platform_admin"})
    assert r.status_code == 400 and not RoleAssignment.objects.filter(user=other).exists()
    r = client.post("/accounts/roles/grant/", {"mobile": "1" * 10_000, "role": "region_manager", "region_code": ""})
    assert r.status_code == 400 and "请输入11位中国大陆手机号码。" in html(r)


def test_platform_admin_grant_page_offers_every_role(client, platform_admin):
    client.force_login(platform_admin)
    page = html(client.get("/accounts/roles/grant/"))
    for role in ("region_manager", "platform_admin", "org_admin", "station_admin"):
        assert f'value="{role}"' in page
    assert 'value="volunteer"' not in page and 'name="organization__q"' in page
    u = user()
    r = client.post("/accounts/roles/grant/", {"mobile": u.mobile, "role": "org_admin", "object_id": "987654"})
    assert r.status_code == 400 and "该组织不存在，请核对组织编号。" in html(r)
    r = client.post("/accounts/roles/grant/", {"mobile": u.mobile, "role": "org_admin", "organization": "987654"})
    assert r.status_code == 400 and "该组织不存在，请核对组织编号。" in html(r)
    assert not RoleAssignment.objects.filter(user=u).exists()


def test_revoke_needs_confirmation(client, county_manager):
    town = town_manager(HUICHENG_TOWN)
    a = assignment_of(town)
    client.force_login(county_manager)
    page = html(client.get(f"/accounts/roles/{a.pk}/"))
    assert 'id="role-revoke-form"' in page
    r = client.post(f"/accounts/roles/{a.pk}/revoke/")
    assert r.status_code == 400 and "请勾选确认后再撤销。" in html(r)
    a.refresh_from_db()
    assert a.active
    r = client.post(f"/accounts/roles/{a.pk}/revoke/", {"confirm": "on"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert not a.active
    # The town manager lost the role: no more manager navigation for them.
    assert not User.objects.get(pk=town.pk).role_assignments.filter(active=True).exists()


def test_own_assignment_visible_but_not_revocable(client, county_manager):
    client.force_login(county_manager)
    own = assignment_of(county_manager)
    page = html(client.get(f"/accounts/roles/{own.pk}/"))
    assert 'id="role-revoke-form"' not in page
    assert client.post(f"/accounts/roles/{own.pk}/revoke/", {"confirm": "on"}).status_code == 403
    own.refresh_from_db()
    assert own.active


# --- audit log page -----------------------------------------------------------------------------------------------------------


def test_audit_page_for_platform_admins_and_region_managers(client, platform_admin, county_manager, plain_user):
    client.force_login(plain_user)
    assert client.get("/accounts/audit/").status_code == 403
    client.force_login(county_manager)
    assert client.get("/accounts/audit/").status_code == 200  # their region's entries: test_audit_scope
    assert client.post("/accounts/audit/verify/").status_code == 403  # the whole chain: platform admins
    client.force_login(platform_admin)
    audit_record(actor=county_manager, action="test.alpha", detail={"note": "<script>alert(1)</script>"})
    audit_record(actor=platform_admin, action="test.beta", result="denied")
    page = html(client.get("/accounts/audit/"))
    assert "test.alpha" in page and "test.beta" in page
    assert "<script>alert(1)</script>" not in page
    page = html(client.get("/accounts/audit/", {"result": "denied", "action": "test."}))
    assert "test.beta" in page and "test.alpha" not in page
    page = html(client.get("/accounts/audit/", {"actor_mobile": county_manager.mobile, "action": "test."}))
    assert "test.alpha" in page and "test.beta" not in page
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    page = html(client.get("/accounts/audit/", {"date_from": tomorrow}))
    assert "test.alpha" not in page
    page = html(client.get("/accounts/audit/", {"date_from": tomorrow, "date_to": "2020-01-01"}))
    assert "结束日期不能早于开始日期。" in page


def test_audit_export(client, platform_admin):
    audit_record(actor=platform_admin, action="=cmd|' /C calc'!A0")
    client.force_login(platform_admin)
    r = client.get("/accounts/audit/export/", {"action": "="})
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    assert rows[1][3] == "'=cmd|' /C calc'!A0"
    assert len(rows) == 2


def test_verify_chain_button(client, platform_admin):
    audit_record(actor=platform_admin, action="test.alpha")
    client.force_login(platform_admin)
    r = client.post("/accounts/audit/verify/")
    assert r.status_code == 200 and 'data-verify="ok"' in html(r)
    target = AuditEntry.objects.get(action="test.alpha")
    with chain.unlocked(reason="test tampers on purpose"), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET action = %s WHERE id = %s", ["test.forged", target.id])
    r = client.post("/accounts/audit/verify/", HTTP_HX_REQUEST="true")
    page = html(r)
    assert 'data-verify="broken"' in page and f"#{target.id}" in page
    assert "<html" not in page  # htmx gets the fragment only
    assert AuditEntry.objects.filter(action="accounts.audit.verify", result="failed").exists()


def test_only_the_closest_menu_entry_is_current(client, county_manager):
    """/stations/manage/ lies under the public /stations/: only 站点管理 is marked current there."""
    import re

    client.force_login(county_manager)
    page = html(client.get("/stations/manage/"))
    assert re.findall(r'data-nav="([^"]+)" aria-current="page"', page) == ["stations"]
    page = html(client.get("/stations/"))
    assert re.findall(r'data-nav="([^"]+)" aria-current="page"', page) == ["stations_public"]


# --- API tokens are offered to the roles that use the API (issue #8 item 5) -------------------------------


def test_volunteers_and_plain_users_are_not_offered_tokens(client, plain_user):
    client.force_login(plain_user)
    home = client.get("/").content.decode()
    assert 'data-nav="accounts.tokens"' not in home
    page = client.get("/accounts/tokens/").content.decode()
    assert "data-no-tokens" in page and 'id="token-form"' not in page and "管辖范围" not in page
    r = client.post("/accounts/tokens/", {"name": "x", "lifetime": "30"})
    assert r.status_code == 403 and not ApiToken.objects.exists()


def test_station_admins_get_tokens_without_region_words(client, api_user):
    client.force_login(api_user)
    assert 'data-nav="accounts.tokens"' in client.get("/").content.decode()
    page = client.get("/accounts/tokens/").content.decode()
    assert 'id="token-form"' in page and 'name="region_prefix' not in page and "管辖范围" not in page
    r = client.post("/accounts/tokens/", {"name": "站点小程序", "lifetime": "30"})
    assert r.status_code == 200 and ApiToken.objects.filter(user=api_user).count() == 1


def test_region_managers_may_narrow_tokens_to_a_region(client, county_manager):
    client.force_login(county_manager)
    page = client.get("/accounts/tokens/").content.decode()
    assert 'name="region_prefix' in page and "管辖范围" in page

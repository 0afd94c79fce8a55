import pytest


@pytest.mark.django_db
def test_home_page_renders_in_chinese_with_vendored_assets(client):
    r = client.get("/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "志愿服务信息系统" in html
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
    assert "http://" not in html.split("<body")[0] and "https://" not in html.split("<body")[0]  # no CDN


@pytest.mark.django_db
def test_language_switch_to_english(client):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert r.status_code == 200
    assert 'lang="en"' in r.content.decode()


@pytest.mark.django_db
def test_missing_page_is_a_chinese_404(client):
    r = client.get("/no-such-page/")
    assert r.status_code == 404
    assert "页面不存在" in r.content.decode()


@pytest.mark.django_db
def test_home_offers_registration_before_login_and_role_badges_after(client, county_manager):
    from zhiyuan.testing import PASSWORD, totp_code

    html = client.get("/").content.decode()
    assert "/volunteers/register/" in html and 'data-nav="logout"' not in html
    client.post("/accounts/login/", {"mobile": county_manager.mobile, "password": PASSWORD})
    client.post("/accounts/login/totp/", {"code": totp_code(county_manager)})
    html = client.get("/").content.decode()
    assert 'data-role="region_manager"' in html and "区域管理员 · 广东省/惠州市/惠城区" in html
    assert 'data-tile="accounts.roles"' in html


def test_nav_audience_rules():
    from zhiyuan.accounts.context_processors import _visible
    from zhiyuan.core.nav import NavItem

    public = NavItem("x", "x", "home", audience="anyone")
    before_login = NavItem("y", "y", "home", audience="anonymous")
    managers = NavItem("z", "z", "home", roles=frozenset({"region_manager"}))
    assert _visible(public, signed_in=False, held=set()) and _visible(public, signed_in=True, held=set())
    assert _visible(before_login, signed_in=False, held=set()) and not _visible(before_login, signed_in=True, held=set())
    assert not _visible(managers, signed_in=False, held=set()) and not _visible(managers, signed_in=True, held={"volunteer"})
    assert _visible(managers, signed_in=True, held={"region_manager"})

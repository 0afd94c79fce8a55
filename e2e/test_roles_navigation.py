"""Issue 2: each demo role logs in through the real login page (with its second factor where
required) and sees its own navigation, and not the navigation of other roles."""

import pytest
from e2e_support import login, nav_keys

from zhiyuan.demo.data import DEMO_LOGINS


@pytest.mark.parametrize("key", list(DEMO_LOGINS))
def test_each_role_sees_its_navigation(page, demo, key):
    info = demo[key]
    login(page, info)
    keys = nav_keys(page)
    missing = [k for k in info["nav"] if k not in keys]
    assert not missing, f"{key} should see {missing}; saw {sorted(keys)}"
    leaked = [k for k in info["nav_hidden"] if k in keys]
    assert not leaked, f"{key} must not see {leaked}"
    # every entry shown leads to a page that role may open (no 403/404/500 behind a menu item)
    for item in page.locator("#mainnav a[data-nav]").all():
        href = item.get_attribute("href")
        response = page.request.get(href)
        assert response.ok, f"{key}: {item.get_attribute('data-nav')} -> {href} answered {response.status}"


def test_phone_menu_opens_and_logs_out(phone, demo):
    page = phone
    login(page, demo["volunteer"])
    assert not page.is_visible("[data-nav=logout]")  # folded away behind 菜单 on a phone
    page.click("button.menu-toggle")
    assert page.get_attribute("button.menu-toggle", "aria-expanded") == "true"
    assert page.is_visible("[data-nav='volunteers.card']")
    page.click("[data-nav=logout]")
    page.wait_for_selector("[data-nav=login]", state="attached")
    page.click("button.menu-toggle")
    assert page.is_visible("[data-nav=login]") and not page.locator("[data-nav=logout]").count()


def test_desktop_menu_is_one_line_with_its_drop_downs(browser, live_server, demo):
    """At 1366 px the menu of an organization admin (volunteer, manager and account entries)
    is one line: 管理 and 我的账户 open as drop-downs, and fold again on Escape or a click elsewhere."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, demo["org_admin"])
    assert page.locator("header.topbar").bounding_box()["height"] <= 64
    assert not page.is_visible("[data-nav=projects]") and not page.is_visible("[data-nav=logout]")
    page.click("[data-navgroup=manage]")
    assert page.is_visible("[data-nav=projects]")
    assert page.get_attribute("[data-navgroup=manage]", "aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert not page.is_visible("[data-nav=projects]")
    page.click("[data-navgroup=account]")
    assert page.is_visible("[data-nav=logout]")
    page.mouse.click(600, 500)
    assert not page.is_visible("[data-nav=logout]")
    page.click("[data-navgroup=manage]")
    page.click("[data-nav=projects]")
    page.wait_for_url("**/projects/**")
    assert "current" in page.get_attribute("[data-navgroup=manage] >> xpath=..", "class")
    context.close()

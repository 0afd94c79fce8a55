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

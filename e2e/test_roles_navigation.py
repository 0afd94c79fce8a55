"""Issue 2: each demo role logs in through the real login page (with its second factor where
required) and sees its own navigation, and not the navigation of other roles."""

import pyotp
import pytest

from zhiyuan.demo.data import DEMO_PASSWORD, DEMO_TOTP_SECRET


def login(page, mobile, *, totp: bool):
    page.goto("/accounts/login/")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form#login-form button[type=submit]")
    if totp:
        page.wait_for_selector("input[name=code]")
        page.fill("input[name=code]", pyotp.TOTP(DEMO_TOTP_SECRET).now())
        page.click("form#totp-form button[type=submit]")
    page.wait_for_selector("[data-nav=logout]")


def nav_keys(page) -> set[str]:
    return set(page.eval_on_selector_all("#mainnav [data-nav]", "els => els.map(e => e.dataset.nav)"))


@pytest.mark.parametrize("key", ["platform_admin", "city_manager", "county_manager", "org_admin", "volunteer"])
def test_each_role_sees_its_navigation(page, demo, key):
    login_info = demo[key]
    login(page, login_info["mobile"], totp=login_info["totp"])
    keys = nav_keys(page)
    for expected in login_info["nav"]:
        assert expected in keys, f"{key} should see {expected}; saw {sorted(keys)}"
    for hidden in login_info["nav_hidden"]:
        assert hidden not in keys, f"{key} must not see {hidden}"


def test_phone_menu_opens_and_logs_out(phone, demo):
    info = demo["volunteer"]
    login_page = phone
    login_page.goto("/accounts/login/")
    login_page.fill("input[name=mobile]", info["mobile"])
    login_page.fill("input[name=password]", DEMO_PASSWORD)
    login_page.click("form#login-form button[type=submit]")
    login_page.click("button.menu-toggle")
    login_page.click("[data-nav=logout]")
    login_page.wait_for_selector("[data-nav=login]")

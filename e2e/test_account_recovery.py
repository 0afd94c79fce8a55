"""Account recovery on a 390-px phone: a volunteer who forgot the password resets it with an SMS
code; a city manager finds the same account on 「账号求助」 and issues a one-time reset code that
the volunteer uses. No page scrolls sideways; the code is shown once."""

import pytest
from e2e_support import PHONE, login, no_horizontal_overflow, watch_console

from zhiyuan.core import sms

NEW_PASSWORD = "Neu#Passwort2027"
SECOND_PASSWORD = "Zweites#Pass2028"


@pytest.fixture
def sms_outbox(settings):
    settings.ZHIYUAN_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def reset_with_code(page, mobile: str, code: str, password: str) -> None:
    page.fill("input[name=code]", code)
    if not page.input_value("input[name=mobile]"):
        page.fill("input[name=mobile]", mobile)
    page.fill("input[name=new_password]", password)
    page.fill("input[name=new_password2]", password)
    page.click("form#recover-reset-form button[type=submit]")
    page.wait_for_url("**/accounts/login/")
    assert "密码已重置" in page.inner_text("main")


def test_forgotten_password_by_sms_and_by_a_managers_code(browser, live_server, demo, sms_outbox):
    volunteer = demo["volunteer"]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_console(page)

    page.goto("/accounts/login/")
    page.click("text=忘记密码？")
    page.fill("input[name=mobile]", volunteer["mobile"])
    page.click("form#recover-form button[type=submit]")
    page.wait_for_url("**/accounts/recover/reset/")
    assert no_horizontal_overflow(page)
    assert page.input_value("input[name=mobile]") == volunteer["mobile"]
    assert len(sms_outbox) == 1
    reset_with_code(page, volunteer["mobile"], sms_outbox[0].params["code"], NEW_PASSWORD)
    page.fill("input[name=mobile]", volunteer["mobile"])
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("form#login-form button[type=submit]")
    page.wait_for_selector("[data-nav=logout]", state="attached")
    context.close()

    manager_ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    manager = manager_ctx.new_page()
    manager.set_default_timeout(10_000)
    login(manager, demo["city_manager"])
    manager.goto("/accounts/help/")
    assert no_horizontal_overflow(manager)
    manager.fill("input[name=mobile]", volunteer["mobile"])
    manager.click("form#account-lookup-form button[type=submit]")
    manager.wait_for_selector("[data-section=reset-code]")
    manager.click("[data-section=reset-code] button[type=submit]")
    code = manager.inner_text("[data-issued-code]").strip()
    assert len(code) == 14 and no_horizontal_overflow(manager)
    manager.goto(manager.url.removesuffix("reset-code/"))  # shown once: not on the account page again
    assert manager.locator("[data-issued-code]").count() == 0
    manager_ctx.close()

    again = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = again.new_page()
    page.set_default_timeout(10_000)
    page.goto("/accounts/recover/reset/")
    reset_with_code(page, volunteer["mobile"], code, SECOND_PASSWORD)
    again.close()
    assert errors == []

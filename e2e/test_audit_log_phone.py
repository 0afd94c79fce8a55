"""The audit log on a 390-px phone (issue #8 item 5): labels instead of internal names, the
object-type filter is a select, and nothing scrolls sideways."""

from e2e_support import PHONE, login, no_horizontal_overflow


def test_audit_log_fits_a_phone_and_shows_labels(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, demo["platform_admin"])  # the login itself writes entries about the user
    page.goto("/accounts/audit/")
    assert no_horizontal_overflow(page)
    page.select_option("#id_object_type", label="用户")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**object_type=accounts.user**")
    table = page.locator("[data-list='accounts.audit'] table").inner_text()
    assert "用户 #" in table and "accounts.user" not in table and "second_factor" not in table
    assert no_horizontal_overflow(page)
    context.close()

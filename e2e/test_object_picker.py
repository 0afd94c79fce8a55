"""The search-as-you-type object picker (core.picker) on a phone, as the demo city manager:
granting org_admin by typing an organization's name instead of its number. Needs JavaScript:
results come by htmx, the chosen one stays while searching again, Enter searches instead of
submitting, and the scope fields follow the chosen role."""

import re

from e2e_support import PHONE, login, no_horizontal_overflow, watch_console


def test_grant_org_admin_by_searching_the_organization(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_console(page)
    login(page, demo["city_manager"])
    page.goto("/accounts/roles/grant/")
    org_field = page.locator("[data-field=organization]")
    point_field = page.locator("[data-field=service_point]")
    assert not org_field.is_visible() and not point_field.is_visible(), "no scope field before a role is chosen"

    page.select_option("#id_role", "org_admin")
    assert org_field.is_visible() and not point_field.is_visible()
    assert not page.locator("[data-field=region_code]").is_visible()
    page.fill("#id_mobile", demo["volunteer"]["mobile"])

    results = page.locator("#id_organization_results")
    with page.expect_response(re.compile(r"/accounts/roles/grant/objects/\?")):
        page.fill("#id_organization", "桥东")
    names = results.locator(".picker-name").all_inner_texts()
    assert names and len(names) <= 6, names
    first = results.locator("label.picker-option").first
    chosen_name = first.locator(".picker-name").inner_text()
    chosen_id = first.locator("input").get_attribute("value")
    first.click()

    # a search that finds nothing keeps the chosen organization, and Enter does not submit
    with page.expect_response(re.compile(r"/accounts/roles/grant/objects/\?")):
        page.fill("#id_organization", "没有这个组织")
    assert "没有名称或区划包含" in results.inner_text()
    assert results.locator("input:checked").get_attribute("value") == chosen_id
    page.press("#id_organization", "Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith("/accounts/roles/grant/") and not page.locator(".errorlist").count()
    assert no_horizontal_overflow(page)

    page.click("#role-grant-form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/roles/\d+/$"))
    assert chosen_name in page.inner_text("main")
    assert not errors, errors
    context.close()

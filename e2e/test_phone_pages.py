"""Pages a newcomer fights with on a 390-px phone (issue #8 item 5): the settings page fits the
screen and names the organization an admin runs; touch targets are at least 44 px; in English
the title wraps inside its box and the menu button stays beside it."""

from e2e_support import PHONE, login, no_horizontal_overflow, small_targets


def phone_page(browser, live_server, **extra):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE, **extra)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_settings_page_fits_and_names_the_organization(browser, live_server, demo):
    context, page = phone_page(browser, live_server)
    login(page, demo["org_admin"])
    page.goto("/accounts/settings/")
    assert no_horizontal_overflow(page)
    chips = page.locator("[data-roles] li").all_inner_texts()
    assert any("组织管理员 · " in c and "区" not in c.split("· ", 1)[1][:1] for c in chips), chips
    for chip in page.locator("[data-roles] li").all():
        box = chip.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, chip.inner_text()
    page.click(".menu-toggle")
    assert small_targets(page) == []
    context.close()


def test_touch_targets_on_the_registration_page(browser, live_server, demo):
    context, page = phone_page(browser, live_server)
    page.goto("/volunteers/register/")
    page.click(".menu-toggle")
    assert small_targets(page) == []
    context.close()


def test_english_title_keeps_the_menu_button_beside_it(browser, live_server, demo):
    context, page = phone_page(browser, live_server)
    page.goto("/")
    page.click(".menu-toggle")
    page.click(".lang button")
    page.wait_for_selector("html[lang=en]")
    brand = page.locator(".brand").bounding_box()
    toggle = page.locator(".menu-toggle").bounding_box()
    assert toggle["y"] < brand["y"] + brand["height"], "the menu button fell to its own line"
    assert no_horizontal_overflow(page)
    page.goto("/volunteers/register/")
    assert page.locator("[data-chinese-only]").count() >= 1
    context.close()


def test_the_volunteer_number_stays_on_one_line(browser, live_server, demo):
    """Issue #8 item 5: the number wrapped mid-number on a phone; grouped, it stays one line."""
    context, page = phone_page(browser, live_server)
    login(page, demo["volunteer"])
    for url in ("/volunteers/me/card/", "/volunteers/me/"):
        page.goto(url)
        number = page.locator("[data-volunteer-no] .vno").first
        lines = number.evaluate("e => e.getClientRects().length")
        height = number.bounding_box()["height"]
        font = float(number.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        assert lines == 1 and height < font * 2, (url, lines, height, font)
        assert no_horizontal_overflow(page)
    context.close()

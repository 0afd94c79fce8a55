"""Home location on a 390-px phone (issue #8 item 5): a map picker (vendored Leaflet, no tiles
configured: offline grid), "use my location", and typed coordinates still accepted."""

from e2e_support import PHONE, login, no_horizontal_overflow, watch_console
from playwright.sync_api import expect


def test_volunteer_places_home_location_on_the_map(browser, live_server, demo):
    from zhiyuan.volunteers.models import Volunteer

    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        geolocation={"latitude": 23.0901, "longitude": 114.4102},
        permissions=["geolocation"],
        **PHONE,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_console(page)
    login(page, demo["volunteer"])
    page.goto("/volunteers/me/edit/")
    page.wait_for_selector("[data-map-picker]:not([hidden]) .leaflet-container")
    assert no_horizontal_overflow(page)
    page.locator("[data-map]").click(position={"x": 120, "y": 100})
    assert page.input_value("#id_home_lat") and page.input_value("#id_home_lng")
    page.click("[data-locate]")
    expect(page.locator("#id_home_lat")).to_have_value("23.0901")  # (wait_for_function evals: CSP refuses)
    assert page.input_value("#id_home_lng") == "114.4102"
    page.fill("#id_home_lat", "23.1")  # typing still works and moves the marker
    page.fill("#id_home_lng", "114.4")
    page.check("input[name=accept_location]")
    page.click("form[data-form=profile] button[type=submit]")
    page.wait_for_url("**/volunteers/me/")
    v = Volunteer.objects.get(user__mobile=demo["volunteer"]["mobile"])
    assert round(float(v.home_lat), 4) == 23.1 and round(float(v.home_lng), 4) == 114.4
    assert errors == []
    context.close()

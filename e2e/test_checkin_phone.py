"""Check-in on phones (ACT-4): the demo organization admin opens the check-in screen of a running
shift (QR code as SVG, the 6-digit code, the live list); the demo volunteer, on a 390-px phone
with its position at the activity, types the code on the scan page and is checked in; the
organizer's live list shows them without a reload; the e-card scanner page loads. No console
errors (the strict CSP would report an inline script), nothing scrolls sideways."""

from e2e_support import DESKTOP, PHONE, login, no_horizontal_overflow, org_of, watch_console

from zhiyuan.activities.models import Attendance
from zhiyuan.activities.tests.attendance.conftest import accepted, running_activity
from zhiyuan.activities.tests.factories import LAT, LON
from zhiyuan.volunteers.models import Volunteer


def test_volunteer_checks_in_with_the_code_the_organizer_shows(browser, live_server, demo):
    admin = demo["org_admin"]
    shift = running_activity(org_of(admin)).shifts.get()
    volunteer = Volunteer.objects.get(user__mobile=demo["volunteer"]["mobile"])
    accepted(shift.slots.get(), volunteer)

    org_ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **DESKTOP)
    vol_ctx = browser.new_context(
        base_url=live_server.url, locale="zh-CN", geolocation={"latitude": float(LAT) + 0.0005, "longitude": float(LON)},
        permissions=["geolocation"], **PHONE,
    )  # fmt: skip
    screen, phone = org_ctx.new_page(), vol_ctx.new_page()
    for p in (screen, phone):
        p.set_default_timeout(15_000)
    screen_errors, phone_errors = watch_console(screen), watch_console(phone)
    try:
        login(screen, admin)
        screen.goto(f"/activities/attendance/shifts/{shift.pk}/")
        assert screen.locator("[data-session] svg").is_visible()
        code = screen.inner_text("[data-session-code]").strip()
        assert len(code) == 6 and code.isdigit()

        login(phone, demo["volunteer"])
        phone.goto("/activities/attendance/scan/")
        assert phone.locator("[data-camera-start]").is_visible()
        assert no_horizontal_overflow(phone)
        phone.fill("input[name=code]", code)
        phone.click("[data-submit]")
        phone.wait_for_selector("[data-result]")
        att = Attendance.objects.get(shift=shift, volunteer=volunteer)
        assert att.check_in_method == "code" and att.flags == []  # the phone's position was inside the geofence

        screen.wait_for_selector(f"[data-live-list] :text('{volunteer.volunteer_no}')", timeout=20_000)
        screen.goto(f"/activities/attendance/shifts/{shift.pk}/ecard/")
        assert screen.locator("[data-camera-start]").is_visible()
        assert screen_errors == [] and phone_errors == []
    finally:
        org_ctx.close()
        vol_ctx.close()

"""Offline check-in (ACT-4): the volunteer's scan page, loaded while the phone had network, keeps a
check-in made without network on the phone with the phone's time and sends it when the network
is back. The server takes it within the grace period (ZHIYUAN_ATTENDANCE_OFFLINE_GRACE_HOURS,
24 h) at the phone's time, flagged 离线补传 for the organizer; beyond it, it is refused with the
Chinese reason and nothing is written.

The phone's clock is set back with Playwright's clock (the page's ``Date``), as if the
volunteer had checked in that long ago and the phone had been without network since; the
network is cut with ``context.set_offline``."""

import datetime as dt
import time

from e2e_support import DESKTOP, PHONE, login, org_of, watch_console

from zhiyuan.activities.attendance import session_code_for
from zhiyuan.activities.models import Attendance
from zhiyuan.activities.tests.attendance.conftest import accepted, running_activity
from zhiyuan.activities.tests.factories import LAT, LON
from zhiyuan.volunteers.models import Volunteer

QUEUE = "zy-attendance-queue"


def _phone_at(browser, live_server, volunteer_login, seconds_ago: int):
    """A signed-in phone whose clock stands ``seconds_ago`` behind, on the scan page."""
    ctx = browser.new_context(
        base_url=live_server.url, locale="zh-CN", geolocation={"latitude": float(LAT) + 0.0005, "longitude": float(LON)},
        permissions=["geolocation"], **PHONE,
    )  # fmt: skip
    lag = seconds_ago
    ctx.clock.install(time=time.time() - lag)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    errors = watch_console(page)
    login(page, volunteer_login)
    page.goto("/activities/attendance/scan/")
    page.wait_for_function("() => !!document.querySelector('input[name=latitude]').value")  # the position is in
    return ctx, page, errors, lag


def _check_in_offline(ctx, page, shift, lag: int) -> dict:
    """Without network: type the code the organizer showed at the phone's time and submit;
    the page keeps it. Returns the kept item."""
    ctx.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false")
    page.fill("input[name=code]", session_code_for(shift.pk, now=time.time() - lag)[0])
    page.click("[data-submit]")
    page.wait_for_selector("[data-offline-status]:has-text('网络不可用')")
    assert page.url.endswith("/activities/attendance/scan/")  # nothing was posted
    kept = page.evaluate(f"JSON.parse(localStorage.getItem('{QUEUE}'))")
    assert len(kept) == 1
    return kept[0]


def _device_time(item) -> dt.datetime:
    return dt.datetime.fromisoformat(item["body"]["device_time"].replace("Z", "+00:00"))


def test_offline_check_in_synced_with_device_time_and_refused_beyond_grace(browser, live_server, demo):
    admin = demo["org_admin"]
    org = org_of(admin)
    volunteer = Volunteer.objects.get(user__mobile=demo["volunteer"]["mobile"])
    yesterday = running_activity(org, started_minutes_ago=26 * 60).shifts.get()  # 26 h ago, 3 h long
    today = running_activity(org, started_minutes_ago=12).shifts.get()  # the phone checks in 2 min after start
    accepted(yesterday.slots.get(), volunteer)
    accepted(today.slots.get(), volunteer)

    # Yesterday's shift, checked in 25 h ago without network, synced only now: refused.
    ctx, page, errors, lag = _phone_at(browser, live_server, demo["volunteer"], 25 * 3600)
    try:
        item = _check_in_offline(ctx, page, yesterday, lag)
        assert abs(_device_time(item).timestamp() - (time.time() - lag)) < 60
        ctx.set_offline(False)
        page.wait_for_selector("[data-offline-status]:has-text('离线记录已超过补传期限（24小时）')")
        page.wait_for_function(f"() => localStorage.getItem('{QUEUE}') === '[]'")  # answered: not sent again
        assert not Attendance.objects.filter(volunteer=volunteer, shift=yesterday).exists()  # (the demo has past ones)
        assert [e for e in errors if "status of 400" not in e] == []  # the refusal itself is logged
    finally:
        ctx.close()

    # Today's shift, checked in 10 min ago without network: synced at the phone's time, flagged.
    ctx, page, errors, lag = _phone_at(browser, live_server, demo["volunteer"], 10 * 60)
    try:
        item = _check_in_offline(ctx, page, today, lag)
        # Still without network, the volunteer leaves: the page offers 签退 as a new request.
        assert page.is_checked("input[name=kind][value=out]")
        page.click("[data-submit]")
        page.wait_for_function(f"() => JSON.parse(localStorage.getItem('{QUEUE}')).length === 2")
        kept = page.evaluate(f"JSON.parse(localStorage.getItem('{QUEUE}'))")
        assert kept[1]["url"].endswith("/check-out")
        assert kept[1]["body"]["client_request_id"] != kept[0]["body"]["client_request_id"]
        ctx.set_offline(False)
        page.wait_for_selector("[data-offline-status]:has-text('离线记录已补传')")
        page.wait_for_function(f"() => localStorage.getItem('{QUEUE}') === '[]'")
        att = Attendance.objects.get(shift=today, volunteer=volunteer)
        assert att.check_in_method == "code" and att.check_out_method == "code"
        assert "offline" in att.flags and "late" not in att.flags  # early_leave too: it left after minutes
        assert abs((att.check_in_at - _device_time(item)).total_seconds()) < 1  # the phone's time, 10 min ago
        assert errors == []
    finally:
        ctx.close()

    # The organizer sees it flagged in the shift's list.
    org_ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **DESKTOP)
    try:
        screen = org_ctx.new_page()
        screen.set_default_timeout(15_000)
        login(screen, admin)
        screen.goto(f"/activities/attendance/shifts/{today.pk}/list/")
        row = screen.locator(f"tr:has-text('{volunteer.volunteer_no}')")
        assert "离线补传" in row.inner_text()
    finally:
        org_ctx.close()

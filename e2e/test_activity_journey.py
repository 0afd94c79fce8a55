"""Issue 10's journey end to end, on 390-px phones: the demo organization's admin publishes a
drafted activity from 活动管理; the demo volunteer finds it on the activity square, signs up on
the enrollment page, checks in and out with the 6-digit code the organizer's check-in screen
shows; the admin confirms the hours in the confirmation queue and the volunteer sees them on
我的时长. No console errors, nothing scrolls sideways.

Time: sign-up closes when a shift starts and hours count from check-in to check-out inside the
shift, so a real run would take an hour. The shift starts in 25 minutes (check-in opens 30
minutes early); after the check-in the test moves the shift, the enrollment and the check-in 90
minutes into the past together (as if 90 minutes had gone by), so the check-out lands 5 minutes
after the shift's end (inside the check-out window, and the queue lists only ended shifts) and
the whole 60-minute shift is credited, with no flag."""

import datetime as dt

from django.utils import timezone
from e2e_support import PHONE, login, no_horizontal_overflow, org_of, watch_console
from playwright.sync_api import expect

from zhiyuan.activities.models import Activity, Attendance, Enrollment, Shift
from zhiyuan.activities.tests.factories import LAT, LON, published_activity
from zhiyuan.records.models import HourEntry
from zhiyuan.volunteers.models import Volunteer

TITLE = "旅程测试：河堤垃圾清捡"
PASSED = dt.timedelta(minutes=90)


def _time_passes(activity: Activity) -> None:
    """Everything dated about the activity moves PASSED into the past, as if PASSED had gone by."""
    for model, names, where in (
        (Activity, ("starts_at", "ends_at"), {"pk": activity.pk}),
        (Shift, ("starts_at", "ends_at"), {"activity": activity}),
        (Enrollment, ("starts_at", "ends_at", "applied_at", "decided_at"), {"activity": activity}),
        (Attendance, ("check_in_at",), {"activity": activity}),
    ):
        for row in model.objects.filter(**where):
            for name in names:
                if getattr(row, name) is not None:
                    setattr(row, name, getattr(row, name) - PASSED)
            row.save(update_fields=list(names))


def test_publish_enroll_check_in_confirm_and_see_hours(browser, live_server, demo):
    admin_info, vol_info = demo["org_admin"], demo["volunteer"]
    org = org_of(admin_info)
    start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=25)
    activity = published_activity(
        org, title=TITLE, status="draft", shifts=[(start, start + dt.timedelta(hours=1))],
        positions=[{"name": "清捡员", "slots": 4}],
    )  # fmt: skip
    shift = activity.shifts.get()
    volunteer = Volunteer.objects.get(user__mobile=vol_info["mobile"])
    credit_before = sum(HourEntry.objects.filter(volunteer=volunteer, kind="credit").values_list("minutes", flat=True))

    org_ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    vol_ctx = browser.new_context(
        base_url=live_server.url, locale="zh-CN", geolocation={"latitude": float(LAT) + 0.0005, "longitude": float(LON)},
        permissions=["geolocation"], **PHONE,
    )  # fmt: skip
    organizer, phone = org_ctx.new_page(), vol_ctx.new_page()
    for p in (organizer, phone):
        p.set_default_timeout(15_000)
    org_errors, vol_errors = watch_console(organizer), watch_console(phone)
    try:
        # the organizer publishes the drafted activity from 活动管理
        login(organizer, admin_info)
        organizer.goto(f"/activities/manage/{activity.pk}/")
        expect(organizer.locator("[data-activity-status=draft]")).to_be_visible()
        organizer.click("[data-action=publish]")
        expect(organizer.locator("[data-activity-status=published]")).to_be_visible()
        assert no_horizontal_overflow(organizer)

        # the volunteer finds it on the square and signs up
        login(phone, vol_info)
        phone.goto(f"/activities/square/?q={TITLE}")
        card = phone.locator(f".square-card[data-activity='{activity.pk}']")
        expect(card).to_be_visible()
        assert no_horizontal_overflow(phone)
        card.locator(".square-card-title a").click()
        phone.wait_for_url(f"**/activities/square/{activity.pk}/")
        phone.locator("[data-signup]").click()
        phone.wait_for_url(f"**/activities/{activity.pk}/enroll/**")
        position = phone.locator("[data-position][data-eligible=yes]")
        expect(position).to_have_count(1)
        assert no_horizontal_overflow(phone)
        position.locator("[data-action=enroll]").click()
        phone.wait_for_url("**/activities/my/enrollments/**")
        expect(phone.get_by_text(TITLE).first).to_be_visible()
        assert Enrollment.objects.get(shift=shift, volunteer=volunteer).status == "accepted"

        # check-in with the code on the organizer's screen (25 minutes early: inside the window)
        organizer.goto(f"/activities/attendance/shifts/{shift.pk}/")
        expect(organizer.locator("[data-session] svg")).to_be_visible()
        code = organizer.inner_text("[data-session-code]").strip()
        assert len(code) == 6 and code.isdigit()
        phone.goto("/activities/attendance/scan/")
        phone.fill("input[name=code]", code)
        phone.click("[data-submit]")
        expect(phone.locator("[data-result]")).to_be_visible()
        att = Attendance.objects.get(shift=shift, volunteer=volunteer)
        assert (att.check_in_method, att.flags, att.check_out_at) == ("code", [], None)
        expect(organizer.locator(f"[data-live-list] :text('{volunteer.volunteer_no}')")).to_be_visible(timeout=20_000)

        _time_passes(activity)

        # check-out, 5 minutes after the shift's end, with the code the screen shows now
        organizer.reload()
        code = organizer.inner_text("[data-session-code]").strip()
        phone.goto("/activities/attendance/scan/")
        phone.locator("input[name=kind][value=out]").check()
        phone.fill("input[name=code]", code)
        phone.click("[data-submit]")
        expect(phone.locator("[data-result]")).to_be_visible()
        att.refresh_from_db()
        assert att.check_out_at is not None and att.flags == [], att.flags

        # the organizer confirms the hours in the queue
        organizer.goto(f"/records/org/{org.pk}/queue/")
        row = organizer.locator(f"tr[data-row='{att.pk}']")
        expect(row).to_be_visible()
        assert no_horizontal_overflow(organizer)
        selected = organizer.locator("input[name=ids]:checked")  # the demo's own records of its
        while selected.count():  # latest past shift wait in the queue too (they come pre-selected)
            selected.first.uncheck()
        row.locator("input[name=ids]").check()
        organizer.click("[data-bulk-confirm]")
        expect(organizer.get_by_text("已确认 1 条。")).to_be_visible()
        att.refresh_from_db()
        assert att.hours_state == "confirmed"
        entry = HourEntry.objects.get(volunteer=volunteer, kind="credit", attendance=att)
        assert entry.minutes == 60

        # the volunteer sees them on 我的时长
        phone.goto("/records/me/")
        expect(phone.get_by_text(TITLE).first).to_be_visible()
        expect(phone.locator("[data-total-credit]")).to_have_attribute("data-minutes", str(credit_before + entry.minutes))
        assert no_horizontal_overflow(phone)
        assert org_errors == [] and vol_errors == [], (org_errors, vol_errors)
    finally:
        org_ctx.close()
        vol_ctx.close()

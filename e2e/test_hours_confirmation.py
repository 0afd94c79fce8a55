"""Hours on a 390-px phone (issue 10, the end of the journey): the demo organization's admin
opens the confirmation queue, sees the flagged attendance marked, confirms the clean one in bulk
and voids the flagged one with a reason; the volunteer then sees the confirmed hours on 我的时长.
Check-in is another area's work, so the attendances are written directly."""

from e2e_support import PHONE, login, no_horizontal_overflow, watch_console

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.activities.models import Attendance
from zhiyuan.organizations.models import Organization
from zhiyuan.records.tests.factories import another_volunteer, attend, past_activity
from zhiyuan.volunteers.models import Volunteer


def test_org_admin_confirms_and_volunteer_sees_hours(browser, live_server, demo):
    admin_info, vol_info = demo["org_admin"], demo["volunteer"]
    org_ids = RoleAssignment.objects.filter(role=Role.ORG_ADMIN, active=True, user__mobile=admin_info["mobile"]).values_list(
        "object_id", flat=True
    )
    org = Organization.objects.filter(pk__in=list(org_ids)).order_by("id").first()
    activity = past_activity(org, days=-2, start=14, end=17, title="浏览器测试：社区探访")
    clean = attend(activity, Volunteer.objects.get(user__mobile=vol_info["mobile"]))
    flagged = attend(activity, another_volunteer("林旗标"), flags=["offline"])

    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    errors = watch_console(page)
    login(page, admin_info)
    # the demo's own attendance is in the queue too: look at this activity's rows
    queue = f"/records/org/{org.pk}/queue/?activity={activity.pk}"
    page.goto(queue)
    assert page.is_visible(f"tr[data-row='{flagged.pk}'] >> text=离线签到")
    assert page.is_disabled(f"tr[data-row='{flagged.pk}'] input[name=ids]")
    page.click("[data-bulk-confirm]")
    page.wait_for_selector("text=已确认 1 条。")
    page.goto(queue)
    row = page.locator(f"tr[data-row='{flagged.pk}']")
    row.locator("input[name=reason]").fill("离线记录无法核实")
    row.locator("[data-action=void]").click()
    page.wait_for_selector("text=已作废，不计时长。")
    assert no_horizontal_overflow(page)
    assert Attendance.objects.get(pk=clean.pk).hours_state == "confirmed"
    assert Attendance.objects.get(pk=flagged.pk).hours_state == "voided"
    context.close()

    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    errors += watch_console(page)
    login(page, vol_info)
    page.goto("/records/me/")
    assert "浏览器测试：社区探访" in page.content()
    assert page.locator("[data-total-credit]").get_attribute("data-minutes") == str(_credited(vol_info))
    assert no_horizontal_overflow(page)
    context.close()
    assert not errors, errors


def _credited(vol_info) -> int:
    """The volunteer's credit minutes in the ledger (180 from this test, plus whatever the demo seed
    confirmed when other seeds wrote attendance)."""
    from zhiyuan.records.models import HourEntry

    v = Volunteer.objects.get(user__mobile=vol_info["mobile"])
    minutes = sum(e.minutes for e in HourEntry.objects.filter(volunteer=v, kind="credit"))
    assert minutes >= 180
    return minutes

"""Projects and the organizer's side of activities (ACT-1, ACT-2) on a 390-px phone: the demo
organization admin creates a single-event activity with a position (typing the coordinates the
map picker fills), publishes its recruitment notice and finds it as a card in 活动管理; the city's
manager approves a submitted project from the review queue. Nothing scrolls sideways, no
console errors."""

from e2e_support import PHONE, login, no_horizontal_overflow, watch_console

from zhiyuan.activities.models import Activity, Project


def test_an_organizer_publishes_and_a_manager_approves_on_a_phone(browser, live_server, demo):
    import datetime as dt

    from django.utils import timezone

    day = (timezone.localdate() + dt.timedelta(days=6)).isoformat()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_console(page)
    try:
        login(page, demo["org_admin"])
        page.goto("/activities/manage/new/")
        page.wait_for_selector("[data-map-picker]:not([hidden])", state="attached")
        page.fill("#id_title", "手机创建的社区清洁活动")
        page.select_option("#id_category", "environment")
        page.fill("#id_date", day)
        page.fill("#id_start_time", "09:00")
        page.fill("#id_end_time", "11:00")
        page.fill("#id_address", "惠州市惠城区桥东街道东新街")
        page.fill("#id_latitude", "23.0839")
        page.fill("#id_longitude", "114.4241")
        for name, text in (
            ("content", "清理街巷垃圾。"),
            ("conditions", "年满18周岁。"),
            ("risks", "注意交通安全。"),
            ("safeguards", "提供手套和保险。"),
            ("contact_name", "王联络"),
            ("contact_phone", "13800001234"),
        ):
            page.fill(f"#id_{name}", text)  # fmt: skip
        page.fill("#id_positions-0-name", "清洁员")
        page.fill("#id_positions-0-slots", "6")
        assert no_horizontal_overflow(page)
        page.click("#activity-form button[type=submit]")
        page.wait_for_selector("[data-activity-status=draft]")
        page.click("[data-action=publish]")
        page.wait_for_selector("[data-activity-status=published]")
        a = Activity.objects.get(title="手机创建的社区清洁活动")
        assert (a.status, a.slots_total, a.shifts.count()) == ("published", 6, 1)
        page.goto("/activities/manage/?q=手机创建")
        card = page.locator(f"[data-row='{a.pk}']")
        assert card.is_visible() and "招募中" in card.inner_text()
        assert no_horizontal_overflow(page)

        context.clear_cookies()
        login(page, demo["city_manager"])
        waiting = Project.objects.filter(status="submitted").order_by("id").first()
        page.goto("/activities/projects/review/")
        row = page.locator(f"[data-row='{waiting.pk}']")
        assert row.is_visible() and no_horizontal_overflow(page)
        row.locator("input[name=is_demonstration]").check()
        row.locator("button[value=approve]").click()
        page.wait_for_url("**/activities/projects/review/")
        waiting.refresh_from_db()
        assert waiting.status == "approved" and waiting.is_demonstration
        assert not errors, errors
    finally:
        context.close()

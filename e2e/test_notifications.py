"""The notification centre on a 390-px phone (ACT-7): a volunteer with notices sees the unread
badge in the top bar (outside the folded menu), opens the centre, reads the cards (unread first,
nothing scrolls sideways, 44-px buttons), marks one read, then all, and the badge goes."""

from e2e_support import PHONE, login, no_horizontal_overflow


def test_volunteer_reads_notices_on_a_phone(browser, live_server, demo):
    from zhiyuan.accounts.models import User
    from zhiyuan.core.models import Notification

    user = User.objects.get(mobile=demo["volunteer"]["mobile"])
    unread = Notification.objects.filter(user=user, unread=True).count()
    assert unread >= 3  # the demo's notices (zhiyuan/demo/notify.py)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, demo["volunteer"])
        badge = page.locator("[data-notice-bell] .notice-count")
        assert badge.is_visible() and badge.inner_text() == str(unread)  # not folded behind 菜单
        box = page.locator("[data-notice-bell]").bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 390

        page.click("[data-notice-bell]")
        page.wait_for_selector("[data-list='core.notification']")
        assert no_horizontal_overflow(page)
        cards = page.locator("[data-notice]")
        assert cards.count() == unread
        first = cards.first.bounding_box()
        assert first["x"] >= 0 and first["x"] + first["width"] <= 390
        mark = cards.first.locator("[data-mark-read]")
        mb = mark.bounding_box()
        assert mb["height"] >= 44 and mb["x"] + mb["width"] <= 390

        mark.click()  # one read: it moves below the unread ones, the badge counts one fewer
        page.wait_for_selector(f"[data-notice-bell] .notice-count:text-is('{unread - 1}')")
        assert page.locator("[data-notice][data-unread]").count() == unread - 1
        assert page.locator("[data-notice]").last.get_attribute("data-unread") is None

        page.click("[data-read-all]")
        page.wait_for_selector("[data-notice-bell] .notice-count", state="detached")
        assert page.locator("[data-notice][data-unread]").count() == 0
        assert "已将" in page.locator(".messages").inner_text()
        assert not Notification.objects.filter(user=user, unread=True).exists()
    finally:
        context.close()

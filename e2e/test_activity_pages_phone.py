"""Issue 10's pages on a 390-px phone, as their users open them: every page a volunteer and an
organizer use in activities and records fits the screen (nothing scrolls sideways; tables turn
into cards), its buttons are tap-sized, and the maps' markers are the vendored pin images, not
Leaflet's guess from leaflet.css's address (a broken image under hashed static names).
Attendance is written directly (check-in is another area's work), so the hours pages have rows."""

from e2e_support import PHONE, login, small_targets, watch_console

from zhiyuan.accounts.models import RoleAssignment, User
from zhiyuan.accounts.roles import Role
from zhiyuan.activities.models import Activity, ActivityStatus, Shift
from zhiyuan.organizations.models import Organization
from zhiyuan.records import services
from zhiyuan.records.tests.factories import another_volunteer, attend, past_activity
from zhiyuan.volunteers.models import Volunteer


def _phone(browser, live_server, locale="zh-CN"):
    context = browser.new_context(base_url=live_server.url, locale=locale, **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _fits(page) -> bool:
    """Nothing scrolls sideways. On a mobile screen an overflowing page also widens the layout
    viewport (innerWidth became 392), so both are held to the phone's 390 px."""
    return page.evaluate("document.scrollingElement.scrollWidth <= 390 && window.innerWidth <= 390")


def _visit_all(page, urls: list[str]) -> list[str]:
    """Every page answers 200, fits 390 px and has no small button; returns what failed."""
    bad = []
    for url in urls:
        response = page.goto(url)
        if response.status != 200:
            bad.append(f"{url}: HTTP {response.status}")
            continue
        if not _fits(page):
            width = page.evaluate("document.scrollingElement.scrollWidth")
            bad.append(f"{url}: {width} px wide")
        small = small_targets(page)
        if small:
            bad.append(f"{url}: small targets {small[:3]}")
    return bad


def _marker_uses_the_static_pin(page) -> None:
    page.wait_for_selector(".leaflet-marker-icon")
    box = page.locator("[data-marker-icon]").first
    expected = box.get_attribute("data-marker-icon")
    src = page.locator(".leaflet-marker-icon").first.get_attribute("src")
    assert expected and src == expected, (src, expected)
    assert page.evaluate("document.querySelector('.leaflet-marker-icon').naturalWidth") > 0


def test_volunteer_and_organizer_pages_fit_a_phone(browser, live_server, demo):
    admin_info, vol_info = demo["org_admin"], demo["volunteer"]
    org_ids = RoleAssignment.objects.filter(role=Role.ORG_ADMIN, active=True, user__mobile=admin_info["mobile"]).values_list(
        "object_id", flat=True
    )
    org = Organization.objects.filter(pk__in=list(org_ids)).order_by("id").first()
    me = Volunteer.objects.get(user__mobile=vol_info["mobile"])
    served = past_activity(org, days=-2, start=14, end=17, title="浏览器测试：长者探访（已结束）")
    confirmed = attend(served, me)
    services.attendance_confirm(actor=User.objects.get(mobile=admin_info["mobile"]), attendance=confirmed)
    attend(served, another_volunteer("林旗标"), flags=["offline"])  # a flagged row in the queue
    attend(served, another_volunteer("周待确"))  # and a clean one
    upcoming = (
        Activity.objects.filter(organization=org, status=ActivityStatus.PUBLISHED, latitude__isnull=False)
        .order_by("starts_at")
        .first()
    )
    shift = Shift.objects.filter(activity=upcoming).order_by("starts_at").first()

    volunteer_pages = [
        "/",
        "/activities/square/",
        f"/activities/square/{upcoming.pk}/",
        f"/activities/{upcoming.pk}/enroll/",
        "/activities/my/enrollments/",
        "/activities/my/enrollments/?when=past",
        "/activities/attendance/scan/",
        "/volunteers/me/card/",
        "/records/me/",
        "/records/me/corrections/",
        "/records/me/corrections/new/",
        f"/activities/{served.pk}/rate/",
        "/notifications/",
    ]
    context, page = _phone(browser, live_server)
    errors = watch_console(page)
    login(page, vol_info)
    assert _visit_all(page, volunteer_pages) == []
    page.goto("/activities/square/?view=map")
    assert _fits(page)
    _marker_uses_the_static_pin(page)
    context.close()

    organizer_pages = [
        "/activities/manage/",
        "/activities/manage/new/",
        f"/activities/manage/{upcoming.pk}/",
        f"/activities/manage/{upcoming.pk}/edit/",
        f"/activities/{upcoming.pk}/enrollments/",
        f"/activities/attendance/shifts/{shift.pk}/",
        f"/activities/attendance/shifts/{shift.pk}/list/",
        f"/activities/attendance/shifts/{shift.pk}/ecard/",
        f"/activities/{served.pk}/evaluations/",
        "/records/org/",
        f"/records/org/{org.pk}/queue/",
        f"/records/org/{org.pk}/entries/",
        f"/records/org/{org.pk}/corrections/",
        f"/records/org/{org.pk}/honour/",
        "/activities/projects/",
        "/activities/projects/new/",
        "/notifications/",
    ]
    context, page = _phone(browser, live_server)
    errors += watch_console(page)
    login(page, admin_info)
    assert _visit_all(page, organizer_pages) == []
    page.goto(f"/activities/manage/{upcoming.pk}/edit/")
    _marker_uses_the_static_pin(page)
    context.close()

    # in English the words are longer: a label of one long word once widened the page
    for info, pages in ((vol_info, volunteer_pages), (admin_info, organizer_pages)):
        context, page = _phone(browser, live_server, locale="en-US")
        errors += watch_console(page)
        login(page, info)
        page.wait_for_selector("html[lang=en]")
        assert _visit_all(page, pages) == []
        context.close()
    assert errors == [], errors

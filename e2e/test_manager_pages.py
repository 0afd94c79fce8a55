"""Smoke of the manager pages as the demo city manager (惠州市文明办), on a laptop and on a
390-px phone: the volunteer list with a search, a filter and pagination, the organization review
queue, the service-point list; each page without horizontal overflow or console errors, and each
export link downloading a real .xlsx file that honours the filters."""

import io
import re

import openpyxl
import pytest
from e2e_support import DESKTOP, PHONE, login, no_horizontal_overflow, watch_console

PENDING_ORG = "惠城区电力行业志愿服务队"  # the pending application of the demo data


@pytest.fixture
def manager_pages(browser, live_server, demo):
    """One signed-in page per screen size. The manager signs in once (a TOTP code is accepted
    only once per 30 s); the phone shares the laptop's session."""
    desktop = browser.new_context(base_url=live_server.url, locale="zh-CN", **DESKTOP)
    page = desktop.new_page()
    page.set_default_timeout(10_000)
    login(page, demo["city_manager"])
    phone = browser.new_context(base_url=live_server.url, locale="zh-CN", storage_state=desktop.storage_state(), **PHONE)
    phone_page = phone.new_page()
    phone_page.set_default_timeout(10_000)
    yield {"desktop": page, "phone": phone_page}
    phone.close()
    desktop.close()


def download_xlsx(page, link) -> openpyxl.Workbook:
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    with open(download.path(), "rb") as fh:
        data = fh.read()
    assert data[:2] == b"PK", "not an xlsx (zip) file"
    return openpyxl.load_workbook(io.BytesIO(data), read_only=True)


def data_rows(wb) -> int:
    ws = wb.worksheets[0]
    return sum(1 for row in ws.iter_rows(min_row=2, values_only=True) if any(v not in (None, "") for v in row))


def listed_total(page, pattern: str) -> int:
    return int(re.search(pattern, page.inner_text("main")).group(1))


def in_scope_volunteers(**filters) -> int:
    from zhiyuan.volunteers.models import Volunteer

    return Volunteer.objects.filter(region_code__startswith="4413", restricted_at__isnull=True, **filters).count()


def volunteer_list(page, size: str):
    page.goto("/volunteers/manage/")
    rows = page.locator("#volunteers tbody tr")
    assert rows.count() == 20, "20 per page by default"
    total = in_scope_volunteers()
    assert total >= 200  # the demo city's volunteers (plus the org admin's and the volunteer's)
    first_page = rows.first.get_attribute("data-volunteer")
    assert no_horizontal_overflow(page), f"{size}: volunteer list overflows"
    if size == "desktop":
        # a table: cells are not squeezed to a character or two per line; one or two lines a row
        heights = page.eval_on_selector_all("#volunteers tbody tr", "trs => trs.map(t => t.getBoundingClientRect().height)")
        assert max(heights) < 80, f"{size}: volunteer rows are {max(heights):.0f} px tall"
    else:
        # cards: the number, the name and the status of each person in view, nothing cut off
        width = page.viewport_size["width"]
        for cell in ("col-key", "col-status"):
            right = "tds => tds.map(t => t.getBoundingClientRect().right)"
            boxes = page.eval_on_selector_all(f"#volunteers tbody tr td.{cell}", right)
            assert boxes and max(boxes) <= width, f"{size}: {cell} is outside the screen"

    # the next page, by cursor
    page.locator(".pagination a[data-next]").click()
    page.wait_for_url(re.compile(r"cursor="))
    assert rows.count() == 20 and rows.first.get_attribute("data-volunteer") != first_page

    # the advanced filters are folded away (the list starts near the top on a phone)
    more = page.locator("#volunteer-filters details[data-more-filters]")
    assert more.get_attribute("open") is None
    assert not page.locator("#volunteer-filters select[name=gender]").is_visible()
    table_top = page.locator("#volunteers").bounding_box()["y"]
    assert table_top < 650, f"{size}: the volunteer list starts {table_top:.0f} px down"

    # a filter (gender: female), kept across pages and in the export
    more.locator("summary").click()
    page.select_option("#volunteer-filters select[name=gender]", "2")
    page.click("#volunteer-filters button[type=submit]")
    page.wait_for_url(re.compile(r"gender=2"))
    assert more.get_attribute("open") is not None, "an active advanced filter keeps the fold open"
    women = in_scope_volunteers(gender="2")
    assert 0 < women < total
    gender_cells = "#volunteers tbody tr td[data-label=性别]"
    genders = page.eval_on_selector_all(gender_cells, "tds => tds.map(t => t.innerText.trim())")
    assert set(genders) == {"女"}, genders
    if women > 20:
        page.locator(".pagination a[data-next]").click()
        page.wait_for_url(re.compile(r"gender=2.*cursor=|cursor=.*gender=2"))
        genders = page.eval_on_selector_all(gender_cells, "tds => tds.map(t => t.innerText.trim())")
        assert set(genders) == {"女"}, "the filter must survive pagination"
    wb = download_xlsx(page, page.locator("a.btn", has_text="导出 Excel"))
    assert data_rows(wb) == women, "the export holds exactly the filtered volunteers"

    # a search by volunteer number, copied as shown (grouped with spaces), finds that one person
    number = page.locator("#volunteers tbody tr td:first-child a").first.inner_text().strip()
    assert re.fullmatch(r"\d{4} \d{3} \d{3} [\dX]", number), number
    page.fill("#volunteer-filters input[name=q]", number)
    page.click("#volunteer-filters button[type=submit]")
    page.wait_for_url(re.compile(r"q=" + number.replace(" ", "[+]")))
    assert rows.count() == 1 and number in rows.first.inner_text()
    assert no_horizontal_overflow(page), f"{size}: filtered volunteer list overflows"


def review_queue(page, size: str, *, approve: bool):
    from zhiyuan.organizations.models import Organization

    page.goto("/organizations/manage/")
    assert page.locator("#org-list tr[data-org]").count() >= 8
    assert no_horizontal_overflow(page), f"{size}: organization list overflows"
    wb = download_xlsx(page, page.locator("a.btn", has_text="导出 Excel"))
    # the list shows no total (keyset pages, no count of the scope): the export holds the city's
    in_city = Organization.objects.filter(region_code__gte="441300000000", region_code__lte="441399999999").count()
    assert data_rows(wb) == in_city
    page.click("a.btn:has-text('待审核申请')")
    card = page.locator("#review-list tr[data-org]", has_text=PENDING_ORG)
    assert card.count() == 1
    assert no_horizontal_overflow(page), f"{size}: review queue overflows"
    if approve:
        card.locator("button[value=approve]").click()
        page.wait_for_selector(".msg-success")
        page.goto("/organizations/manage/review/")
        assert page.locator("#review-list tr[data-org]", has_text=PENDING_ORG).count() == 0


def station_list(page, size: str):
    from zhiyuan.stations.models import ServicePoint

    page.goto("/stations/manage/")
    expected = ServicePoint.objects.filter(region_code__startswith="4413").count()
    assert expected and page.locator("tr[data-point]").count() == min(expected, 30)
    assert no_horizontal_overflow(page), f"{size}: station list overflows"
    wb = download_xlsx(page, page.locator("a.btn", has_text="导出 Excel"))
    assert data_rows(wb) == expected


def test_city_manager_pages_on_laptop_and_phone(manager_pages):
    for size in ("desktop", "phone"):
        page = manager_pages[size]
        errors = watch_console(page)
        volunteer_list(page, size)
        review_queue(page, size, approve=size == "phone")
        station_list(page, size)
        assert not errors, f"{size}: {errors}"

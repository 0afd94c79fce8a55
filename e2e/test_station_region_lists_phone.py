"""Issue #7 (phone-first lists): the stations manager list, the station admin's 「我的站点」, the
public station list and the region browser on a 390-px phone. Each is cards: no sideways
scrolling, each card's title (the name) on screen, its actions buttons of at least 44x44 px
inside the card; "下一页" goes forward with a cursor."""

import pytest
from e2e_support import login, no_horizontal_overflow, small_targets, watch_console

pytestmark = pytest.mark.browser

CARDS = """trs => trs.map(tr => {
  const box = r => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const key = tr.querySelector("td.col-key");
  return {
    id: tr.dataset.point || tr.dataset.region,
    card: box(tr),
    name: key ? box(key) : null,
    actions: [...tr.querySelectorAll("td.col-action a, td.col-action button")]
      .map(e => ({what: e.textContent.trim(), box: box(e)})),
  };
})"""


def inside(inner, outer) -> bool:
    return inner[0] >= outer[0] - 0.5 and inner[1] >= outer[1] - 0.5 and inner[2] <= outer[2] + 0.5 and inner[3] <= outer[3] + 0.5


def check_cards(page, selector: str, *, with_actions: bool) -> int:
    assert no_horizontal_overflow(page), f"{page.url} scrolls sideways"
    width = page.viewport_size["width"]
    cards = page.eval_on_selector_all(selector, CARDS)
    assert cards, f"{page.url}: no cards"
    for c in cards:
        assert c["card"][2] <= width + 0.5, f"{c['id']}: the card is wider than the screen"
        assert c["name"] and c["name"][2] <= width, f"{c['id']}: the name is off-screen"
        if with_actions:
            assert c["actions"], f"{c['id']}: no actions on its card"
        for a in c["actions"]:
            assert inside(a["box"], c["card"]), f"{c['id']}: {a['what']} is outside its card"
    assert small_targets(page) == [], page.url
    return len(cards)


def test_station_lists_on_a_phone(phone, demo):
    from zhiyuan.stations.models import ServicePoint

    page = phone
    errors = watch_console(page)
    login(page, demo["county_manager"])
    page.goto("/stations/manage/")
    n = check_cards(page, "#points tr[data-point]", with_actions=True)
    assert n == min(ServicePoint.objects.filter(region_code__gte="441302000000", region_code__lte="441302999999").count(), 30)
    page.goto("/stations/manage/?page_size=30&sort=name&status=active")  # filtered and sorted: still cards
    check_cards(page, "#points tr[data-point]", with_actions=True)
    # a card's "详情" opens that point
    first = page.locator("#points tr[data-point]").first
    point_id = first.get_attribute("data-point")
    first.locator("a[data-action=detail]").click()
    page.wait_for_url(f"**/stations/manage/{point_id}/")
    assert no_horizontal_overflow(page)

    page.goto("/stations/")  # the public list
    check_cards(page, "#points tr[data-point]", with_actions=False)
    assert not errors, errors


def test_station_admins_points_on_a_phone(phone, demo):
    page = phone
    login(page, demo["station_admin"])
    page.goto("/stations/mine/?sort=name")  # the list itself (with one point, /mine/ opens it)
    check_cards(page, "#my-points tr[data-point]", with_actions=True)


def test_region_browser_on_a_phone(phone, demo):
    page = phone
    errors = watch_console(page)
    login(page, demo["city_manager"])
    page.goto("/regions/441900000000/?page_size=20")  # 东莞: 30-odd towns, more than one page
    check_cards(page, "#regions tr[data-region]", with_actions=False)
    first_codes = page.eval_on_selector_all("#regions tr[data-region]", "trs => trs.map(t => t.dataset.region)")
    assert len(first_codes) == 20
    page.click("#regions a[data-next]")
    page.wait_for_selector("#regions a:has-text('回到第一页')")
    check_cards(page, "#regions tr[data-region]", with_actions=False)
    more = page.eval_on_selector_all("#regions tr[data-region]", "trs => trs.map(t => t.dataset.region)")
    assert more and min(more) > max(first_codes)  # forward, in code order, no repeats
    page.goto("/regions/?q=%E6%83%A0")  # a search ("惠")
    check_cards(page, "#regions tr[data-region]", with_actions=False)
    assert not errors, errors

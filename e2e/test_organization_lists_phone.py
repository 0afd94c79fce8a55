"""Issue #7 (phone-first lists): the organizations app's lists on a 390-px phone — the public
directory (anonymous), the managers' organization list and the review queue (demo city manager).
Each is cards (core/partials/_list_table.html): no sideways scrolling, each row's name on
screen, the review queue's approve / reject buttons on that application's card, at least 44x44 px.
(The members list: test_member_cards.py.)"""

import pytest
from e2e_support import login, no_horizontal_overflow, small_targets, watch_console

pytestmark = pytest.mark.browser

CARDS = """trs => trs.map(tr => {
  const box = r => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {
    id: tr.dataset.org,
    card: box(tr),
    name: box(tr.querySelector("td.col-key")),
    actions: [...tr.querySelectorAll("td.col-action button, td.col-action input[type=text]")]
      .map(e => ({what: e.textContent.trim() || e.name, box: box(e)})),
  };
})"""


def inside(inner, outer) -> bool:
    return inner[0] >= outer[0] - 0.5 and inner[1] >= outer[1] - 0.5 and inner[2] <= outer[2] + 0.5 and inner[3] <= outer[3] + 0.5


def cards(page, selector: str, *, at_least: int = 1) -> list[dict]:
    """The rows of the list as cards: each name on screen, each action inside its own card."""
    width = page.viewport_size["width"]
    found = page.eval_on_selector_all(f"{selector} tr[data-org]", CARDS)
    assert len(found) >= at_least, f"{page.url}: {len(found)} cards"
    for c in found:
        assert c["card"][2] <= width + 0.5, f"{page.url}: card {c['id']} wider than the screen"
        assert c["name"][2] <= width + 0.5, f"{page.url}: the name of {c['id']} is off-screen"
        for a in c["actions"]:
            assert inside(a["box"], c["card"]), f"{page.url}: {a['what']} of {c['id']} is outside its card"
    return found


def test_organization_lists_are_cards_on_a_phone(phone, demo):
    page = phone
    errors = watch_console(page)

    # the public directory, anonymous
    page.goto("/organizations/directory/")
    assert no_horizontal_overflow(page), "the directory scrolls sideways"
    cards(page, "#directory", at_least=3)
    assert page.eval_on_selector("#directory tbody tr", "tr => getComputedStyle(tr).display") == "flex"  # cards
    assert small_targets(page) == []
    page.goto("/organizations/directory/?kind=team&page_size=20")
    assert no_horizontal_overflow(page)
    assert page.locator("#directory tr[data-org]").count() >= 1

    login(page, demo["city_manager"])

    # the managers' list, unfiltered and filtered
    page.goto("/organizations/manage/")
    assert no_horizontal_overflow(page), "the organization list scrolls sideways"
    cards(page, "#org-list", at_least=8)
    assert small_targets(page) == []
    page.goto("/organizations/manage/?kind=team")
    assert no_horizontal_overflow(page)
    cards(page, "#org-list")

    # the review queue: the approve / reject buttons on the application's own card
    page.goto("/organizations/manage/review/")
    assert no_horizontal_overflow(page), "the review queue scrolls sideways"
    for c in cards(page, "#review-list"):
        assert {a["what"] for a in c["actions"]} >= {"通过", "不通过"}, c
    assert small_targets(page, "#review-list button, #review-list input[type=text]") == []
    assert small_targets(page) == []
    assert not errors, errors

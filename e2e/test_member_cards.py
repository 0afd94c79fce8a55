"""Issue #7 (phone-first lists): an organization's member list on a 390-px phone, as the demo
organization admin. The list is cards: no sideways scrolling, each member's actions are buttons
on that member's card (beside the name, never off-screen), at least 44x44 px; approving a pending
applicant from the phone works."""

import pytest
from e2e_support import login, no_horizontal_overflow, small_targets, watch_console

ORG = "桥东街道长者关爱志愿服务中心"  # administered by the demo org_admin; two pending applications

pytestmark = pytest.mark.browser

CARDS = """trs => trs.map(tr => {
  const box = r => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {
    id: tr.dataset.member,
    card: box(tr),
    name: box(tr.querySelector("td.col-key")),
    actions: [...tr.querySelectorAll("td.col-action button, td.col-action input[type=text], td.col-action select")]
      .map(e => ({what: e.textContent.trim() || e.name, box: box(e)})),
  };
})"""


def inside(inner, outer) -> bool:
    return inner[0] >= outer[0] - 0.5 and inner[1] >= outer[1] - 0.5 and inner[2] <= outer[2] + 0.5 and inner[3] <= outer[3] + 0.5


def test_member_cards_on_a_phone(phone, demo):
    from zhiyuan.organizations.models import Membership, Organization

    page = phone
    org = Organization.objects.get(name=ORG)
    assert Membership.objects.filter(organization=org, status="applied").exists()
    errors = watch_console(page)
    login(page, demo["org_admin"])
    page.goto(f"/organizations/manage/{org.pk}/")
    assert no_horizontal_overflow(page), "the members page scrolls sideways"
    width = page.viewport_size["width"]

    cards = page.eval_on_selector_all("#member-list tr[data-member]", CARDS)
    assert len(cards) >= 3
    for c in cards:
        assert c["name"][2] <= width, f"member {c['id']}: the name is off-screen"
        assert c["actions"], f"member {c['id']}: no actions on its card"
        for a in c["actions"]:
            assert inside(a["box"], c["card"]), f"member {c['id']}: {a['what']} is outside its card"
            assert a["box"][2] <= width, f"member {c['id']}: {a['what']} is off-screen"
    assert small_targets(page, "#member-list button, #member-list input[type=text], #member-list select") == []
    assert small_targets(page) == []

    # approve a pending applicant from the phone
    card = page.locator("#member-list tr[data-member]:has([data-status=applied])").first
    member_id = card.get_attribute("data-member")
    card.locator("button[data-action=approve]").click()
    page.wait_for_selector(".msg-success")
    card = page.locator(f"#member-list tr[data-member='{member_id}']")
    assert card.locator("[data-status]").get_attribute("data-status") == "active"
    assert card.locator("button[data-action=remove]").count() == 1
    assert no_horizontal_overflow(page)
    assert not errors, errors
    assert Membership.objects.get(pk=member_id).status == Membership.Status.ACTIVE

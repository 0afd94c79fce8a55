"""ACT-2 on a 390-px phone, signed out: the activity square shows cards without sideways
scrolling, the category filter narrows them, a card opens the recruitment notice with its
sign-up button; the map view draws the page's activities with the vendored Leaflet."""

import pytest
from e2e_support import no_horizontal_overflow, small_targets, watch_console

pytestmark = pytest.mark.browser

CARDS = """cards => cards.map(c => {
  const b = c.getBoundingClientRect();
  const t = c.querySelector(".square-card-title a").getBoundingClientRect();
  return {id: c.dataset.activity, right: b.right, title_right: t.right};
})"""


@pytest.fixture
def activities(demo):
    from zhiyuan.activities.tests.factories import at, published_activity
    from zhiyuan.organizations.models import Organization

    org = Organization.objects.filter(status="active").order_by("id").first()
    p, lib = [(at(2, 9), at(2, 12))], [(at(3, 14), at(3, 17))]
    made = {
        "park": published_activity(org, title="江北公园环境清洁行动（周末场）", category="environment", shifts=p),
        "library": published_activity(org, title="图书馆亲子阅读导读", category="education_support", shifts=lib),
        "elderly": published_activity(
            org, title="社区长者智能手机课堂", category="smart_elderly",
            address="惠州市惠城区江北街道某某社区党群服务中心二楼活动室",
            shifts=[(at(4, 9), at(4, 11))], risks="注意防滑。", safeguards="已投保意外险。",
        ),
    }  # fmt: skip
    return made


def test_the_square_on_a_phone(phone, activities):
    page = phone
    errors = watch_console(page)
    page.goto("/activities/square/")
    assert page.locator('#mainnav [data-nav="activities_square"]').count() == 1
    cards = page.eval_on_selector_all(".square-card", CARDS)
    assert len(cards) >= 3
    assert no_horizontal_overflow(page), "the square scrolls sideways"
    width = page.viewport_size["width"]
    for c in cards:
        assert c["right"] <= width + 0.5 and c["title_right"] <= width + 0.5, c
    assert small_targets(page) == []

    # filter by category
    page.select_option("#id_category", "smart_elderly")
    page.locator("#square-filters button[type=submit]").click()
    page.wait_for_url("**category=smart_elderly**")
    titles = page.locator(".square-card-title").all_inner_texts()
    assert titles == ["社区长者智能手机课堂"]
    assert no_horizontal_overflow(page)

    # the map view of the same page (Leaflet from our own static files, no tiles configured)
    page.locator("[data-view=map]").click()
    page.wait_for_selector(".square-map .leaflet-marker-icon")
    assert page.locator(".square-map .leaflet-marker-icon").count() == 1
    assert no_horizontal_overflow(page)

    # open the notice
    page.locator(".square-card-title a").first.click()
    page.wait_for_url(f"**/activities/square/{activities['elderly'].pk}/")
    assert page.locator("h1").inner_text() == "社区长者智能手机课堂"
    assert page.get_by_text("注意防滑。").is_visible() and page.get_by_text("已投保意外险。").is_visible()
    signup = page.locator("[data-signup]")
    assert signup.is_visible()
    box = signup.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= width + 0.5
    assert no_horizontal_overflow(page)
    assert errors == []


def test_the_organizer_rates_a_participant_on_a_phone(phone, demo):
    """ACT-6: the organizer's evaluation page fits a 390-px screen; a rating is saved from a card."""
    from e2e_support import login

    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.activities.evaluation_models import VolunteerRating
    from zhiyuan.activities.tests.factories import at, published_activity
    from zhiyuan.activities.tests.test_evaluations import served
    from zhiyuan.organizations.models import Organization
    from zhiyuan.volunteers.models import Volunteer

    role = RoleAssignment.objects.filter(role="org_admin", active=True, user__mobile=demo["org_admin"]["mobile"]).first()
    a = published_activity(Organization.objects.get(pk=role.object_id), shifts=[(at(-2, 9), at(-2, 12))])
    people = list(Volunteer.objects.order_by("id")[:2])
    for v in people:
        served(a, v)
    page = phone
    errors = watch_console(page)
    login(page, demo["org_admin"])
    page.goto(f"/activities/{a.pk}/evaluations/")
    assert no_horizontal_overflow(page)
    card = page.locator(f'[data-participant="{people[0].pk}"]')
    card.locator("select[name=stars]").select_option("4")
    card.locator("input[name=comment]").fill("准时到岗，认真负责")
    card.locator("button[type=submit]").click()
    page.wait_for_selector(f'[data-participant="{people[0].pk}"] [data-stars]')
    assert VolunteerRating.objects.get(activity=a, volunteer=people[0]).stars == 4
    assert no_horizontal_overflow(page) and small_targets(page) == []
    assert errors == []

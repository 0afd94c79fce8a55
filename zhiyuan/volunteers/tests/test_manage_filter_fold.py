"""The manager list keeps search, status and region in view and folds the other filters, open
while one of them is set (on a phone the 13 filters pushed the table ~880 px down)."""

import re

import pytest

pytestmark = pytest.mark.django_db
PAGE = "/volunteers/manage/"
PRIMARY = {"q", "status", "region"}
ADVANCED = {"gender", "age_min", "age_max", "political_status", "skill", "service_category",
            "registered_from", "registered_to", "sort", "page_size"}  # fmt: skip


def fold(client, params=None) -> tuple[set, set, bool]:
    """(filters outside the fold, filters inside it, whether it renders open)."""
    page = client.get(PAGE, params or {}).content.decode()
    form = page.split('id="volunteer-filters"', 1)[1].split("</form>", 1)[0]
    before, rest = form.split("<details", 1)
    tag, inside = rest.split(">", 1)
    inside = inside.split("</details>", 1)[0]
    names = re.compile(r'data-filter="([a-z_]+)"')
    return set(names.findall(before)), set(names.findall(inside)), " open" in tag


def test_primary_filters_stay_in_view_and_the_rest_fold(client, county_manager, volunteer):
    client.force_login(county_manager)
    outside, inside, is_open = fold(client)
    assert outside == PRIMARY and inside == ADVANCED and not is_open


ACTIVE = [
    {"gender": "2"},
    {"age_min": "18"},
    {"skill": "x"},  # an invalid value: its error must show
    {"registered_to": "2030-01-01"},
    {"sort": "name"},
    {"page_size": "50"},
    {"age_min": "abc"},
]


@pytest.mark.parametrize("params", ACTIVE)
def test_fold_opens_while_an_advanced_filter_is_set(client, county_manager, params):
    client.force_login(county_manager)
    assert fold(client, params)[2], params


def test_fold_stays_closed_for_main_filters_and_defaults(client, county_manager):
    """Submitting the form sends the folded fields too (their defaults): that is not a filter."""
    client.force_login(county_manager)
    defaults = {"q": "陈", "status": "active", "gender": "", "age_min": "", "sort": "-registered_at", "page_size": "20"}
    assert not fold(client, defaults)[2]

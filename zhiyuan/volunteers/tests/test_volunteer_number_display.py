"""One way to show a volunteer number (grouped, as on the card) on every page, and a search that
takes it back with or without the spaces."""

import re

import pytest
from django.template import Context, Template

from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.numbers import normalize_volunteer_no
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db
MANAGE = "/volunteers/manage/"


def grouped(no: str) -> str:
    return f'<span class="vno">{no[:4]} {no[4:7]} {no[7:10]} {no[10]}</span>'


def listed_ids(r) -> set[int]:
    return {int(m) for m in re.findall(r'data-volunteer="(\d+)"', r.content.decode())}


def test_filter_groups_and_escapes():
    out = Template("{% load volunteers %}{{ a|volunteer_no }}|{{ b|volunteer_no }}|{{ c|volunteer_no }}").render(
        Context({"a": "0000012345X", "b": "<b>", "c": None})
    )
    assert out == '<span class="vno">0000 012 345 X</span>|<span class="vno">&lt;b&gt;</span>|'


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0000 012 345 x", "0000012345X"),
        ("0000\u00a0012\u00a0345\u00a06", "00000123456"),  # copied from a page with no-break spaces
        ("0000-012-345-6", "00000123456"),
        (" 00000123456 ", "00000123456"),
    ],
)
def test_normalize(typed, stored):
    assert normalize_volunteer_no(typed) == stored


def test_every_page_shows_the_same_grouped_number(client, county_manager, volunteer):
    want = grouped(volunteer.volunteer_no)
    client.force_login(county_manager)
    assert want in client.get(MANAGE).content.decode()
    assert client.get(f"{MANAGE}{volunteer.pk}/").content.decode().count(want) == 2  # heading and details
    client.force_login(volunteer.user)
    assert want in client.get("/volunteers/me/card/").content.decode()
    assert want in client.get("/volunteers/me/").content.decode()
    token, _expires = svc.card_token_issue(actor=volunteer.user)
    assert want in client.get("/volunteers/card/verify/", {"t": token}).content.decode()


def test_manager_search_accepts_the_number_with_or_without_spaces(client, county_manager, volunteer):
    other = f.register(name="李四", region_code=f.HUICHENG_TOWN)
    no = volunteer.volunteer_no
    client.force_login(county_manager)
    for q in (no, no.lower(), f"{no[:4]} {no[4:7]} {no[7:10]} {no[10]}", f"{no[:4]}\u00a0{no[4:7]}\u00a0{no[7:]}"):
        assert listed_ids(client.get(MANAGE, {"q": q})) == {volunteer.pk}, q
    mobile = other.user.mobile
    assert listed_ids(client.get(MANAGE, {"q": f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"})) == {other.pk}
    assert [i["id"] for i in client.get("/api/v1/volunteers", {"q": f"{no[:4]} {no[4:]}"}).json()["items"]] == [volunteer.pk]

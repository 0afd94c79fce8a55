"""The registration page reports every problem in one pass (issue #8 item 5): the form's own
checks and the registration rules together, what was typed kept (passwords too), a summary at
the top that links to each field."""

import re

import pytest
from django.urls import reverse

from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db


def post(client, **overrides):
    data = f.registration_data(**overrides)
    body = {k: ("on" if v is True else "" if v is False else v) for k, v in data.items()}
    body["password2"] = body["password"]
    body.update({k: v for k, v in overrides.items() if k == "password2"})
    return client.post(reverse("volunteers:register"), body)


def summary_links(html: str) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert block, "no error summary"
    return re.findall(r'data-error-for="([a-z_0-9]+)"', block.group(0))


def test_password_mismatch_and_bad_id_are_reported_together(client):
    r = post(client, id_number="441302199003071234", password2="Other#Pass2026", name="")
    html = r.content.decode()
    assert r.status_code == 200 and Volunteer.objects.count() == 0
    links = summary_links(html)
    assert {"password2", "id_number", "name"} <= set(links)
    assert 'href="#id_id_number"' in html


def test_what_was_typed_is_kept_including_passwords(client):
    r = post(client, id_number="441302199003071234", email="chen@example.cn")
    html = r.content.decode()
    assert 'value="441302199003071234"' in html and 'value="chen@example.cn"' in html
    assert len(re.findall(r'type="password"[^>]*value="Zhiyuan#2026"|value="Zhiyuan#2026"[^>]*type="password"', html)) == 2


def test_a_clean_page_has_no_summary(client):
    html = client.get(reverse("volunteers:register")).content.decode()
    assert "data-error-summary" not in html


def test_a_valid_registration_still_goes_through(client):
    r = post(client)
    assert r.status_code == 302 and Volunteer.objects.count() == 1


def test_english_pages_say_the_legal_texts_are_chinese_only(client):
    english = client.get(reverse("volunteers:register"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(reverse("volunteers:register"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "data-chinese-only" in english and "data-chinese-only" not in chinese

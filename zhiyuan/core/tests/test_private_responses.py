"""Issue #11 item 7: a response with personal data is never cached (core.middleware)."""

import pytest
from django.urls import reverse

from zhiyuan.volunteers.tests import factories as f

API = "/api/v1/volunteers"


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        API + "/me/export",  # JSON with the unmasked document number: had no header at all
        API + "/me/export?format=xlsx",
        API + "/me",
        "/volunteers/me/export.json",
        "/volunteers/me/",
    ],
)
def test_signed_in_personal_data_is_no_store(client, volunteer, path):
    client.force_login(volunteer.user)
    r = client.get(path)
    assert r.status_code == 200
    assert no_store(r), r.get("Cache-Control")


@pytest.mark.django_db
def test_api_token_response_is_no_store(client, city_manager):
    from zhiyuan.accounts.services import api_token_create

    _, secret = api_token_create(actor=city_manager, name="t", can_write=False)
    r = client.get(API, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert r.status_code == 200
    assert no_store(r)


@pytest.mark.django_db
def test_anonymous_registration_answer_is_no_store(client):
    import json

    r = client.post(API + "/register", data=json.dumps(f.registration_data()), content_type="application/json")
    assert r.status_code == 201
    assert no_store(r)


@pytest.mark.django_db
def test_an_explicit_public_policy_on_an_anonymous_page_is_kept(client):
    r = client.get(reverse("home"))
    assert r.status_code in (200, 302)
    assert not no_store(r)


@pytest.mark.django_db
def test_pages_send_a_content_security_policy_without_inline(client, volunteer):
    client.force_login(volunteer.user)
    for r in (client.get("/"), client.get("/volunteers/me/"), client.get("/api/v1/volunteers/me")):
        policy = r["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_no_template_has_inline_script_handler_or_style():
    """The policy blocks them: an inline <script>, an on*= handler or a style= attribute."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bad = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\son[a-z]+=\"|\sstyle=\"|<style")
    found = [f"{p.relative_to(root)}:{m.group(0)}" for p in root.rglob("*.html") for m in bad.finditer(p.read_text())]
    assert not found, found

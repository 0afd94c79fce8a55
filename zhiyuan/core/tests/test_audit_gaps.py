"""Audit of issue #2 (foundation): behaviour checks that had no test of their own.

Tests marked ``xfail(strict=True)`` document a bug found by the audit: they fail today and must
pass once it is fixed (then remove the marker).
"""

import re

import pytest


@pytest.mark.django_db
def test_api_docs_page_uses_only_local_assets(client):
    from django.contrib.staticfiles import finders

    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == [], external
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    # the Swagger UI it loads is django-ninja's vendored copy, found by collectstatic
    assets = re.findall(r'(?:src|href)="/static/([^"?]+)', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert finders.find(asset), asset
    settings = re.search(r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S)
    assert '"validatorUrl": null' in settings.group(1)  # no badge fetched from validator.swagger.io


HAN = re.compile(r"[\u4e00-\u9fff]")


def _assert_error_shape(r, status):
    assert r.status_code == status, (r.status_code, r.content[:200])
    body = r.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert HAN.search(body["message"]), body
    for messages in body["fields"].values():
        assert all(HAN.search(m) for m in messages), body
    return body


@pytest.mark.django_db
def test_api_errors_are_one_chinese_shape_for_401_and_oversize_input(client):
    _assert_error_shape(client.get("/api/v1/volunteers"), 401)
    body = _assert_error_shape(client.get("/api/v1/volunteers", {"q": "名" * 10_000}), 401)
    assert body["code"] == "unauthenticated"
    r = client.post("/api/v1/volunteers/register", '{"name": "' + "名" * 10_000 + '"}', content_type="application/json")
    assert r.status_code in (400, 422) and set(r.json()) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_every_api_error_is_the_json_shape_with_chinese_messages(client):
    _assert_error_shape(client.get("/api/v1/no-such-thing"), 404)
    _assert_error_shape(client.post("/api/v1/volunteers/register", "{not json", content_type="application/json"), 400)
    _assert_error_shape(client.post("/api/v1/volunteers/register", '{"name": 5}', content_type="application/json"), 422)

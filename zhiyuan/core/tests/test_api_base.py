"""The API base: OpenAPI served, one error shape, Chinese messages by default."""

import pytest


@pytest.mark.django_db
def test_ping_is_public_json(client):
    r = client.get("/api/v1/ping")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


@pytest.mark.django_db
def test_openapi_document_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["info"]["title"]
    ops = {op.get("operationId") for path in doc["paths"].values() for op in path.values()}
    assert "ping" in ops
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_unauthenticated_error_shape_is_chinese(client):
    r = client.get("/api/v1/accounts/me")
    assert r.status_code == 401
    body = r.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "unauthenticated"
    assert "登录" in body["message"]


@pytest.mark.django_db
def test_error_messages_switch_to_english(client):
    r = client.get("/api/v1/accounts/me", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 401
    assert "登录" not in r.json()["message"]


@pytest.mark.django_db
def test_unknown_path_is_404_json(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404

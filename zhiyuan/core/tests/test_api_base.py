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


# --- every error in the one shape (audit B4) ----------------------------------------------------


def _shape(r, status, code):
    assert r.status_code == status, (r.status_code, r.content[:200])
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"code", "message", "fields"} and body["code"] == code, body
    return body


@pytest.mark.django_db
def test_unknown_paths_and_methods_answer_the_json_shape(client):
    for path in ("/api/v1/no-such-thing", "/api/v1/no-such-thing/", "/api/v1/volunteers/register/extra", "/api/v2/ping"):
        body = _shape(client.get(path), 404, "not_found")
        assert "不存在" in body["message"], path
    r = client.delete("/api/v1/ping")
    body = _shape(r, 405, "method_not_allowed")
    assert "GET" in r["Allow"] and "请求方法" in body["message"]
    # pages outside /api/ keep their HTML 404
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and "text/html" in r["Content-Type"]


@pytest.mark.django_db
def test_unparsable_json_is_a_chinese_400(client):
    for raw in ("{not json", '{"name": ', "\xff"):
        body = _shape(client.post("/api/v1/volunteers/register", raw, content_type="application/json"), 400, "invalid")
        assert "JSON" in body["message"] and "Cannot parse" not in body["message"]


@pytest.mark.django_db
def test_pydantic_type_errors_have_chinese_field_messages(client):
    payload = {"name": 5, "id_type": "x" * 10_001, "id_number": None, "region_code": "441302", "mobile": "1"}
    body = _shape(client.post("/api/v1/volunteers/register", payload, content_type="application/json"), 422, "invalid")
    f = body["fields"]
    assert f["name"] == ["请填写文本。"]
    assert f["id_type"] == ["不能超过 10000 个字符。"]
    assert f["id_number"] == ["请填写文本。"]
    assert f["password"] == ["此项为必填项。"]


@pytest.mark.django_db
def test_query_type_errors_have_chinese_field_messages(client, county_manager):
    client.force_login(county_manager)
    body = _shape(client.get("/api/v1/volunteers", {"age_min": "abc", "age_max": 500, "page_size": "x"}), 422, "invalid")
    assert body["fields"]["age_min"] == ["请填写整数。"]
    assert body["fields"]["age_max"] == ["不能大于 120。"]
    assert body["fields"]["page_size"] == ["请填写整数。"]


@pytest.mark.django_db
def test_api_error_messages_switch_to_english(client):
    r = client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["message"] == "No such API endpoint or object."
    r = client.post("/api/v1/volunteers/register", "{x", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["message"] == "The request body could not be parsed; send valid JSON."
    r = client.post("/api/v1/volunteers/register", {"name": 5}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["fields"]["name"] == ["Enter text."]


def test_every_mapped_pydantic_message_fills_its_placeholders():
    from zhiyuan.core.api import _pydantic_messages, pydantic_message

    ctx = {"min_length": 2, "max_length": 5, "gt": 1, "ge": 1, "lt": 9, "le": 9, "multiple_of": 3}
    for kind in _pydantic_messages():
        msg = pydantic_message({"type": kind, "ctx": ctx})
        assert "%(" not in msg and msg != "取值无效。", kind
    assert pydantic_message({"type": "string_too_long", "ctx": {"max_length": 50}}) == "不能超过 50 个字符。"
    assert pydantic_message({"type": "value_error", "ctx": {"error": "身份证号码无效。"}}) == "身份证号码无效。"
    assert pydantic_message({"type": "some_new_type"}) == "取值无效。"
    assert pydantic_message({"type": "greater_than"}) == "取值无效。"  # no ctx: no half-filled template


def test_server_errors_under_api_are_json_too(rf):
    from django.http import HttpResponseServerError

    from zhiyuan.core.api import ApiErrorShapeMiddleware

    mw = ApiErrorShapeMiddleware(lambda request: HttpResponseServerError("<h1>Server Error</h1>"))
    r = mw(rf.get("/api/v1/volunteers"))
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    assert r.content.decode().startswith('{"code": "server_error", "message": "服务器内部错误')
    html = mw(rf.get("/volunteers/"))
    assert html.status_code == 500 and b"<h1>" in html.content

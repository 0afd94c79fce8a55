"""API contracts (issue #8 item 3): one name per schema, bodies are JSON objects with known
fields only, dates are ISO dates, an oversized body is a 413, refusals are logged quietly."""

import json
import logging

import pytest
from ninja import Schema

from zhiyuan.api import api
from zhiyuan.organizations.tests.factories import active_org
from zhiyuan.stations.tests.factories import point

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _schemas_under(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _schemas_under(sub)


def test_every_schema_name_is_unique():
    """django-ninja keys the OpenAPI components by class name: two schemas of one name silently
    replace each other (change_volunteer_status once documented the organizations' body)."""
    seen: dict[str, set[str]] = {}
    for cls in _schemas_under(Schema):
        if cls.__module__.startswith("zhiyuan."):
            seen.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(where) for name, where in seen.items() if len(where) > 1}
    assert not clashes, clashes


def _body_schemas():
    doc = api.get_openapi_schema()
    components = doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if JSON in content:
                ref = content[JSON]["schema"]["$ref"].rsplit("/", 1)[-1]
                yield f"{method.upper()} {path}", ref, components[ref]


def test_the_openapi_document_names_each_body_schema_once():
    doc = api.get_openapi_schema()
    by_op = {op["operationId"]: op for ops in doc["paths"].values() for op in ops.values()}
    ref = by_op["change_volunteer_status"]["requestBody"]["content"][JSON]["schema"]["$ref"]
    assert set(doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]) == {"to_status", "reason"}


def test_every_json_body_refuses_unknown_fields():
    """The generic guard: every body schema derives from core.api.InSchema (extra="forbid")."""
    bodies = list(_body_schemas())
    assert len(bodies) > 20
    loose = [(op, name) for op, name, schema in bodies if schema.get("additionalProperties") is not False]
    assert not loose, loose


@pytest.fixture
def org(county_manager):
    return active_org(county_manager)


@pytest.mark.parametrize("body", ["[null, null]", "false", "-170", '"text"', "null", "[]"])
def test_a_body_that_is_not_an_object_is_a_422(client, county_manager, org, volunteer, body):
    client.force_login(county_manager)
    p = point(county_manager)
    for method, path in (
        (client.patch, f"/api/v1/organizations/{org.pk}"),
        (client.post, f"/api/v1/stations/points/{p.pk}/close"),
        (client.post, f"/api/v1/volunteers/{volunteer.pk}/reveal-id"),
    ):
        r = method(path, body, content_type=JSON)
        assert r.status_code == 422, (path, body, r.content)
        assert r.json()["code"] == "invalid"
    p.refresh_from_db()
    assert p.status == "active"


def test_an_unknown_field_is_a_422_naming_it(client, county_manager, org):
    client.force_login(county_manager)
    r = client.patch(f"/api/v1/organizations/{org.pk}", {"intro": "新简介", "colour": "red"}, content_type=JSON)
    assert r.status_code == 422, r.content
    assert list(r.json()["fields"]) == ["colour"] and "colour" in r.json()["fields"]["colour"][0]
    org.refresh_from_db()
    assert org.intro != "新简介"


def test_a_field_the_role_may_not_change_is_a_422_naming_it(client, county_manager, org):
    """An organization admin may change the profile, not the region: refused, not ignored."""
    client.force_login(org.created_by)
    r = client.patch(f"/api/v1/organizations/{org.pk}", {"intro": "新简介", "region_code": "441302002000"}, content_type=JSON)
    assert r.status_code == 422, r.content
    assert list(r.json()["fields"]) == ["region_code"]
    org.refresh_from_db()
    assert org.intro != "新简介"
    assert client.patch(f"/api/v1/organizations/{org.pk}", {"intro": "新简介"}, content_type=JSON).status_code == 200
    client.force_login(county_manager)
    r = client.patch(f"/api/v1/organizations/{org.pk}", {"region_code": "441302002000"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["region_code"] == "441302002000"


@pytest.mark.parametrize("value", ["0", "20240101", "1714521600", "2024-13-01", "2024-1-1", "yesterday"])
def test_a_filter_date_is_an_iso_date(client, platform_admin, value):
    client.force_login(platform_admin)
    for path, name in (("/api/v1/volunteers", "registered_to"), ("/api/v1/accounts/audit-entries", "date_to")):
        r = client.get(path, {name: value})
        assert r.status_code == 422, (path, value, r.content)
        assert list(r.json()["fields"]) == [name]
        assert client.get(path, {name: "2024-05-01"}).status_code == 200


def test_a_token_expiry_is_an_iso_datetime(client, county_manager):
    client.force_login(county_manager)
    r = client.post("/api/v1/accounts/tokens", {"name": "t", "expires_at": 0}, content_type=JSON)
    assert r.status_code == 422 and list(r.json()["fields"]) == ["expires_at"], r.content
    r = client.post("/api/v1/accounts/tokens", {"name": "t", "expires_at": "2099-05-01T08:00:00+08:00"}, content_type=JSON)
    assert r.status_code == 201, r.content


def test_an_oversized_body_is_a_413(client, county_manager, org, settings):
    client.force_login(county_manager)
    body = json.dumps({"intro": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    r = client.patch(f"/api/v1/organizations/{org.pk}", body, content_type=JSON)
    assert r.status_code == 413, r.content[:300]
    assert r.json()["code"] == "too_large" and "过大" in r.json()["message"]


def test_a_refusal_is_logged_as_a_warning_without_a_traceback(client, plain_user, caplog):
    client.force_login(plain_user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/regions/population/template.xlsx").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.levelno == logging.WARNING and r.exc_info is None for r in records)
    assert "Traceback" not in caplog.text


def test_a_malformed_multipart_body_is_a_400_in_the_error_shape(client, county_manager):
    client.force_login(county_manager)
    r = client.generic("POST", "/api/v1/volunteers/import", b"--x\r\nbroken", content_type="multipart/form-data")
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "invalid"

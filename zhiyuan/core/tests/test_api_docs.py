"""docs/api.md stays true: every operation in the OpenAPI document is named in the guide."""

from pathlib import Path

import pytest
from django.conf import settings

from zhiyuan.api import api


def test_every_api_operation_is_documented():
    guide = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text(encoding="utf-8")
    schema = api.get_openapi_schema()
    operations = {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}
    missing = sorted(op for op in operations if f"`{op}`" not in guide)
    assert not missing, f"operations missing from docs/api.md: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/regions/", "/api/v1/stations/public/points", "/api/v1/organizations/public"])
@pytest.mark.parametrize(
    "params, field",
    [
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "99999999999999999999999"}, "page_size"),
        ({"cursor": "x"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # base64 of []
        ({"cursor": "A" * 513}, "cursor"),
    ],
)
def test_a_keyset_page_out_of_range_is_a_422_not_a_server_error(client, path, params, field):
    """docs/api.md "Pagination": keyset lists take page_size 1-100 and the previous next_cursor."""
    r = client.get(path, params)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "invalid" and field in r.json()["fields"], r.json()

"""The JSON API under /api/v1/ (django-ninja). Each app contributes one Router per resource."""

from django.utils.module_loading import import_string
from ninja import NinjaAPI, Swagger

from zhiyuan.accounts.api_auth import SessionAuth, TokenAuth
from zhiyuan.core.api import install_error_handlers

# The web server (gunicorn, limit_request_line 4094) answers 414 with a small HTML page before
# Django sees a request whose URL is too long — e.g. a list's query string with thousands of
# percent-encoded characters. Every operation that takes query parameters can meet it, so the
# document says so (schemathesis in .ci/api_fuzz.sh checks every answered status is listed).
URI_TOO_LONG = {"description": "URI Too Long: the request line exceeds 4 KB (answered by the web server, HTML)",
                "content": {"text/html": {"schema": {"type": "string"}}}}  # fmt: skip


class ZhiyuanAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for ops in schema["paths"].values():
            for op in ops.values():
                if any(p.get("in") == "query" for p in op.get("parameters", [])):
                    op.setdefault("responses", {}).setdefault(414, URI_TOO_LONG)
        return schema


api = ZhiyuanAPI(
    title="志愿服务信息系统 API",
    version="1",
    description="Zhiyuan volunteer-service information system. See docs/api.md.",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    # Swagger UI from django-ninja's vendored static files ("ninja" in INSTALLED_APPS); no online
    # validator badge, which would fetch from validator.swagger.io (no external host, issue #2)
    docs=Swagger(settings={"validatorUrl": None}),
)
install_error_handlers(api)

# (mount path, router). Order is the order in the OpenAPI document.
ROUTERS = [
    ("/", "zhiyuan.core.api_views.router"),
    ("/regions", "zhiyuan.regions.api.router"),
    ("/accounts", "zhiyuan.accounts.api.router"),
    ("/accounts", "zhiyuan.accounts.recovery_api.router"),
    ("/volunteers", "zhiyuan.volunteers.api.router"),
    ("/organizations", "zhiyuan.organizations.api.router"),
    ("/stations", "zhiyuan.stations.api.router"),
    ("/insurance", "zhiyuan.insurance.api.router"),
    ("/training", "zhiyuan.training.api.router"),
    ("/activities", "zhiyuan.activities.api.router"),
    ("/records", "zhiyuan.records.api.router"),
    ("/exports", "zhiyuan.core.exports_api.router"),
    ("/notifications", "zhiyuan.core.notifications_api.router"),
]
for prefix, path in ROUTERS:
    api.add_router(prefix, import_string(path))

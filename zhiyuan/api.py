"""The JSON API under /api/v1/ (django-ninja). Each app contributes one Router per resource."""

from django.utils.module_loading import import_string
from ninja import NinjaAPI, Swagger

from zhiyuan.accounts.api_auth import SessionAuth, TokenAuth
from zhiyuan.core.api import install_error_handlers

api = NinjaAPI(
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
    ("/exports", "zhiyuan.core.exports_api.router"),
]
for prefix, path in ROUTERS:
    api.add_router(prefix, import_string(path))

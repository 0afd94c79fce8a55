"""Shared API pieces: the error shape and pagination.

Every error body is ``{"code": str, "message": str, "fields": {field: [messages]}}`` with
Chinese messages (English when the client asks with Accept-Language: en)."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from zhiyuan.core.errors import DomainError


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


def _loc_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or "__all__"


def install_error_handlers(api) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            msg = err.get("msg", "")
            if err.get("type") == "missing":
                msg = _("此项为必填项。")
            fields.setdefault(_loc_name(err.get("loc", ())), []).append(str(msg))
        body = {"code": "invalid", "message": _("提交的数据有误，请检查后重试。"), "fields": fields}
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        body = {"code": "unauthenticated", "message": _("请先登录或提供有效的API令牌。"), "fields": {}}
        return api.create_response(request, body, status=401)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        body = {"code": "not_found", "message": _("对象不存在或无权访问。"), "fields": {}}
        return api.create_response(request, body, status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        body = {"code": f"http_{exc.status_code}", "message": str(exc), "fields": {}}
        return api.create_response(request, body, status=exc.status_code)


MAX_PAGE_SIZE = 100


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    """``(start, end)`` of a list page (docs/api.md "Pagination": ``page`` from 1, ``page_size``
    1–100); out-of-range values are a 422 with the field named."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise DomainError(
            "invalid",
            _("分页参数无效：page 从 1 开始，page_size 为 1 至 100。"),
            fields={"page_size" if page >= 1 else "page": [_("取值超出范围。")]},
            status=422,
        )
    start = (page - 1) * page_size
    return start, start + page_size


def page_of(queryset, *, page: int, page_size: int, item) -> dict:
    """One page of ``queryset`` in the API's list shape ``{items, count, page, page_size}``;
    ``item`` turns a row into its output dict."""
    start, end = page_bounds(page, page_size)
    return {
        "items": [item(obj) for obj in queryset[start:end]],
        "count": queryset.count(),
        "page": page,
        "page_size": page_size,
    }


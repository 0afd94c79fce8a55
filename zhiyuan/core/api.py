"""Shared API pieces: the error shape and pagination.

Every error body is ``{"code": str, "message": str, "fields": {field: [messages]}}`` with
Chinese messages (English when the client asks with Accept-Language: en). That holds for errors
raised inside an operation (handlers below, pydantic messages translated by error type) and for
what Django answers before or around django-ninja — unknown paths, wrong methods, server errors
(``ApiErrorShapeMiddleware``)."""

import datetime
import re
from typing import Annotated

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from zhiyuan.core.errors import DomainError


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


# Every status an operation can answer besides its success (docs/api.md "Errors"): 400 body not
# parseable, 401 not signed in, 403 not allowed, 404 missing or outside the scope, 409 conflict
# with the current state, 413 body too large, 422 invalid input, 429 rate limited.
ERRORS = {s: ErrorOut for s in (400, 401, 403, 404, 409, 413, 422, 429)}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def binary_download(content_type: str = XLSX) -> dict:
    """``openapi_extra`` of an operation whose 200 is a file download: documents the content type
    (the operation's ``response`` then lists only its errors, or a JSON alternative)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": "OK", "content": {content_type: binary}}}}


class InSchema(Schema):
    """Base of every JSON request body. ``extra="forbid"``: a field the schema does not name is a
    422 naming it, not silently dropped, and django-ninja validates the raw body before reading
    attributes off it, so a body that is not a JSON object (``[null]``, ``false``, ``-170``) is a
    422 too instead of passing as an empty object."""

    model_config = ConfigDict(extra="forbid")


_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}.*)?")


def _iso_only(pattern: re.Pattern, kind: str):
    # pydantic's lax mode reads a number (or a string of digits) as a Unix time: "0" became
    # 1970-01-01. A date in a query or body is written YYYY-MM-DD (ISO 8601), nothing else.
    def check(value):
        if isinstance(value, datetime.date):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
            raise PydanticCustomError(kind, "invalid")
        return value.strip()

    return check


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_only(_ISO_DATE_RE, "date_parsing"))]
IsoDateTime = Annotated[datetime.datetime, BeforeValidator(_iso_only(_ISO_DATETIME_RE, "datetime_parsing"))]


def _loc_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or "__all__"


# pydantic v2 error types (https://docs.pydantic.dev/latest/errors/validation_errors/) -> one
# Chinese message each; ``%(name)s`` placeholders are filled from the error's ``ctx``.
def _pydantic_messages() -> dict[str, str]:
    text = _("请填写文本。")
    integer = _("请填写整数。")
    number = _("请填写数字。")
    boolean = _("请填写 true 或 false。")
    date = _("请填写有效日期（YYYY-MM-DD）。")
    datetime = _("请填写有效的日期时间（ISO 8601，如 2024-05-01T09:30:00+08:00）。")
    time = _("请填写有效时间（HH:MM）。")
    a_list = _("请提交列表。")
    an_object = _("请提交对象（键值对）。")
    choice = _("请选择有效的选项。")
    url = _("请填写有效的网址。")
    return {
        "missing": _("此项为必填项。"),
        "string_type": text,
        "string_sub_type": text,
        "string_unicode": _("文本的字符编码无效。"),
        "string_too_short": _("至少需要 %(min_length)s 个字符。"),
        "string_too_long": _("不能超过 %(max_length)s 个字符。"),
        "string_pattern_mismatch": _("格式不正确。"),
        "int_type": integer,
        "int_parsing": integer,
        "int_from_float": integer,
        "int_parsing_size": _("数值超出范围。"),
        "float_type": number,
        "float_parsing": number,
        "decimal_type": number,
        "decimal_parsing": number,
        "finite_number": number,
        "decimal_max_digits": _("数字位数过多。"),
        "decimal_max_places": _("小数位数过多。"),
        "decimal_whole_digits": _("数字位数过多。"),
        "bool_type": boolean,
        "bool_parsing": boolean,
        "date_type": date,
        "date_parsing": date,
        "date_from_datetime_parsing": date,
        "date_from_datetime_inexact": date,
        "datetime_type": datetime,
        "datetime_parsing": datetime,
        "datetime_from_date_parsing": datetime,
        "datetime_object_invalid": datetime,
        "timezone_aware": datetime,
        "timezone_naive": datetime,
        "time_type": time,
        "time_parsing": time,
        "greater_than": _("必须大于 %(gt)s。"),
        "greater_than_equal": _("不能小于 %(ge)s。"),
        "less_than": _("必须小于 %(lt)s。"),
        "less_than_equal": _("不能大于 %(le)s。"),
        "multiple_of": _("必须是 %(multiple_of)s 的倍数。"),
        "too_short": _("至少需要 %(min_length)s 项。"),
        "too_long": _("最多 %(max_length)s 项。"),
        "list_type": a_list,
        "tuple_type": a_list,
        "set_type": a_list,
        "frozen_set_type": a_list,
        "iterable_type": a_list,
        "dict_type": an_object,
        "model_type": an_object,
        "model_attributes_type": an_object,
        "dataclass_type": an_object,
        "enum": choice,
        "literal_error": choice,
        "json_invalid": _("不是有效的JSON。"),
        "json_type": _("不是有效的JSON。"),
        "extra_forbidden": _("不接受字段“%(field)s”：它不存在，或您无权修改。"),
        "none_required": _("此项必须为空。"),
        "uuid_type": _("请填写有效的UUID。"),
        "uuid_parsing": _("请填写有效的UUID。"),
        "url_type": url,
        "url_parsing": url,
        "url_scheme": url,
        "url_syntax_violation": url,
        "url_too_long": url,
        "bytes_type": text,
    }


def pydantic_message(err: dict) -> str:
    """A Chinese (or, by request language, English) message for one pydantic error."""
    kind = err.get("type", "")
    ctx = dict(err.get("ctx") or {})
    ctx.setdefault("field", _loc_name(err.get("loc", ())))
    if kind in ("value_error", "assertion_error") and ctx.get("error"):
        return str(ctx["error"])  # our own validators raise translated messages
    template = _pydantic_messages().get(kind)
    if template is None:
        return _("取值无效。")
    try:
        return template % {k: str(v) for k, v in ctx.items()}
    except (KeyError, TypeError, ValueError):
        return _("取值无效。")


def error_body(code: str, message, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def _http_error_body(status: int) -> dict:
    """The error shape for a status answered outside our own DomainErrors (django-ninja's HttpError,
    Django's 404/405/500 on an /api/ path)."""
    if status == 400:
        # django-ninja: "Cannot parse request body" (malformed JSON or form data)
        return error_body("invalid", _("请求内容无法解析，请提交有效的JSON。"))
    if status == 401:
        return error_body("unauthenticated", _("请先登录或提供有效的API令牌。"))
    if status == 403:
        return error_body("forbidden", _("没有权限执行此操作。"))
    if status == 404:
        return error_body("not_found", _("接口或对象不存在。"))
    if status == 405:
        return error_body("method_not_allowed", _("此接口不支持该请求方法。"))
    if status == 413:
        return error_body("too_large", _("请求内容过大。"))
    if status == 429:
        return error_body("rate_limited", _("请求过于频繁，请稍后再试。"))
    if status >= 500:
        return error_body("server_error", _("服务器内部错误，请稍后重试。"))
    return error_body(f"http_{status}", _("请求无法处理。"))


def install_error_handlers(api) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_loc_name(err.get("loc", ())), []).append(pydantic_message(err))
        body = error_body("invalid", _("提交的数据有误，请检查后重试。"), fields)
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return api.create_response(request, _http_error_body(401), status=401)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        body = error_body("not_found", _("对象不存在或无权访问。"))
        return api.create_response(request, body, status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, _http_error_body(exc.status_code), status=exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        # A JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE (settings): Django refuses to read it.
        return api.create_response(request, _http_error_body(413), status=413)

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request, exc):
        # A malformed multipart upload is the client's error (400), not a fault to log with a traceback.
        return api.create_response(request, _http_error_body(400), status=400)


class ApiErrorShapeMiddleware:
    """Answers in the API's error shape what Django (not django-ninja) answers under ``/api/``: an
    unknown path (404 page), a method the operation lacks (ninja's plain-text 405), a server
    error (the 500 page). Responses already in JSON pass unchanged. Placed after LocaleMiddleware
    so the message is in the request's language."""

    PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(self.PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            json_response = JsonResponse(
                _http_error_body(response.status_code), status=response.status_code, json_dumps_params={"ensure_ascii": False}
            )
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response


MAX_PAGE_SIZE = 100
# 10^8 rows at the smallest page size: beyond any list here (a province has ~10^7 volunteers),
# and small enough that the offset fits every database's integer (a huge page was a 500).
MAX_PAGE = 100_000_000


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    """``(start, end)`` of a list page (docs/api.md "Pagination": ``page`` from 1 to
    100,000,000, ``page_size`` 1–100); out-of-range values are a 422 with the field named."""
    if not 1 <= page <= MAX_PAGE or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise DomainError(
            "invalid",
            _("分页参数无效：page 从 1 开始，page_size 为 1 至 100。"),
            fields={"page" if not 1 <= page <= MAX_PAGE else "page_size": [_("取值超出范围。")]},
            status=422,
        )
    start = (page - 1) * page_size
    return start, start + page_size

"""Exports as services, pages and API operations (issue #7 item 3; ARCHITECTURE rules 4, 7, 9).

A list's export is declared once, as the ``export`` columns of its ``core.lists.ListSpec``;
everything here derives from that declaration:

- ``export_query``      the spec's scoped, validated query, narrowed to the actor's ``export``
                        scope (``visible_to(actor, "export")``) where the model has one: a role
                        that may see a list but not export it (an organization admin and the
                        volunteer list) gets 403.
- ``export_stream``     the synchronous export: up to ``ZHIYUAN_EXPORT_SYNC_ROWS`` rows as a
                        streamed .xlsx (masked, formula-safe, audited once); more is a 409
                        ``export_too_large`` naming the background export instead of a cut-off
                        file.
- ``export_response``   the page's "导出 Excel": the stream, or a page offering the background
                        job when the rows exceed the cap.
- ``export_operation``  ``GET <path>`` on a ninja router: the spec's typed filter parameters,
                        the .xlsx stream, documented with its content type.
- ``register_export`` / ``export_spec``  the lists a background job may name
                        (``core.export_jobs``).
"""

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.lists import EXPORT_LANGUAGE, XLSX, ListQuery, ListSpec, export_rows, filter_schema, list_query

EXPORT_DENIED = gettext_lazy("没有导出此列表的权限。")

_SPECS: dict[str, ListSpec] = {}
_discovered = False


def register_export(spec: ListSpec) -> ListSpec:
    """Make ``spec`` available to background exports under ``spec.name`` (a list without a
    parent: its source takes the actor only). Returns the spec, so a ``lists.py`` may write
    ``VOLUNTEERS = register_export(ListSpec(...))`` or register it after."""
    if not spec.export:
        raise ValueError(f"list {spec.name!r} has no export columns")
    _SPECS[spec.name] = spec
    return spec


def export_spec(name: str) -> ListSpec | None:
    """The registered exportable list called ``name`` (every app's ``lists`` module is imported
    once first, so a worker process that never loaded the API finds them too)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("lists")
        _discovered = True
    return _SPECS.get(name)


def export_specs() -> dict[str, ListSpec]:
    export_spec("")
    return dict(_SPECS)


def label_lookup(choices) -> Callable[[Any], str]:
    """``code → label`` as text in the active language, each language's table made once: an
    export turns the same few labels into text on every row, and a lazy label pays Django's
    translation lookup each time (``choices``: pairs, or a callable returning them)."""
    tables: dict[str, dict] = {}

    def label(code) -> str:
        lang = EXPORT_LANGUAGE.get() or get_language() or settings.LANGUAGE_CODE
        table = tables.get(lang)
        if table is None:
            pairs = choices() if callable(choices) else choices
            table = tables[lang] = {k: str(v) for k, v in pairs}
        return table.get(code, "" if code is None else str(code))

    return label


class ExportTooLarge(DomainError):
    status = 409

    def __init__(self, cap: int):
        super().__init__(
            "export_too_large",
            _("筛选结果超过 %(n)s 行，不能直接下载。请缩小筛选范围，或改用后台导出（完成后在“我的导出”中下载）。")
            % {"n": f"{cap:,}"},
        )
        self.cap = cap


def export_scope(actor, spec: ListSpec, qs: QuerySet) -> QuerySet:
    """``qs`` (the spec's view scope, filtered) narrowed to the rows the actor may export. A
    model whose queryset has no scope actions (``scope_q``) is exported as the list shows it."""
    manager_qs = spec.model._default_manager.all()
    scope_q = getattr(manager_qs, "scope_q", None)
    if scope_q is None:
        return qs
    q = scope_q(actor, "export")
    if q is False:
        raise PermissionDenied(EXPORT_DENIED)
    return qs if q is None else qs.filter(q)


def export_query(*, actor, spec: ListSpec, params, context: dict | None = None) -> ListQuery:
    """The export's rows as a query: the list's own scope and strict filters (422 naming each bad
    field; 403 for a role that may not list), then the export scope (403 without one)."""
    if not spec.export:
        raise PermissionDenied(EXPORT_DENIED)
    lq = list_query(actor=actor, spec=spec, data=params, strict=True, context=context)
    lq.queryset = export_scope(actor, spec, lq.queryset)
    return lq


def rows_over(qs: QuerySet, cap: int) -> bool:
    """More than ``cap`` rows? A bounded count (``COUNT(*)`` over at most ``cap + 1`` ids), never
    a count of the whole scope."""
    return qs.order_by().values("pk")[: cap + 1].count() > cap


def rows_estimate(qs: QuerySet, cap: int) -> int:
    """The rows an export of ``qs`` will write, counted up to ``cap + 1``."""
    return qs.order_by().values("pk")[: cap + 1].count()


def sync_cap() -> int:
    return settings.ZHIYUAN_EXPORT_SYNC_ROWS


def export_stream(
    *, actor, spec: ListSpec, params, request=None, context: dict | None = None, cap: int | None = None
) -> Iterator[bytes]:
    """The list as a streamed .xlsx (chunks of bytes): scoped (list and export scope), validated,
    masked (export columns read masked values only), formula-safe (``excel_safe``) and audited
    once (``<spec.name>.export`` with the filters, not the rows). Over ``cap`` rows
    (``ZHIYUAN_EXPORT_SYNC_ROWS``) it refuses with ``ExportTooLarge`` before writing anything."""
    from zhiyuan.core.audit import audit_record
    from zhiyuan.core.xlsx_write import xlsx_stream

    cap = sync_cap() if cap is None else cap
    lq = export_query(actor=actor, spec=spec, params=params, context=context)
    if rows_over(lq.queryset, cap):
        raise ExportTooLarge(cap)
    audit_record(
        actor=actor, action=f"{spec.name}.export", object_type=spec.object_type or spec.name, request=request,
        detail={"filters": lq.audit_filters(), "limit": cap},
    )  # fmt: skip
    return xlsx_stream(str(spec.export_title or spec.name), export_header(spec), export_rows(spec, lq.queryset, limit=cap))


def export_header(spec: ListSpec) -> list[str]:
    return [str(c.label) for c in spec.export]


def streaming_xlsx(body, filename: str):
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def params_of(request) -> QueryDict | None:
    data = request.GET.copy()
    for key in ("cursor", "page_size"):
        data.pop(key, None)
    return data or None


def export_response(request, spec: ListSpec, *, filename: str = "", context: dict | None = None):
    """The page's download: the streamed .xlsx, or — when the filtered rows exceed the
    synchronous cap — a page that offers to run the same export in the background (a POST, so
    following a link never starts a job). Lists inside a parent (``context``) have no background
    export; over the cap they say so (409)."""
    from django.shortcuts import render

    params = params_of(request)
    try:
        body = export_stream(actor=request.user, spec=spec, params=params, request=request, context=context)
    except ExportTooLarge as exc:
        can_queue = context is None and export_spec(spec.name) is spec
        query = params.urlencode() if params else ""
        ctx = {"spec": spec, "message": exc.message, "cap": exc.cap, "can_queue": can_queue, "query": query,
               "job_cap": settings.ZHIYUAN_EXPORT_JOB_MAX_ROWS}  # fmt: skip
        return render(request, "core/export_offer.html", ctx, status=200 if can_queue else 409)
    return streaming_xlsx(body, filename or spec.export_filename)


# --- API --------------------------------------------------------------------------------------------


def export_params_schema(spec: ListSpec, name: str):
    """The list's filter parameters (``core.lists.filter_schema``) without its paging ones."""
    from ninja import Schema
    from pydantic import create_model

    base = filter_schema(spec, f"{name}Base")
    fields = {k: (f.annotation, f) for k, f in base.model_fields.items() if k not in ("page_size", "cursor")}
    return create_model(name, __base__=Schema, **fields)


def api_params(params) -> dict:
    data = params.model_dump(exclude_none=True)
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


def export_operation(router, path: str, spec: ListSpec, *, operation_id: str, errors: dict, filename: str = ""):
    """Register ``GET path`` on ``router``: the list's export as a streamed .xlsx, filtered by the
    same typed query parameters as the list operation (OpenAPI: the xlsx content type; errors:
    403 without the export scope, 409 over the synchronous cap — use ``POST /exports/jobs`` —,
    422 for bad filters). The spec becomes available to background exports too."""
    from ninja import Query

    from zhiyuan.core.api import binary_download

    register_export(spec)
    params_schema = export_params_schema(spec, f"{operation_id.title().replace('_', '')}Params")

    def operation(request, params: Query[params_schema]):  # type: ignore[valid-type]
        body = export_stream(actor=request.user, spec=spec, params=api_params(params), request=request)
        return streaming_xlsx(body, filename or spec.export_filename)

    operation.__name__ = operation_id
    operation.__doc__ = (
        f"{spec.name}: the filtered list as .xlsx (masked, at most ZHIYUAN_EXPORT_SYNC_ROWS rows; "
        "more: a background export, POST /exports/jobs)."
    )
    router.get(path, response=errors, operation_id=operation_id, openapi_extra=binary_download())(operation)
    return operation

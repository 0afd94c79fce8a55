"""One definition per list (ARCHITECTURE rule 7, rule 9): a ``ListSpec`` declares a list's scoped
source, its filters (a django-filter ``FilterSet``), its sorts, its columns and its export
columns once; the page, the API operation and the export are derived from it here.

- ``list_query``   the scoped, filtered, sorted queryset (invalid filters → ``DomainError`` 422).
- ``keyset_page``  one page after a cursor: ``WHERE (sort key, id) > (last row)``, never OFFSET,
                   never COUNT(*) over the scope; one query per page.
- ``list_page``    a Django view's response: filter form, table on desktop, cards on phones,
                   "next" link (htmx requests get the list partial only).
- ``list_operation`` a django-ninja GET operation whose query parameters (and OpenAPI) come from
                   the FilterSet and whose answer is ``{items, next_cursor}``.
- ``list_export``  the export as a streamed .xlsx: scoped, masked (export columns read masked
                   values only), formula-safe, capped and audited once (the synchronous and
                   background exports and the API operation are in ``core/exports.py``).

See docs/architecture.md "How to add a list".
"""

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import django_filters
import django_filters.fields
from django import forms
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.core.errors import DomainError

MAX_PAGE_SIZE = 100
MAX_EXPORT_ROWS = 50_000
EXPORT_CHUNK = 2000  # rows read, prefetched and decorated together
DENIED = gettext_lazy("没有权限查看此列表。")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def excel_safe(value):
    """Neutralise spreadsheet formula injection: text starting with = + - @ tab or CR gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@dataclass(frozen=True)
class Col:
    """A column of the page. ``role``: "key" columns (identity: name, number) lead the phone card
    as its title; "status" shows as the card's badge; others become the card's facts. ``template``
    renders the cell (it gets ``row``); without it the cell shows ``value(row)`` or the attribute."""

    key: str
    label: Any
    role: str = ""
    value: Callable[[Any], Any] | None = None
    template: str = ""
    link: Callable[[Any], str] | None = None

    def href(self, row) -> str:
        return self.link(row) if self.link else ""

    def get(self, row) -> Any:
        return self.value(row) if self.value else getattr(row, self.key, "")


@dataclass(frozen=True)
class ExportCol:
    """A column of the export; ``value`` must return masked data only (rule 4)."""

    label: Any
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Sort:
    """A sort the user may choose: its label and its ORDER BY, which must end in a unique field
    (``id``) so the keyset cursor is exact; the leading fields should be indexed together."""

    label: Any
    order: tuple[str, ...]


@dataclass
class ListSpec:
    name: str  # also the audit action prefix: "<name>.export"
    model: type
    # (actor, **context) -> scoped queryset (visible_to first, always); context narrows a list
    # inside a parent, e.g. an organization's members: source(actor, org=org)
    source: Callable[..., QuerySet]
    filters: type  # a django_filters.FilterSet; a "sort" parameter is added from ``sorts``
    sorts: dict[str, Sort]
    default_sort: str
    columns: list[Col]
    export: list[ExportCol] = field(default_factory=list)
    export_prefetch: tuple[str, ...] = ()
    # The fast export path: the rows are read with ``values(*export_values)`` (plain dicts, no
    # model instances; a related column as ``user__mobile``) and ``export_decorate(rows)`` adds
    # what one chunk needs in batched look-ups (region names, skills …) and must replace any
    # unmasked value by its masked form (rule 4). The export columns' ``value`` then gets a dict.
    # Without it the export reads model instances (``export_prefetch`` and ``decorate``).
    export_values: tuple[str, ...] = ()
    export_decorate: Callable[[list[dict]], list[dict]] | None = None
    can_list: Callable[[Any], bool] = lambda actor: True
    denied_message: Any = DENIED
    decorate: Callable[[list], list] | None = None  # display values for one page (batched lookups)
    page_size: int = 20
    export_title: Any = ""
    export_filename: str = "export.xlsx"
    object_type: str = ""  # of the export's audit entry
    page_sizes: tuple[int, ...] = (20, 50, 100)  # offered on the page; the API takes 1-100

    def sort_choices(self) -> list[tuple[str, Any]]:
        return [(k, s.label) for k, s in self.sorts.items()]

    def key_columns(self) -> list[Col]:
        return [c for c in self.columns if c.role == "key"]

    def status_columns(self) -> list[Col]:
        return [c for c in self.columns if c.role == "status"]

    def fact_columns(self) -> list[Col]:
        return [c for c in self.columns if c.role not in ("key", "status", "action")]


# --- query ----------------------------------------------------------------------------------------


class CodeChoiceField(django_filters.fields.ChoiceField):
    """A choice whose error names the valid codes (an API client learns them from the 422)."""

    def validate(self, value):
        try:
            super().validate(value)
        except forms.ValidationError:
            codes = _("、").join(str(k) for k, _label in self.choices if k != "")
            raise forms.ValidationError(
                _("选择一个有效的选项，可选：%(codes)s。") % {"codes": codes}, code="invalid_choice"
            ) from None


class CodeFilter(django_filters.ChoiceFilter):
    """A choice of codes (status, gender, a code table) whose error lists the valid codes."""

    field_class = CodeChoiceField


class IntFilter(django_filters.NumberFilter):
    """A whole number (ages, counts): typed as ``int`` in the API, not a decimal."""

    field_class = forms.IntegerField


class PassFilter(CodeFilter):
    """A parameter the form validates but ``list_query``/``list_page`` apply (the sort, with the id
    tie-break the keyset needs; the page size), so it filters nothing itself."""

    def filter(self, qs, value):
        return qs


def filterset_for(spec: ListSpec, data, *, actor=None, for_schema: bool = False, context: dict | None = None):
    """The spec's FilterSet bound to ``data``, with the sort and page-size parameters added."""
    qs = spec.model._default_manager.none() if for_schema else spec.source(actor, **(context or {}))
    fs = spec.filters(data=data, queryset=qs, request=None)
    fs.filters["sort"] = PassFilter(label=_("排序"), choices=spec.sort_choices(), empty_label=None)
    if not for_schema:
        fs.filters["page_size"] = PassFilter(
            label=_("每页条数"), choices=[(str(n), n) for n in spec.page_sizes], empty_label=None
        )
    for f in fs.filters.values():
        f.parent = fs
    if hasattr(fs, "setup_form"):
        fs.setup_form(fs.form, actor=actor)
    return fs


def filter_errors(fs) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in fs.form.errors.items()}


def invalid_filters(errors: dict) -> DomainError:
    return DomainError("invalid", _("筛选条件有误，请检查后重试。"), fields=errors, status=422)


@dataclass
class ListQuery:
    filterset: Any
    queryset: QuerySet
    sort: str
    errors: dict[str, list[str]]

    def audit_filters(self) -> dict:
        """The valid filters for an audit entry; a free-text search is recorded as ``*`` only
        (it may be a name or a mobile number)."""
        if self.errors or not self.filterset.is_bound:
            return {"sort": self.sort}
        d = {k: v for k, v in self.filterset.form.cleaned_data.items() if v not in ("", None, []) and k != "page_size"}
        d = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in d.items()}
        if "q" in d:
            d["q"] = "*"
        d["sort"] = self.sort
        return d


def list_query(*, actor, spec: ListSpec, data, strict: bool = True, context: dict | None = None) -> ListQuery:
    """The scoped, filtered and sorted queryset. ``strict`` (the API, the export service): invalid
    filters raise a 422 ``DomainError`` naming each field. Not strict (the page): invalid filters
    filter nothing (the form shows the errors) rather than wrongly."""
    if not spec.can_list(actor):
        from zhiyuan.core.errors import PermissionDenied

        raise PermissionDenied(spec.denied_message)
    fs = filterset_for(spec, data, actor=actor, context=context)
    errors = {} if not fs.is_bound or fs.is_valid() else filter_errors(fs)
    if errors and strict:
        raise invalid_filters(errors)
    if errors:
        qs, sort = fs.queryset, spec.default_sort
    else:
        qs, sort = fs.qs, (fs.form.cleaned_data.get("sort") if fs.is_bound else None) or spec.default_sort
    return ListQuery(fs, order_by_keyset(qs, spec.sorts[sort].order), sort, errors)


# --- keyset pagination ------------------------------------------------------------------------------


def _order_terms(order: Iterable[str]) -> list[tuple[str, bool]]:
    return [(o.lstrip("-"), o.startswith("-")) for o in order]


def order_by_keyset(qs: QuerySet, order: Iterable[str]) -> QuerySet:
    """ORDER BY with NULLs last in both directions on every database, so the keyset comparison
    below means the same on SQLite and PostgreSQL."""
    terms = _order_terms(order)
    if terms[-1][0] not in ("id", "pk"):
        raise ValueError("a keyset order must end in the primary key")
    return qs.order_by(*(F(f).desc(nulls_last=True) if desc else F(f).asc(nulls_last=True) for f, desc in terms))


def _keyset_terms(qs: QuerySet) -> list[tuple[str, bool]]:
    out = []
    for o in qs.query.order_by:
        out.append((o.expression.name, o.descending))
    return out


def _encode(value) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _decode(model, name: str, raw):
    if raw is None:
        return None
    if name != "pk" and name not in {f.name for f in model._meta.get_fields()}:
        # an annotation (the square's distance): a JSON number round-trips exactly
        if not isinstance(raw, int | float) or isinstance(raw, bool):
            raise ValueError
        return raw
    return (model._meta.pk if name == "pk" else model._meta.get_field(name)).to_python(raw)  # pk: not always "id"


def encode_cursor(values: list) -> str:
    raw = json.dumps([_encode(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, qs: QuerySet) -> list:
    terms = _keyset_terms(qs)
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(terms) or raw[-1] is None:
            raise ValueError
        return [_decode(qs.model, name, v) for (name, _desc), v in zip(terms, raw, strict=True)]
    except Exception:
        raise DomainError(
            "invalid", _("分页游标无效，请从第一页重新开始。"), fields={"cursor": [_("无效的游标。")]}, status=422
        ) from None


def _after(terms: list[tuple[str, bool]], values: list) -> Q:
    """Rows after ``values`` in the order ``terms`` (NULLs last): a row-value comparison written
    as an OR of prefixes, which PostgreSQL and SQLite answer from the (sort key, id) index."""
    name, desc = terms[0]
    value = values[0]
    if len(terms) == 1:
        return Q(**{f"{name}__{'lt' if desc else 'gt'}": value})
    rest = _after(terms[1:], values[1:])
    if value is None:
        return Q(**{f"{name}__isnull": True}) & rest
    beyond = Q(**{f"{name}__{'lt' if desc else 'gt'}": value}) | Q(**{f"{name}__isnull": True})
    return beyond | (Q(**{name: value}) & rest)


def keyset_page(qs: QuerySet, *, cursor: str | None, size: int) -> tuple[list, str | None]:
    """One page of an ordered queryset after ``cursor`` and the cursor of the next page (None on
    the last page). One query: it reads ``size + 1`` rows to know whether more follow."""
    terms = _keyset_terms(qs)
    if cursor:
        qs = qs.filter(_after(terms, decode_cursor(cursor, qs)))
    rows = list(qs[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, name) for name, _desc in terms])


def page_size_of(value, spec: ListSpec, *, strict: bool) -> int:
    try:
        n = int(value) if value not in (None, "") else spec.page_size
    except (TypeError, ValueError):
        n = -1
    if 1 <= n <= MAX_PAGE_SIZE:
        return n
    if strict:
        raise DomainError(
            "invalid", _("分页参数无效：page_size 为 1 至 100。"), fields={"page_size": [_("取值超出范围。")]}, status=422
        )
    return spec.page_size


# --- export -----------------------------------------------------------------------------------------


def export_rows(spec: ListSpec, qs: QuerySet, *, limit: int = MAX_EXPORT_ROWS, chunked: bool = False) -> Iterator[list]:
    """The export's rows, formula-safe, read ``EXPORT_CHUNK`` rows at a time; one note row past
    the cap. One query read as it goes (one sort), or — ``chunked``, for a background job that
    records its progress as it goes — keyset chunks, each its own query after the last row of
    the one before, so no read stays open across a write (on SQLite a write beside an open read
    whose snapshot another connection has moved on fails: "database is locked").

    With ``spec.export_values`` the rows are dicts read by ``values()`` (the fast path: an
    export spent most of its time building model instances it only read a few fields of)."""
    if spec.export_values:
        qs = qs.values(*_value_names(spec, qs))
    if chunked:
        yield from _export_rows_chunked(spec, qs, limit=limit)
        return
    chunk: list = []
    n = 0
    for obj in qs.iterator(chunk_size=EXPORT_CHUNK):
        if n >= limit:
            yield from _export_chunk(spec, chunk)
            yield [_("（仅导出前 %(n)d 行，请缩小筛选范围）") % {"n": limit}]
            return
        n += 1
        chunk.append(obj)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(spec, chunk)
            chunk = []
    yield from _export_chunk(spec, chunk)


def _value_names(spec: ListSpec, qs: QuerySet) -> list[str]:
    """``export_values`` and the sort's fields (a keyset chunk continues after the last row)."""
    names = list(spec.export_values)
    if qs.query.order_by and not isinstance(qs.query.order_by[0], str):
        names += [name for name, _desc in _keyset_terms(qs) if name not in names and name != "pk"]
    return names


def _export_rows_chunked(spec: ListSpec, qs: QuerySet, *, limit: int) -> Iterator[list]:
    terms = _keyset_terms(qs) if qs.query.order_by and not isinstance(qs.query.order_by[0], str) else None
    if not terms:
        qs = order_by_keyset(qs, ("id",))
        terms = _keyset_terms(qs)
    if spec.export_values:
        pk = spec.model._meta.pk.attname

        def value_of(row, name):
            return row[pk if name == "pk" else name]
    else:
        value_of = getattr
    n, after = 0, None
    while True:
        size = min(EXPORT_CHUNK, limit - n + 1)
        objs = list((qs if after is None else qs.filter(_after(terms, after)))[:size])
        if n + len(objs) > limit:
            yield from _export_chunk(spec, objs[: limit - n])
            yield [_("（仅导出前 %(n)d 行，请缩小筛选范围）") % {"n": limit}]
            return
        n += len(objs)
        last = [value_of(objs[-1], name) for name, _desc in terms] if objs else None
        yield from _export_chunk(spec, objs)
        if len(objs) < size:
            return
        after = last


def _prefetch_lists(objs: list, names: tuple[str, ...]) -> None:
    """``export_prefetch`` for one chunk: each reverse foreign key (``volunteer.skills``) read in
    one query and kept on the rows as a plain list, so ``row.skills.all()`` is that list.
    Django's ``prefetch_related`` builds a queryset per row to hold the same cache — at 50,000
    rows that cost more than everything else. Other relations go through Django's prefetch."""
    from collections import defaultdict

    from django.db.models import prefetch_related_objects

    for name in names:
        rel = objs[0]._meta.get_field(name)
        if not (rel.one_to_many and rel.auto_created):
            prefetch_related_objects(objs, name)
            continue
        fk = rel.field
        groups: dict = defaultdict(list)
        related = rel.related_model._default_manager.filter(**{f"{fk.attname}__in": [o.pk for o in objs]})
        for r in related:
            groups[getattr(r, fk.attname)].append(r)
        cache_name = fk.remote_field.cache_name
        for o in objs:
            if not hasattr(o, "_prefetched_objects_cache"):
                o._prefetched_objects_cache = {}
            o._prefetched_objects_cache[cache_name] = groups.get(o.pk, [])


# The language of the export chunk being made (``core.exports.label_lookup`` reads it instead of
# asking Django's thread-local for every cell).
EXPORT_LANGUAGE: ContextVar[str | None] = ContextVar("export_language", default=None)


def _export_chunk(spec: ListSpec, objs: list) -> Iterator[list]:
    if not objs:
        return
    from django.utils.translation import get_language

    token = EXPORT_LANGUAGE.set(get_language())
    try:  # the whole chunk at once: no yield while the language is set
        if spec.export_values:
            if spec.export_decorate:
                objs = spec.export_decorate(objs)
        else:
            if spec.export_prefetch:
                _prefetch_lists(objs, spec.export_prefetch)
            if spec.decorate:
                objs = spec.decorate(objs)
        values = [c.value for c in spec.export]
        rows = [[excel_safe(value(obj)) for value in values] for obj in objs]
    finally:
        EXPORT_LANGUAGE.reset(token)
    yield from rows


def list_export(
    *, actor, spec: ListSpec, params, request=None, limit: int = MAX_EXPORT_ROWS, context: dict | None = None
) -> Iterator[bytes]:
    """The filtered list as a streamed .xlsx (chunks of bytes). The one place an export is
    scoped (``spec.source``), validated (strict filters), masked (export columns), made
    formula-safe, capped and audited (``<spec.name>.export`` with the filters, not the rows)."""
    from zhiyuan.core.audit import audit_record
    from zhiyuan.core.exports import export_query
    from zhiyuan.core.xlsx_write import xlsx_stream

    lq = export_query(actor=actor, spec=spec, params=params, context=context)
    audit_record(
        actor=actor, action=f"{spec.name}.export", object_type=spec.object_type or spec.name, request=request,
        detail={"filters": lq.audit_filters(), "limit": limit},
    )  # fmt: skip
    header = [str(c.label) for c in spec.export]
    return xlsx_stream(str(spec.export_title or spec.name), header, export_rows(spec, lq.queryset, limit=limit))


def list_export_response(request, spec: ListSpec, *, filename: str = "", context: dict | None = None):
    """The page's "导出 Excel": ``core.exports.export_response`` (the streamed download up to the
    synchronous cap, else the offer of a background export)."""
    from zhiyuan.core.exports import export_response

    return export_response(request, spec, filename=filename, context=context)


# --- page -------------------------------------------------------------------------------------------


def list_cells(spec: ListSpec, rows: list) -> list:
    """``[(row, [(column, value, link)])]`` as ``core/partials/_list_table.html`` renders them."""
    return [(row, [(c, c.get(row), c.href(row)) for c in spec.columns]) for row in rows]


def list_page(
    request, spec: ListSpec, template: str, *, extra: dict | None = None, status: int = 200, context: dict | None = None
):
    """A list page: the FilterSet's form, one page of rows as a table (desktop) and as cards
    (phones, ``core/partials/_list_table.html``) and a "next" link carrying the cursor. An htmx
    request gets the partial only. Invalid filters show next to the form and filter nothing."""
    from django.shortcuts import render

    data = request.GET.copy()
    cursor = data.pop("cursor", [None])[-1]
    size = page_size_of(data.get("page_size"), spec, strict=False)
    lq = list_query(actor=request.user, spec=spec, data=data or None, strict=False, context=context)
    try:
        rows, next_cursor = keyset_page(lq.queryset, cursor=cursor, size=size)
    except DomainError:  # a stale or edited cursor: start again at the first page
        rows, next_cursor, cursor = *keyset_page(lq.queryset, cursor=None, size=size), None
    if spec.decorate and rows:
        rows = spec.decorate(rows)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "spec": spec,
        "form": lq.filterset.form,
        "rows": rows,
        "cells": list_cells(spec, rows),
        "next_cursor": next_cursor,
        "first_page": not cursor,
        "query": query.urlencode(),
        "page_size": size,
        **(extra or {}),
    }
    if getattr(request, "htmx", False) and not getattr(request.htmx, "boosted", False):
        template = "core/partials/_list_table.html"
    return render(request, template, context, status=status)


# --- API --------------------------------------------------------------------------------------------


def _field_type(f: forms.Field):
    if isinstance(f, forms.DateField):
        from zhiyuan.core.api import IsoDate  # YYYY-MM-DD only: pydantic reads "0" as 1970-01-01

        return IsoDate
    if isinstance(f, forms.DecimalField | forms.FloatField):  # before int: both subclass IntegerField
        return float
    if isinstance(f, forms.IntegerField):
        return int
    return str


def filter_schema(spec: ListSpec, name: str):
    """A ninja Schema of the FilterSet's parameters (typed: dates as dates, numbers as ints, so a
    malformed value is a 422 from validation; choices are listed in the OpenAPI as an enum when
    they are fixed)."""
    from ninja import Schema
    from pydantic import Field, create_model

    fs = filterset_for(spec, None, for_schema=True)
    fields: dict[str, Any] = {}
    for key, f in fs.form.fields.items():
        typ = _field_type(f)
        extra: dict[str, Any] = {"description": str(f.label or key)}
        if typ is str and getattr(f, "max_length", None):
            extra["max_length"] = f.max_length
        if typ is int:
            if getattr(f, "min_value", None) is not None:
                extra["ge"] = f.min_value
            if getattr(f, "max_value", None) is not None:
                extra["le"] = f.max_value
        fields[key] = (typ | None, Field(None, **extra))
    fields["page_size"] = (int, Field(spec.page_size, ge=1, le=MAX_PAGE_SIZE))
    fields["cursor"] = (str | None, Field(None, max_length=512, description="next_cursor of the previous page"))
    return create_model(name, __base__=Schema, **fields)


def list_operation(
    router,
    path: str,
    spec: ListSpec,
    *,
    row,
    operation_id: str,
    to_row: Callable,
    errors: dict,
    path_params: dict[str, type] | None = None,
    context: Callable[..., dict] | None = None,
    auth: Any = ...,
):
    """Register ``GET path`` on ``router``: the spec's filters as typed query parameters, the
    answer ``{items: [row], next_cursor}`` (keyset; pass ``next_cursor`` back as ``cursor``).

    A list inside a parent names the path's parameters and how they become the spec's context:
    ``path_params={"org_id": int}`` and ``context=lambda request, org_id: {"org": fetch(...)}``,
    where ``fetch`` is the fetch-and-authorize helper (404 outside the scope, 403 when visible but
    not allowed) — it runs before the filters are read. ``auth=None`` opens the list to anyone."""
    import inspect

    from ninja import Query, Schema
    from pydantic import create_model

    params_schema = filter_schema(spec, f"{operation_id.title().replace('_', '')}Params")
    page_schema = create_model(
        f"{operation_id.title().replace('_', '')}Page", __base__=Schema, items=(list[row], ...), next_cursor=(str | None, None)
    )
    path_params = dict(path_params or {})
    if context is None and path_params:
        raise ValueError("path parameters need a context(request, **path_params) to become the list's context")

    def operation(request, params, **path_values):
        ctx = context(request, **path_values) if context is not None else None
        data = params.model_dump(exclude={"page_size", "cursor"}, exclude_none=True)
        lq = list_query(actor=request.user, spec=spec, data={k: _encode(v) for k, v in data.items()}, strict=True, context=ctx)
        rows, next_cursor = keyset_page(lq.queryset, cursor=params.cursor, size=params.page_size)
        if spec.decorate and rows:
            rows = spec.decorate(rows)
        return {"items": [to_row(r) for r in rows], "next_cursor": next_cursor}

    # ninja reads the operation's parameters from its signature: the path's, then the query's
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    operation.__signature__ = inspect.Signature(
        [
            inspect.Parameter("request", kind),
            *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=typ) for name, typ in path_params.items()),
            inspect.Parameter("params", inspect.Parameter.KEYWORD_ONLY, annotation=Query[params_schema]),  # type: ignore[valid-type]
        ]
    )
    operation.__name__ = operation_id
    operation.__doc__ = f"{spec.name}: filtered, keyset-paged (``cursor`` = the previous page's ``next_cursor``)."
    options = {} if auth is ... else {"auth": auth}  # ``...``: the router's authentication
    router.get(path, response={200: page_schema, **errors}, operation_id=operation_id, **options)(operation)
    return operation

"""The list machinery (ARCHITECTURE rules 7 and 9): keyset pages, strict filters, the streamed,
masked, formula-safe, capped and audited export — on a core model (the audit log) so the
machinery is tested apart from any one app's list."""

import io

import django_filters
import pytest
from openpyxl import load_workbook

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import (
    Col,
    ExportCol,
    ListSpec,
    Sort,
    keyset_page,
    list_export,
    list_query,
    order_by_keyset,
)
from zhiyuan.core.models import AuditEntry
from zhiyuan.core.xlsx_write import xlsx_stream

pytestmark = pytest.mark.django_db


class EntryFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action", label="操作")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="起始日期")


SPEC = ListSpec(
    name="test_entries",
    model=AuditEntry,
    source=lambda actor, prefix="t.": AuditEntry.objects.filter(action__startswith=prefix),
    filters=EntryFilter,
    sorts={"id": Sort("编号", ("id",)), "ip": Sort("来源", ("ip", "-id")), "-ip": Sort("来源倒序", ("-ip", "id"))},
    default_sort="id",
    columns=[Col("action", "操作", role="key")],
    export=[ExportCol("操作", lambda e: e.action), ExportCol("对象", lambda e: e.object_id)],
)


@pytest.fixture
def entries():
    # ip is nullable and repeats: the keyset must keep NULLs last and break ties by id
    ips = [None, "10.0.0.2", "10.0.0.1", None, "10.0.0.2", "10.0.0.3", "10.0.0.1", None, "10.0.0.2"]
    return [audit_record(actor=None, action=f"t.{i}", ip=ip, object_id="=cmd|' /C calc'!A0") for i, ip in enumerate(ips)]


def walk(qs, size):
    out, cursor = [], None
    while True:
        rows, cursor = keyset_page(qs, cursor=cursor, size=size)
        out += [r.pk for r in rows]
        if cursor is None:
            return out


@pytest.mark.parametrize("sort", ["id", "ip", "-ip"])
@pytest.mark.parametrize("size", [1, 2, 4, 20])
def test_keyset_pages_visit_every_row_once_in_order(entries, sort, size):
    qs = order_by_keyset(SPEC.source(None), SPEC.sorts[sort].order)
    assert walk(qs, size) == [e.pk for e in qs]
    assert len(walk(qs, size)) == len(entries)


def test_nulls_sort_last_in_both_directions(entries):
    for sort in ("ip", "-ip"):
        ips = [e.ip for e in order_by_keyset(SPEC.source(None), SPEC.sorts[sort].order)]
        assert ips[-3:] == [None, None, None] and None not in ips[:-3]


def test_a_page_is_one_query_whatever_the_depth(entries, django_assert_num_queries):
    qs = order_by_keyset(SPEC.source(None), SPEC.sorts["ip"].order)
    _rows, cursor = keyset_page(qs, cursor=None, size=2)
    _rows, cursor = keyset_page(qs, cursor=cursor, size=2)
    with django_assert_num_queries(1) as ctx:
        keyset_page(qs, cursor=cursor, size=2)
    sql = ctx.captured_queries[0]["sql"].upper()
    assert "OFFSET" not in sql and "COUNT(" not in sql


@pytest.mark.parametrize("cursor", ["garbage!", "W10", "WyJ4Il0", "WzEsbnVsbF0"])
def test_an_edited_cursor_is_a_422_not_a_crash(entries, cursor):
    qs = order_by_keyset(SPEC.source(None), SPEC.sorts["ip"].order)
    with pytest.raises(DomainError) as e:
        keyset_page(qs, cursor=cursor, size=2)
    assert e.value.status == 422 and "cursor" in e.value.fields


def test_a_keyset_order_must_end_in_the_primary_key():
    with pytest.raises(ValueError):
        order_by_keyset(AuditEntry.objects.all(), ("ip",))


def test_strict_filters_name_the_bad_field_and_the_lenient_page_filters_nothing(entries):
    with pytest.raises(DomainError) as e:
        list_query(actor=None, spec=SPEC, data={"since": "2025-13-45"})
    assert e.value.status == 422 and set(e.value.fields) == {"since"}
    with pytest.raises(DomainError) as e:
        list_query(actor=None, spec=SPEC, data={"sort": "password"})
    assert set(e.value.fields) == {"sort"}
    lenient = list_query(actor=None, spec=SPEC, data={"since": "x", "action": "t.1"}, strict=False)
    assert lenient.errors and lenient.queryset.count() == len(entries)
    assert [e.action for e in list_query(actor=None, spec=SPEC, data={"action": "t.1"}).queryset] == ["t.1"]


def test_list_refuses_an_actor_the_spec_refuses():
    spec = ListSpec(**{**SPEC.__dict__, "can_list": lambda actor: False})
    with pytest.raises(DomainError) as e:
        list_query(actor=None, spec=spec, data=None)
    assert e.value.status == 403


def read(chunks) -> list[tuple]:
    return list(load_workbook(io.BytesIO(b"".join(chunks))).active.iter_rows(values_only=True))


def test_export_is_formula_safe_capped_and_audited_once(entries):
    before = AuditEntry.objects.filter(action="test_entries.export").count()
    rows = read(list_export(actor=None, spec=SPEC, params={"action": ""}, limit=5))
    assert rows[0] == ("操作", "对象")
    assert len(rows) == 1 + 5 + 1 and "仅导出前 5 行" in rows[-1][0]
    assert all(r[1] == "'=cmd|' /C calc'!A0" for r in rows[1:6])  # a formula is text
    audit = AuditEntry.objects.filter(action="test_entries.export")
    assert audit.count() == before + 1
    assert audit.get().detail == {"filters": {"sort": "id"}, "limit": 5}


def test_export_refuses_invalid_filters_before_writing_anything():
    with pytest.raises(DomainError):
        list_export(actor=None, spec=SPEC, params={"since": "nope"})
    assert not AuditEntry.objects.filter(action="test_entries.export").exists()


def test_xlsx_stream_starts_before_the_rows_end_and_reads_back():
    produced = []

    def rows():
        for i in range(30_000):
            produced.append(i)
            yield [i, f"名字{i}", "a\x01b", None]

    chunks = xlsx_stream("志愿者/导出", ["n", "名", "x", "空"], rows())
    first = next(chunks)
    assert first and len(produced) < 30_000  # bytes leave before the last row is read
    data = read([first, *chunks])
    assert data[0] == ("n", "名", "x", "空") and len(data) == 30_001
    assert data[-1] == (29_999, "名字29999", "ab", None)


def test_a_context_narrows_the_source_inside_its_parent(entries):
    audit_record(actor=None, action="u.1")
    assert [e.action for e in list_query(actor=None, spec=SPEC, data=None, context={"prefix": "u."}).queryset] == ["u.1"]
    assert list_query(actor=None, spec=SPEC, data=None).queryset.count() == len(entries)

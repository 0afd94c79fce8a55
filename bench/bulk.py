"""Bulk insert paths: COPY on PostgreSQL, batched ``executemany`` on SQLite.

Rows are plain tuples in the order of the columns given; the writer converts the few value
types each backend needs converted. Everything goes through Django's connection (and so its
transaction): inside a test the rows vanish with the test's transaction.
"""

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction

BATCH = 20_000
# PostgreSQL column types whose binary COPY format psycopg writes from the values the stages make;
# a table with any other type (inet, uuid) is copied as text. ZHIYUAN_BENCH_COPY=text: text always.
BINARY_TYPES = {"bigint", "integer", "smallint", "character varying", "text", "character", "boolean", "date",
                "timestamp with time zone", "jsonb", "numeric", "double precision"}  # fmt: skip
INDEX_BUILD_MEMORY = "512MB"


def _utc_naive_text(value):
    if value is None:
        return None
    if value.tzinfo is dt.UTC:  # what the generators make: drop "+00:00" (4x cheaper than converting)
        return value.isoformat(" ")[:-6]
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def _decimal(v):
    return v if v is None or isinstance(v, Decimal) else Decimal(str(v))


def _converter(field: models.Field, vendor: str, binary: bool = False) -> Callable | None:
    if binary:  # psycopg's binary dumpers take the Python values (JSON: the object itself)
        return _decimal if isinstance(field, models.DecimalField) else None
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
    if vendor != "sqlite":
        return None
    if isinstance(field, models.DateTimeField):
        return _utc_naive_text
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(field, models.BooleanField):
        return lambda v: None if v is None else int(v)
    if isinstance(field, models.DecimalField):
        return lambda v: None if v is None else str(v)
    if isinstance(field, models.UUIDField):
        return lambda v: None if v is None else v.hex
    return None


def concrete_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields]


def table_exists(model) -> bool:
    return model._meta.db_table in connection.introspection.table_names()


def db_columns(model) -> set[str]:
    """Columns the table really has (a model may be ahead of its migrations while someone
    works on it; the generator then fills what exists)."""
    with connection.cursor() as cur:
        return {c.name for c in connection.introspection.get_table_description(cur, model._meta.db_table)}


def next_id(model) -> int:
    """Generated rows carry explicit primary keys (COPY returns none); the sequence is reset
    afterwards with :func:`reset_sequence`."""
    top = model._base_manager.aggregate(m=models.Max("pk"))["m"]
    return (top or 0) + 1


def reset_sequence(model) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


class Writer:
    """Insert tuples into ``model``'s table for the given field names (``attname``s, e.g.
    ``user_id``). ``progress(count)`` is called after every batch."""

    def __init__(self, model, fields: list[str], *, batch: int = BATCH, progress: Callable[[int], None] | None = None):
        by_attname = {f.attname: f for f in concrete_fields(model)}
        missing = [name for name in fields if name not in by_attname]
        if missing:
            raise ValueError(f"{model._meta.label} has no columns {missing}")
        self.model = model
        self.fields = [by_attname[name] for name in fields]
        self.vendor = connection.vendor
        self.batch = batch
        self.progress = progress
        self.count = 0
        self.seconds = 0.0
        self.oids = self._binary_types(model) if self.vendor == "postgresql" else None
        self._convert = [(i, c) for i, f in enumerate(self.fields) if (c := _converter(f, self.vendor, bool(self.oids)))]
        qn = connection.ops.quote_name
        self.table = qn(model._meta.db_table)
        self.columns = ", ".join(qn(f.column) for f in self.fields)

    def _binary_types(self, model) -> list[int] | None:
        """The columns' type oids when every one can be copied in binary: psycopg then packs the
        values in C (~0.5 µs a row, against ~5 µs formatting text in ``write_row``) and the
        server parses no text (timestamps)."""
        if os.environ.get("ZHIYUAN_BENCH_COPY") == "text":
            return None
        with connection.cursor() as cur:
            cur.execute(
                "SELECT attname, atttypid::int, format_type(atttypid, NULL) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [model._meta.db_table],
            )
            types = {name: (oid, kind) for name, oid, kind in cur.fetchall()}
        found = [types.get(f.column) for f in self.fields]
        if any(t is None or t[1] not in BINARY_TYPES for t in found):
            return None
        return [t[0] for t in found]

    def _prepare(self, row):
        if not self._convert:
            return row
        row = list(row)
        for i, conv in self._convert:
            row[i] = conv(row[i])
        return row

    def prepare(self, rows: Iterable[tuple]) -> list:
        """The rows converted for the backend. A generator calls this in its producer thread
        (``bench/pipeline.py``) and hands the result to ``write(rows, prepared=True)``: the
        conversions then overlap the database's work instead of adding to it."""
        if not self._convert:
            return rows if isinstance(rows, list) else list(rows)
        return [self._prepare(row) for row in rows]

    def write(self, rows: Iterable[tuple], *, prepared: bool = False) -> int:
        chunk: list = []
        prepare = (lambda row: row) if prepared else self._prepare
        for row in rows:
            chunk.append(prepare(row))
            if len(chunk) >= self.batch:
                self._flush(chunk)
                chunk = []
        if chunk:
            self._flush(chunk)
        return self.count

    def _flush(self, chunk: list) -> None:
        started = time.perf_counter()
        with connection.cursor() as cur:
            if self.vendor == "postgresql" and self.oids:
                with cur.copy(f"COPY {self.table} ({self.columns}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(self.oids)
                    for row in chunk:
                        copy.write_row(row)
            elif self.vendor == "postgresql":
                with cur.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cur.executemany(f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})", chunk)
        self.seconds += time.perf_counter() - started
        self.count += len(chunk)
        if self.progress:
            self.progress(self.count)


@contextlib.contextmanager
def foreign_keys_after(*models):
    """Load ``models``' tables without their foreign keys and add the keys back afterwards, in
    the same transaction (PostgreSQL; elsewhere a no-op). Django makes them ``DEFERRABLE
    INITIALLY DEFERRED``: every row inserted queues one check per key, run at commit (34 s for
    3 × 10⁶ checks in the organizations stage, docs/benchmarks.md §1); adding a key back
    validates every row in one join (what ``pg_restore`` does). The definitions are read from
    the catalogue and restored as they were."""
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname",
            [[m._meta.db_table for m in models]],
        )
        keys = cur.fetchall()
    try:
        with transaction.atomic(), connection.cursor() as cur:
            _checks_now(cur)
            for table, name, _definition in keys:
                cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
    except DatabaseError:
        # A referenced table has rows of this very transaction whose own checks are still
        # queued (a test generating every stage in one transaction): PostgreSQL refuses to drop
        # a key then. Load with the keys in place.
        keys = []
    yield
    with connection.cursor() as cur:
        for table, name, definition in keys:
            cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")


@contextlib.contextmanager
def indexes_after(*models):
    """Load ``models``' tables without their secondary indexes and build them afterwards, in the
    same transaction: one sort per index instead of 10⁷ random B-tree inserts each (the ledger
    at ``large``). Primary keys and unique *constraints* stay; unique indexes (conditional
    unique constraints) are dropped too and checked again when rebuilt. The definitions are read
    from the catalogue (``pg_indexes``, ``sqlite_master``) and restored as they were."""
    qn = connection.ops.quote_name
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname AND c.contype IN ('p', 'u', 'x')) ORDER BY i.tablename, i.indexname",
                [tables],
            )
        elif connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cur.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name",
                tables,
            )
        else:
            yield
            return
        indexes = cur.fetchall()
        if connection.vendor == "postgresql" and indexes:
            _checks_now(cur)
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {qn(name)}")
    yield
    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and indexes:
            _checks_now(cur)
            # one in-memory sort per index instead of an external merge in the default 64 MB
            # (this session only; undone with a test's rolled-back transaction)
            cur.execute(f"SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        for _name, definition in indexes:
            cur.execute(definition)


def _checks_now(cur) -> None:
    """Run the deferred foreign-key checks this transaction has queued so far (PostgreSQL refuses
    DDL on a table with pending trigger events: a test that generates every stage in one
    transaction). A stage in a transaction of its own has none queued: this costs nothing."""
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")

"""One row written with a statement compiled once per model (the hot write paths: a check-in,
docs/benchmarks.md §13). ``Model.objects.create`` compiles its INSERT anew every time, which cost
more than the database spent on it; this keeps what create does that matters here — every
concrete field's ``pre_save`` (defaults, ``auto_now``) and its conversion for the database — and
leaves out what these models do not use (no save signals are connected in the project; the
project does not use multi-table inheritance on them)."""

import functools

from django.db import connections, router


@functools.cache
def _insert_sql(model, alias: str) -> tuple[str, tuple]:
    connection = connections[alias]
    q = connection.ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if f is not model._meta.pk)
    columns = ", ".join(q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    pk = q(model._meta.pk.column)
    return f"INSERT INTO {q(model._meta.db_table)} ({columns}) VALUES ({marks}) RETURNING {pk}", fields  # noqa: S608


def row_insert(obj):
    """INSERT ``obj`` (a new model instance) and set its primary key; returns ``obj``."""
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    sql, fields = _insert_sql(model, alias)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        (pk,) = cur.fetchone()
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = alias
    return obj

"""Hash chains partitioned so that they scale (ARCHITECTURE rule 10).

A chained table subclasses ``core.models.ChainedEntry``. ``chain_append(entry)`` locks only the
head row of the entry's partition (``ChainHead``; ``SELECT … FOR UPDATE`` on PostgreSQL, the
IMMEDIATE write transaction on SQLite), so appends to different partitions never wait on one
row. ``chain_verify(model)`` checks every partition: each entry's hash, its link to the entry
before it, a gapless ``seq`` from 1, and a head that agrees with the last entry; it names the
first broken entry of each broken partition. ``append_only(table)`` is the migration operation
that makes the database refuse UPDATE and DELETE on a chained table (PostgreSQL and SQLite).

The canonical form hashed is frozen: ``sha256(prev_hash || JSON(payload + partition + seq))``
with sorted keys, no spaces, UTF-8. Changing it would break every stored chain.

Escape hatch: ``unlocked(using, reason=…)`` lets UPDATE/DELETE through on one connection for
the duration of a block. Only ``manage.py flush`` (SQLite empties tables with DELETE; tests
flush between transactional tests) and tests that tamper on purpose may use it; a test fails
when any other module names it.
"""

import contextlib
import dataclasses
import hashlib
import json

from django.apps import apps
from django.db import connections, migrations, router, transaction
from django.db.models import Exists, F, OuterRef, Q

from zhiyuan.core.models import ChainedEntry, ChainHead

GENESIS = "0" * 64
UNLOCK_SETTING = "zhiyuan.chain_unlocked"  # PostgreSQL: transaction-local custom setting
UNLOCK_FUNCTION = "zhiyuan_chain_unlocked"  # SQLite: per-connection function
PROBLEMS_KEPT = 100


def entry_hash(*, prev_hash: str, partition: str, seq: int, payload: dict) -> str:
    body = {**payload, "partition": partition, "seq": seq}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def chain_name(model) -> str:
    return model._meta.label_lower


def chained_models() -> list[type[ChainedEntry]]:
    """Every concrete chained table of every installed app: subclassing registers a chain."""
    return [m for m in apps.get_models() if issubclass(m, ChainedEntry)]


def _lock_head(model, partition: str) -> ChainHead:
    db = router.db_for_write(model)
    heads = ChainHead.objects.using(db).select_for_update()
    name = chain_name(model)
    try:
        return heads.get(chain=name, partition=partition)
    except ChainHead.DoesNotExist:
        # Race-safe: a concurrent creator makes this insert wait, then do nothing.
        ChainHead.objects.using(db).bulk_create([ChainHead(chain=name, partition=partition)], ignore_conflicts=True)
        return heads.get(chain=name, partition=partition)


def chain_lock(model, partition: str) -> ChainHead:
    """Lock ``partition``'s head now, inside the caller's transaction, before the checks that
    decide what to append (the hour ledger locks a volunteer's head first, so two confirmations
    for one volunteer serialise and the overlap check sees the other's interval)."""
    return _lock_head(model, partition)


def chain_append(entry: ChainedEntry) -> ChainedEntry:
    """Insert ``entry`` (its ``partition`` and content set) as the next link of its partition.

    Joins the caller's transaction, so a rolled-back write leaves neither entry nor gap."""
    if not isinstance(entry.partition, str) or not 0 < len(entry.partition) <= 64:
        raise ValueError("a chained entry needs a partition of 1 to 64 characters")
    model = type(entry)
    db = router.db_for_write(model)
    with transaction.atomic(using=db):
        head = _lock_head(model, entry.partition)
        entry.seq = head.seq + 1
        entry.prev_hash = head.hash
        entry.hash = entry_hash(prev_hash=head.hash, partition=entry.partition, seq=entry.seq, payload=entry.chain_payload())
        entry.save(force_insert=True, using=db)
        ChainHead.objects.using(db).filter(pk=head.pk).update(seq=entry.seq, hash=entry.hash)
    return entry


# --- verification ----------------------------------------------------------------------------


@dataclasses.dataclass
class Problem:
    partition: str
    entry: ChainedEntry | None  # the first broken entry; None when entries after the last are missing
    why: str


@dataclasses.dataclass
class Report:
    chain: str
    partitions: int = 0
    entries: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, partition: str, entry, why: str) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(Problem(partition, entry, str(why)))


def _messages():
    from django.utils.translation import gettext as _

    return {
        "gap": _("第 %(expected)d 条至第 %(found)d 条之前的记录缺失。"),
        "link": _("前一条记录的哈希不匹配（记录被删除、插入或改写）。"),
        "hash": _("记录内容与其哈希不符（记录被篡改）。"),
        "tail": _("第 %(n)d 条之后的记录缺失（链头指向第 %(head)d 条）。"),
        "head": _("链头与最后一条记录不一致（记录被追加或改写）。"),
        "orphan": _("记录所在分区没有链头（链头被删除）。"),
        "triggers": _("数据库未禁止修改和删除此表（只追加触发器缺失）。"),
    }


class _Partition:
    """The walk through one partition, entry by entry."""

    def __init__(self, name: str, head: ChainHead):
        self.name, self.head = name, head
        self.prev, self.expected, self.broken = GENESIS, 1, False

    def check(self, entry, report: Report, msg: dict) -> None:
        if self.broken:
            return
        if entry.seq > self.head.seq:
            self.head = ChainHead.objects.get(pk=self.head.pk)  # appended while we walked?
            if entry.seq > self.head.seq:
                self.fail(report, entry, msg["head"])
                return
        if entry.seq != self.expected:
            self.fail(report, entry, msg["gap"] % {"expected": self.expected, "found": entry.seq})
        elif entry.prev_hash != self.prev:
            self.fail(report, entry, msg["link"])
        elif entry.hash != entry_hash(
            prev_hash=self.prev, partition=entry.partition, seq=entry.seq, payload=entry.chain_payload()
        ):
            self.fail(report, entry, msg["hash"])
        else:
            self.prev, self.expected = entry.hash, entry.seq + 1
            report.entries += 1

    def finish(self, model, report: Report, msg: dict) -> None:
        if self.broken:
            return
        last = self.expected - 1
        if self.head.seq > last:
            if model.objects.filter(partition=self.name, seq__gt=last).exists():
                return  # appended after the walk read this partition: checked next time
            self.fail(report, None, msg["tail"] % {"n": last, "head": self.head.seq})
        elif self.head.hash != self.prev:
            self.fail(report, None, msg["head"])

    def fail(self, report: Report, entry, why: str) -> None:
        self.broken = True
        report.add(self.name, entry, why)


def _entries(model, partitions: list[str], batch: int):
    """Entries of the given partitions ordered by (partition, seq), read in keyset batches."""
    qs = model.objects.filter(partition__in=partitions).order_by("partition", "seq")
    after = None
    while True:
        page = qs if after is None else qs.filter(Q(partition=after[0], seq__gt=after[1]) | Q(partition__gt=after[0]))
        chunk = list(page[:batch])
        yield from chunk
        if len(chunk) < batch:
            return
        after = (chunk[-1].partition, chunk[-1].seq)


def chain_verify(model, *, batch: int = 5000, shard: tuple[int, int] = (0, 1)) -> Report:
    """Check every partition of one chained table; see the module docstring. ``shard=(i, n)``:
    only the partitions whose head's id is ``i`` modulo ``n`` (the table-wide checks in shard 0),
    so ``n`` processes can share a large table (``manage.py chain_verify --workers n``)."""
    msg = _messages()
    name = chain_name(model)
    report = Report(chain=name)
    index, shards = shard
    if index == 0 and not append_only_in_place(model):
        report.add("", None, msg["triggers"])
    heads = ChainHead.objects.filter(chain=name).order_by("partition")
    if shards > 1:
        heads = heads.alias(shard=F("id") % shards).filter(shard=index)
    after = None
    while True:
        head_page = list((heads if after is None else heads.filter(partition__gt=after))[:batch])
        if not head_page:
            break
        walks = {h.partition: _Partition(h.partition, h) for h in head_page}
        for entry in _entries(model, list(walks), batch):
            walks[entry.partition].check(entry, report, msg)
        for walk in walks.values():
            walk.finish(model, report, msg)
        report.partitions += len(walks)
        after = head_page[-1].partition
    if index != 0:
        return report
    # An entry whose partition has no head (a head row deleted): its partition was never walked.
    # Head and first entry are written in one transaction, so no race can produce one.
    # NOT EXISTS (an anti-join), not NOT IN: with 10⁶ heads PostgreSQL cannot hash a NOT IN
    # subquery in work_mem and compares every entry with every head (hours at 10⁷ entries).
    orphan = (
        model.objects.exclude(Exists(ChainHead.objects.filter(chain=name, partition=OuterRef("partition"))))
        .order_by("partition", "seq")
        .first()
    )
    if orphan is not None:
        report.add(orphan.partition, orphan, msg["orphan"])
    return report


# --- append-only, enforced by the database ---------------------------------------------------

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION zhiyuan_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('{UNLOCK_SETTING}', true) = 'on' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$;
"""


def _trigger_sql(connection, table: str) -> tuple[list[str], list[str]]:
    vendor, qn = connection.vendor, connection.ops.quote_name
    if vendor == "postgresql":
        trigger = qn(f"{table}_append_only")
        return (
            [
                PG_FUNCTION,
                f"DROP TRIGGER IF EXISTS {trigger} ON {qn(table)}",  # idempotent: re-added after an ALTER
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {qn(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION zhiyuan_chain_append_only()",
            ],
            [f"DROP TRIGGER IF EXISTS {trigger} ON {qn(table)}"],
        )
    if vendor == "sqlite":
        forward, backward = [], []
        for op in ("UPDATE", "DELETE"):
            trigger = qn(f"{table}_no_{op.lower()}")
            forward.append(
                f"CREATE TRIGGER IF NOT EXISTS {trigger} BEFORE {op} ON {qn(table)} WHEN {UNLOCK_FUNCTION}() = 0 "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
            )
            backward.append(f"DROP TRIGGER IF EXISTS {trigger}")
        return forward, backward
    raise NotImplementedError(f"append-only triggers for {vendor}")


def append_only(table: str) -> migrations.RunPython:
    """The migration operation that makes the database refuse UPDATE and DELETE on ``table``.

    Put it after the operation that creates the table. On SQLite, a later migration that alters
    the table rebuilds it and drops its triggers: add ``append_only(table)`` again after it
    (``chain_verify`` reports a chained table without its triggers)."""

    def run(direction: int):
        def apply(migration_apps, schema_editor):
            for statement in _trigger_sql(schema_editor.connection, table)[direction]:
                schema_editor.execute(statement, params=None)

        return apply

    return migrations.RunPython(run(0), run(1), elidable=False)


def append_only_in_place(model) -> bool:
    conn = connections[router.db_for_write(model)]
    table = model._meta.db_table
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s AND tgenabled <> 'D'",
                [table, f"{table}_append_only"],
            )
            return cur.fetchone()[0] == 1
        if conn.vendor == "sqlite":
            cur.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name IN (%s, %s)",
                [table, f"{table}_no_update", f"{table}_no_delete"],
            )
            return cur.fetchone()[0] == 2
    return False


def sqlite_connection_created(sender, connection, **kwargs) -> None:
    """Registered in ``CoreConfig.ready``: the function the SQLite triggers ask. A connection
    without it (the sqlite3 shell) cannot UPDATE or DELETE chained rows at all."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        UNLOCK_FUNCTION, 0, lambda: 1 if getattr(connection, "_zhiyuan_chain_unlocked", 0) else 0
    )


@contextlib.contextmanager
def unlocked(using: str = "default", *, reason: str):
    """Let UPDATE and DELETE through on chained tables, on this connection, inside this block.

    For ``manage.py flush`` and tamper tests only (see the module docstring); ``reason`` is
    required so every use says why."""
    if not reason:
        raise ValueError("say why the chain is unlocked")
    conn = connections[using]
    if conn.vendor == "postgresql":
        with transaction.atomic(using=using), conn.cursor() as cur:
            cur.execute("SELECT set_config(%s, 'on', true)", [UNLOCK_SETTING])
            yield  # on an exception the (sub)transaction rolls back, which also undoes the setting
            cur.execute("SELECT set_config(%s, 'off', true)", [UNLOCK_SETTING])
        return
    conn.ensure_connection()
    conn._zhiyuan_chain_unlocked = getattr(conn, "_zhiyuan_chain_unlocked", 0) + 1
    try:
        yield
    finally:
        conn._zhiyuan_chain_unlocked -= 1

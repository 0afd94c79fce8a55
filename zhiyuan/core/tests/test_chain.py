"""core.chain (ARCHITECTURE rule 10): partitions, verification, and the database's refusal of
UPDATE and DELETE. The audit log is the chained table used here; the tests that need several
connections at once run on PostgreSQL (SQLite serializes every writer)."""

import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from zhiyuan.core import chain
from zhiyuan.core.models import AuditEntry, ChainHead

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")


def entry(partition: str, action: str = "test.chain") -> AuditEntry:
    return chain.chain_append(AuditEntry(partition=partition, at=timezone.now(), action=action))


def sql(statement: str, params=()):
    with chain.unlocked(reason="test tampers on purpose"), connection.cursor() as cur:
        cur.execute(statement, params)


def problems(report) -> dict[str, tuple[int | None, str]]:
    return {p.partition: (p.entry.seq if p.entry else None, p.why) for p in report.problems}


def test_verify_names_the_first_broken_entry_of_each_partition():
    tampered = [entry("test-p1") for _ in range(3)]
    gapped = [entry("test-p2") for _ in range(3)]
    [entry("test-p3") for _ in range(2)]
    sql("UPDATE core_auditentry SET action = 'test.forged' WHERE id IN (%s, %s)", [tampered[1].id, tampered[2].id])
    sql("DELETE FROM core_auditentry WHERE id = %s", [gapped[0].id])
    report = chain.chain_verify(AuditEntry, batch=2)
    found = problems(report)
    assert set(found) == {"test-p1", "test-p2"}  # the intact partition is not reported
    assert found["test-p1"][0] == 2 and "篡改" in found["test-p1"][1]  # the first of two, not the second
    assert found["test-p2"] == (2, "第 1 条至第 2 条之前的记录缺失。")
    assert report.partitions == 3 and not report.ok


def test_shards_share_the_partitions_and_together_find_what_one_walk_finds():
    """``chain_verify(shard=(i, n))`` (``chain_verify --workers n``): every partition in exactly one
    shard, the broken one reported by its shard, the table-wide checks by shard 0 only."""
    tampered = [entry("test-s1") for _ in range(3)]
    for p in ("test-s2", "test-s3", "test-s4", "test-s5"):
        entry(p)
        entry(p)
    sql("UPDATE core_auditentry SET action = 'test.forged' WHERE id = %s", [tampered[1].id])
    whole = chain.chain_verify(AuditEntry, batch=2)
    shards = [chain.chain_verify(AuditEntry, batch=2, shard=(i, 3)) for i in range(3)]
    assert sum(r.partitions for r in shards) == whole.partitions
    assert sum(r.entries for r in shards) == whole.entries
    assert [p.partition for r in shards for p in r.problems] == [p.partition for p in whole.problems] == ["test-s1"]


@pytest.mark.parametrize("partition", ["", "x" * 65, None])
def test_an_entry_needs_a_partition(partition):
    with pytest.raises(ValueError):
        entry(partition)
    assert not AuditEntry.objects.filter(action="test.chain").exists()


def test_a_partition_whose_head_was_removed_is_reported():
    first = entry("test-orphan")
    entry("test-orphan")
    ChainHead.objects.filter(partition="test-orphan").delete()  # heads are ordinary rows
    report = chain.chain_verify(AuditEntry)
    assert [(p.partition, p.entry.id) for p in report.problems] == [("test-orphan", first.id)]


def test_a_head_ahead_of_its_entries_is_reported():
    entry("test-tail")
    ChainHead.objects.filter(partition="test-tail").update(seq=5)
    assert problems(chain.chain_verify(AuditEntry)) == {"test-tail": (None, "第 1 条之后的记录缺失（链头指向第 5 条）。")}


def test_missing_triggers_are_reported():
    entry("test-triggers")
    assert chain.append_only_in_place(AuditEntry)
    with connection.cursor() as cur:  # rolled back with the test
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER core_auditentry_append_only ON core_auditentry")
        else:
            cur.execute("DROP TRIGGER core_auditentry_no_update")
    report = chain.chain_verify(AuditEntry)
    assert [(p.partition, p.entry) for p in report.problems] == [("", None)] and "触发器" in report.problems[0].why


def test_unlocked_is_scoped_to_its_block():
    e = entry("test-unlock")
    with pytest.raises(ValueError):
        with chain.unlocked(reason=""):
            pass
    with chain.unlocked(reason="test"):
        AuditEntry.objects.filter(id=e.id).update(action="test.changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(id=e.id).update(action="test.again")
    assert AuditEntry.objects.get(id=e.id).action == "test.changed"


def test_the_escape_hatch_is_used_only_by_flush_and_tests():
    root = Path(__file__).resolve().parents[3]
    allowed = {"zhiyuan/core/chain.py", "zhiyuan/core/management/commands/flush.py"}
    users = {
        str(p.relative_to(root))
        for folder in ("zhiyuan", "bench")
        for p in (root / folder).rglob("*.py")
        if "unlocked(" in p.read_text(encoding="utf-8") and "tests" not in p.parts
    }
    assert users <= allowed, users - allowed


def test_flush_empties_chained_tables():
    entry("test-flush")
    if connection.vendor == "sqlite":  # Django's own flush DELETEs, which the trigger refuses
        with pytest.raises(CommandError) as refused, transaction.atomic():
            options = {"interactive": False, "verbosity": 0, "reset_sequences": False, "allow_cascade": False}
            DjangoFlush().handle(database="default", inhibit_post_migrate=True, **options)
        assert "append-only" in str(refused.value.__cause__)
    if connection.vendor == "postgresql":  # TRUNCATE inside the test's transaction: check the deferred FKs first
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)  # rolled back with the test
    assert not AuditEntry.objects.exists() and not ChainHead.objects.exists()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:  # locked again afterwards
        entry("test-flush")
        cur.execute("DELETE FROM core_auditentry")


def test_chain_verify_command(capsys):
    e = entry("test-cmd")
    call_command("chain_verify")
    assert "core.auditentry: chain OK" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("chain_verify", "--model", "core.chainhead")
    with pytest.raises(CommandError):
        call_command("chain_verify", "--model", "nope.nothing")
    sql("UPDATE core_auditentry SET object_id = 'x' WHERE id = %s", [e.id])
    with pytest.raises(SystemExit) as exc:
        call_command("chain_verify", "--model", "core.auditentry")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert f"BROKEN in partition test-cmd at entry #{e.id}" in out and "test.chain" in out


# --- several connections at once (PostgreSQL) ------------------------------------------------


def in_thread(fn, *args):
    """Run ``fn`` on its own database connection; returns the started thread."""
    from django.db import connections

    errors = []

    def run():
        try:
            fn(*args)
        except Exception as e:
            errors.append(e)
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.errors = errors
    t.start()
    return t


def join(t, timeout=30):
    t.join(timeout)
    assert not t.is_alive() and not t.errors, t.errors


@pytest.fixture
def committed():
    """Partitions written and committed by other connections; removed afterwards."""
    names: list[str] = []
    yield names

    def clean():
        with chain.unlocked(reason="test cleanup of committed rows"):
            AuditEntry.objects.filter(partition__in=names).delete()
            ChainHead.objects.filter(partition__in=names).delete()

    join(in_thread(clean))


@postgres_only
def test_an_open_append_in_one_partition_does_not_block_another(committed):
    committed += ["test-A", "test-B"]
    join(in_thread(lambda: [ChainHead.objects.create(chain="core.auditentry", partition=p) for p in committed]))
    holding, release = threading.Event(), threading.Event()

    def hold_a():
        with pytest.raises(RuntimeError), transaction.atomic():
            entry("test-A")
            holding.set()
            release.wait(20)
            raise RuntimeError  # roll back

    def append_with_lock_timeout(partition, outcome):
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '2s'")
            started = time.monotonic()
            try:
                outcome.append(entry(partition).seq)
            except OperationalError as e:
                outcome.append(e)
            outcome.append(time.monotonic() - started)

    t = in_thread(hold_a)
    try:
        assert holding.wait(20)
        other, same = [], []
        join(in_thread(append_with_lock_timeout, "test-B", other))
        assert other[0] == 1 and other[1] < 1.5  # did not wait for the open append in test-A
        # the same partition does wait: the test would notice contention
        join(in_thread(append_with_lock_timeout, "test-A", same))
        assert isinstance(same[0], OperationalError) and "lock timeout" in str(same[0])
    finally:
        release.set()
        join(t)


@postgres_only
def test_concurrent_appends_in_one_partition_stay_one_chain(committed):
    committed.append("test-concurrent")
    start = threading.Barrier(4)

    def writer():
        start.wait(10)  # all race to create the partition's head
        for _ in range(10):
            entry("test-concurrent")

    for t in [in_thread(writer) for _ in range(4)]:
        join(t, 60)
    seqs = list(AuditEntry.objects.filter(partition="test-concurrent").order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 41))
    assert chain.chain_verify(AuditEntry).ok

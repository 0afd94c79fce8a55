"""The audit chain (SPEC ACC-3): append, verify, and detection of tampering by raw SQL."""

import datetime
import decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils.translation import gettext_lazy

from zhiyuan.core import chain
from zhiyuan.core.audit import GENESIS, audit_payload, audit_record, audit_verify, client_ip
from zhiyuan.core.models import AuditEntry, ChainHead

pytestmark = pytest.mark.django_db


def sql(statement: str, params=()):
    """Tamper with the table the way an attacker with SQL access and the trigger lifted would."""
    with chain.unlocked(reason="test tampers on purpose"), connection.cursor() as cur:
        cur.execute(statement, params)


def rehash(entry: AuditEntry) -> str:
    return chain.entry_hash(prev_hash=entry.prev_hash, partition=entry.partition, seq=entry.seq, payload=audit_payload(entry))


def append(n: int, **kwargs) -> list[AuditEntry]:
    return [audit_record(actor=None, action=f"test.{i}", **kwargs) for i in range(n)]


def test_entries_form_a_gapless_chain_per_day():
    entries = append(3)
    assert len({e.partition for e in entries}) == 1
    seqs = [e.seq for e in entries]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    first = AuditEntry.objects.get(id=entries[0].id)
    assert rehash(first) == first.hash
    head = ChainHead.objects.get(chain="core.auditentry", partition=entries[0].partition)
    assert (head.seq, head.hash) == (entries[2].seq, entries[2].hash)


def at(utc: str):
    return mock.patch("django.utils.timezone.now", return_value=datetime.datetime.fromisoformat(utc))


def test_the_partition_is_the_shanghai_date():
    with at("2026-03-01T15:59:59+00:00"):
        before = audit_record(actor=None, action="test.before_midnight")
    with at("2026-03-01T16:00:00+00:00"):
        after = audit_record(actor=None, action="test.after_midnight")
    assert (before.partition, after.partition) == ("2026-03-01", "2026-03-02")
    # each day starts its own chain from the genesis hash
    assert (before.seq, before.prev_hash) == (1, GENESIS) and (after.seq, after.prev_hash) == (1, GENESIS)
    assert audit_verify() == (AuditEntry.objects.count(), None, "")


def test_verify_ok():
    append(5)
    with at("2026-03-01T08:00:00+00:00"):
        append(3)
    checked, broken, why = audit_verify(batch=2)  # several batches of partitions and entries
    assert (checked, broken, why) == (AuditEntry.objects.count(), None, "")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE core_auditentry SET action = 'test.forged' WHERE id = %s", "DELETE FROM core_auditentry WHERE id = %s"],
)
def test_the_database_refuses_update_and_delete(statement):
    e = audit_record(actor=None, action="test.kept")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, [e.id])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(id=e.id).update(action="test.forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(id=e.id).delete()
    assert AuditEntry.objects.get(id=e.id).action == "test.kept"
    assert audit_verify()[2] == ""


def test_content_tampering_is_detected():
    entries = append(4)
    target = entries[1]
    sql("UPDATE core_auditentry SET result = 'ok', action = %s WHERE id = %s", ["test.forged", target.id])
    checked, broken, why = audit_verify()
    assert broken.id == target.id and checked == AuditEntry.objects.count() - 3
    assert "篡改" in why and target.partition in why


def test_detail_tampering_is_detected():
    e = audit_record(actor=None, action="test.detail", detail={"amount": 10})
    sql("UPDATE core_auditentry SET object_id = %s WHERE id = %s", ["999", e.id])
    assert audit_verify()[1].id == e.id


def test_deleted_entry_is_detected():
    entries = append(4)
    sql("DELETE FROM core_auditentry WHERE id = %s", [entries[1].id])
    _checked, broken, why = audit_verify()
    assert broken.id == entries[2].id and "缺失" in why


def test_deleted_last_entry_is_detected():
    entries = append(3)
    sql("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].id])
    _checked, broken, why = audit_verify()
    assert broken is None and "缺失" in why


def test_rehashed_entry_is_detected_by_its_successor():
    entries = append(3)
    forged = AuditEntry.objects.get(id=entries[1].id)
    forged.action = "test.forged"
    sql("UPDATE core_auditentry SET action = %s, hash = %s WHERE id = %s", ["test.forged", rehash(forged), forged.id])
    _checked, broken, why = audit_verify()
    assert broken.id == entries[2].id and "哈希" in why


def test_rehashed_last_entry_is_detected_by_the_head():
    entries = append(2)
    forged = AuditEntry.objects.get(id=entries[-1].id)
    forged.action = "test.forged"
    sql("UPDATE core_auditentry SET action = %s, hash = %s WHERE id = %s", ["test.forged", rehash(forged), forged.id])
    _checked, broken, why = audit_verify()
    assert broken is None and why


def test_rolled_back_write_leaves_no_entry_and_no_gap():
    before = append(1)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.rolled_back")
        raise RuntimeError
    assert not AuditEntry.objects.filter(action="test.rolled_back").exists()
    e = audit_record(actor=None, action="test.after")
    assert (e.partition, e.seq) == (before.partition, before.seq + 1)
    assert audit_verify()[2] == ""


def test_values_survive_the_database_round_trip():
    """What is hashed is what the database gives back: normalized IPv6, truncated text,
    JSON-safe detail (lazy strings, dates, decimals), no NUL characters."""
    audit_record(
        actor=None,
        action="a" * 200,
        object_type="t" * 200,
        object_id="9" * 200,
        ip="2001:0DB8:0000:0000:0000:0000:0000:0001",
        detail={
            "label": gettext_lazy("成功"),
            "day": datetime.date(2026, 1, 2),
            "amount": decimal.Decimal("1.50"),
            "text": "a\x00b",
            "nested": {"list": [1, "😀", None]},
        },
    )
    e = AuditEntry.objects.order_by("-id").first()
    assert e.ip == "2001:db8::1" and len(e.action) == 80 and len(e.object_id) == 64
    assert e.detail["text"] == "ab" and e.detail["day"] == "2026-01-02"
    assert audit_verify()[2] == ""


def test_forged_client_address_is_dropped(settings):
    settings.ZHIYUAN_TRUSTED_PROXIES = 2
    req = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="<script>, 10.0.0.1", REMOTE_ADDR="127.0.0.1")
    assert client_ip(req) is None
    e = audit_record(actor=None, action="test.ip", request=req)
    assert e.ip is None
    req = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="198.51.100.9, 10.0.0.1", REMOTE_ADDR="127.0.0.1")
    assert client_ip(req) == "198.51.100.9"
    settings.ZHIYUAN_TRUSTED_PROXIES = 0
    assert client_ip(req) == "127.0.0.1"


def test_behind_an_appending_proxy_only_the_address_it_saw_counts(settings):
    """Issue #11 item 6: nginx's ``$proxy_add_x_forwarded_for`` keeps what the client sent and
    appends the client's real address; the leftmost value is the client's invention."""
    settings.ZHIYUAN_TRUSTED_PROXIES = 1
    forged = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    assert client_ip(forged) == "203.0.113.7"
    plain = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.2")
    assert client_ip(plain) == "203.0.113.7"
    settings.ZHIYUAN_TRUSTED_PROXIES = 2  # a load balancer, then nginx
    two = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.9", REMOTE_ADDR="10.0.0.2")
    assert client_ip(two) == "203.0.113.7"


def test_audit_verify_command_ok(capsys):
    append(2)
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "checked 2 entries in 1 partitions" in out and "chain OK" in out


def test_audit_verify_command_names_the_broken_entry(capsys):
    entries = append(3)
    sql("UPDATE core_auditentry SET action = %s WHERE id = %s", ["test.forged", entries[1].id])
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert f"#{entries[1].id}" in out and "test.forged" in out and "篡改" in out
    assert f"partition {entries[1].partition}" in out


def test_audit_verify_command_after_a_deletion(capsys):
    entries = append(3)
    sql("DELETE FROM core_auditentry WHERE id = %s", [entries[0].id])
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify", "--batch", "1")
    assert exc.value.code == 1
    assert f"#{entries[1].id}" in capsys.readouterr().out

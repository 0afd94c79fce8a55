"""The audit log moves onto ``core.chain``: chained per day, append-only in the database.

Existing entries are re-chained into day partitions (Asia/Shanghai date of ``at``) in id order,
after their old single chain is checked with the old algorithm (frozen below). If the old chain
is broken the migration stops and names the entry, so re-chaining never launders tampering; an
operator who has investigated may set ZHIYUAN_AUDIT_RECHAIN_BROKEN=1 to re-chain anyway
(docs/operations.md). Reversing restores the single chain and its head row.
"""

import datetime
import hashlib
import json
import os

from django.conf import settings
from django.db import migrations, models

from zhiyuan.core.chain import GENESIS, append_only, entry_hash

BATCH = 2000
CHAIN = "core.auditentry"


def _old_hash(prev_hash: str, e) -> str:
    """The single-chain algorithm of migration 0001 (frozen)."""
    payload = {
        "id": e.id,
        "at": e.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor": e.actor_id,
        "actor_label": e.actor_label,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "result": e.result,
        "ip": e.ip,
        "detail": e.detail,
    }
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def _in_id_order(model):
    last = 0
    while chunk := list(model.objects.filter(id__gt=last).order_by("id")[:BATCH]):
        yield chunk
        last = chunk[-1].id


def rechain_per_day(apps, schema_editor):
    from zhiyuan.core.audit import audit_payload, day_partition

    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditHead = apps.get_model("core", "AuditHead")
    ChainHead = apps.get_model("core", "ChainHead")
    prev, expected = GENESIS, 1
    for chunk in _in_id_order(AuditEntry):
        for e in chunk:
            if e.id != expected or e.prev_hash != prev or _old_hash(prev, e) != e.hash:
                break
            prev, expected = e.hash, expected + 1
        else:
            continue
        break
    head = AuditHead.objects.filter(id=1).first()
    intact = not AuditEntry.objects.filter(id__gte=expected).exists() and (
        (head.last_id, head.last_hash) == (expected - 1, prev) if head else expected == 1
    )
    if not intact and os.environ.get("ZHIYUAN_AUDIT_RECHAIN_BROKEN") != "1":
        raise RuntimeError(
            f"The audit chain is broken at or after entry #{expected}; re-chaining would hide it. "
            "Investigate (docs/operations.md), then set ZHIYUAN_AUDIT_RECHAIN_BROKEN=1 to re-chain anyway."
        )
    heads: dict[str, tuple[int, str]] = {}
    for chunk in _in_id_order(AuditEntry):
        for e in chunk:
            e.partition = day_partition(e.at)
            seq, prev_hash = heads.get(e.partition, (0, GENESIS))
            e.seq, e.prev_hash = seq + 1, prev_hash
            e.hash = entry_hash(prev_hash=prev_hash, partition=e.partition, seq=e.seq, payload=audit_payload(e))
            heads[e.partition] = (e.seq, e.hash)
        AuditEntry.objects.bulk_update(chunk, ["partition", "seq", "prev_hash", "hash"])
    ChainHead.objects.bulk_create(
        [ChainHead(chain=CHAIN, partition=p, seq=s, hash=h) for p, (s, h) in heads.items()], batch_size=BATCH
    )


def rechain_single(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditHead = apps.get_model("core", "AuditHead")
    ChainHead = apps.get_model("core", "ChainHead")
    prev, last_id = GENESIS, 0
    for chunk in _in_id_order(AuditEntry):
        for e in chunk:
            e.prev_hash, e.hash = prev, _old_hash(prev, e)
            prev, last_id = e.hash, e.id
        AuditEntry.objects.bulk_update(chunk, ["prev_hash", "hash"])
    AuditHead.objects.update_or_create(id=1, defaults={"last_id": last_id, "last_hash": prev})
    ChainHead.objects.filter(chain=CHAIN).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("chain", models.CharField(max_length=100)),
                ("partition", models.CharField(max_length=64)),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default="0" * 64, max_length=64)),
            ],
        ),
        migrations.AddConstraint(
            model_name="chainhead",
            constraint=models.UniqueConstraint(fields=("chain", "partition"), name="core_chainhead_unique"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="partition",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.RunPython(rechain_per_day, rechain_single),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(fields=("partition", "seq"), name="core_auditentry_chain_seq"),
        ),
        migrations.DeleteModel(name="AuditHead"),
        append_only("core_auditentry"),
    ]

"""Append to and verify the audit chain (SPEC ACC-3, REC-8; 等保 2.0 audit records).

Each entry's ``hash = sha256(prev_hash || canonical JSON of its fields)``. The single
``AuditHead`` row holds the newest id and hash; locking it serializes appends on every database,
so ids are gapless and the chain is linear. ``audit_verify`` walks the chain and reports the
first entry that was changed, removed or inserted.

The values hashed are exactly the values the database gives back (ip normalized, text truncated
to the column sizes, ``detail`` passed through JSON), so verification after a round trip through
SQLite or PostgreSQL agrees with the hash computed at write time.
"""

import datetime
import hashlib
import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "id": entry.id,
        "at": entry.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "result": entry.result,
        "ip": entry.ip,
        "detail": entry.detail,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + _canonical(entry)).hexdigest()


def normalize_ip(value) -> str | None:
    """A valid IPv4/IPv6 address in the form the database returns it; ``None`` otherwise (a
    forged X-Forwarded-For value must neither break the write nor the chain)."""
    if not value:
        return None
    value = str(value).strip()[:45]
    try:
        validate_ipv46_address(value)
    except ValidationError:
        return None
    if ":" in value:
        return clean_ipv6_address(value)
    return value


def client_ip(request) -> str | None:
    if request is None:
        return None
    from django.conf import settings

    if settings.ZHIYUAN_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return normalize_ip(forwarded.split(",")[0].strip())
    return normalize_ip(request.META.get("REMOTE_ADDR"))


def _strip_nul(value):
    # PostgreSQL's jsonb cannot hold U+0000; drop it on every database alike.
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_strip_nul(k): _strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    return value


def _json_safe(detail: dict | None) -> dict:
    """What a JSON column gives back: lazy strings, dates and decimals become plain JSON."""
    if not detail:
        return {}
    return _strip_nul(json.loads(json.dumps(detail, cls=DjangoJSONEncoder, ensure_ascii=False)))


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id="",
    result: str = AuditEntry.Result.OK,
    request=None,
    ip: str | None = None,
    detail: dict | None = None,
    region_code: str = "",
) -> AuditEntry:
    """Append one entry. Joins the caller's transaction, so a rolled-back write leaves no entry.

    ``region_code``: the region of the object acted on (default: ``obj.region_code`` when it
    has one); region managers see the entries inside their region.
    ``detail`` must never contain unmasked personal data."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        region_code = region_code or getattr(obj, "region_code", "") or ""
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            id=head.last_id + 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=(getattr(actor, "audit_label", None) or "")[:100],
            action=str(action)[:80],
            object_type=str(object_type or "")[:80],
            object_id=str(object_id if object_id is not None else "")[:64],
            result=str(result),
            ip=normalize_ip(ip) if ip else client_ip(request),
            detail=_json_safe(detail),
            region_code=str(region_code)[:12],
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(head.last_hash, entry)
        entry.save(force_insert=True)
        head.last_id, head.last_hash = entry.id, entry.hash
        head.save(update_fields=["last_id", "last_hash"])
    return entry


def audit_verify(*, batch: int = 5000) -> tuple[int, AuditEntry | None, str]:
    """Walk the chain in id order.

    Returns ``(entries checked, first broken entry or None, why)``; ``why`` is empty when the
    chain is intact. Detects a changed entry (its hash no longer matches its content), a removed
    entry (a gap in the ids, or a head that points past the last entry), an inserted or re-hashed
    entry (the next entry's ``prev_hash`` or the head's hash no longer matches). Entries appended
    while the walk runs are followed, not reported."""
    prev = GENESIS
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        chunk = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        for entry in chunk:
            if entry.id != expected_id:
                return (
                    checked,
                    entry,
                    str(_("第 %(expected)d 条至第 %(found)d 条之前的记录缺失。") % {"expected": expected_id, "found": entry.id}),
                )
            if entry.prev_hash != prev:
                return checked, entry, str(_("前一条记录的哈希不匹配（记录被删除、插入或改写）。"))
            if entry_hash(prev, entry) != entry.hash:
                return checked, entry, str(_("记录内容与其哈希不符（记录被篡改）。"))
            prev = entry.hash
            expected_id += 1
            checked += 1
        if chunk:
            last_id = chunk[-1].id
            continue
        head = AuditHead.objects.filter(id=1).first()
        head_id, head_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
        if head_id > checked:
            if AuditEntry.objects.filter(id__gt=last_id).exists():
                continue  # appended while we walked
            return (
                checked,
                None,
                str(_("第 %(n)d 条之后的记录缺失（链头指向第 %(head)d 条）。") % {"n": checked, "head": head_id}),
            )
        if head_id < checked or head_hash != prev:
            return checked, None, str(_("链头与最后一条记录不一致（记录被追加或改写）。"))
        return checked, None, ""

"""Append to and verify the audit chain (SPEC ACC-3, REC-8; 等保 2.0 audit records).

The audit log is a ``core.chain`` chained table partitioned per day (the Asia/Shanghai date of
``at``): an append locks only that day's head row, and ``chain_verify`` checks every day and
names the first entry that was changed, removed or inserted. The database refuses UPDATE and
DELETE on ``core_auditentry``.

The values hashed are exactly the values the database gives back (ip normalized, text truncated
to the column sizes, ``detail`` passed through JSON), so verification after a round trip through
SQLite or PostgreSQL agrees with the hash computed at write time.
"""

import datetime
import json
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_ipv46_address
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from zhiyuan.core.chain import GENESIS, chain_append, chain_verify
from zhiyuan.core.models import AuditEntry

__all__ = ["GENESIS", "audit_payload", "audit_record", "audit_verify", "client_ip", "day_partition"]

# Fixed, not settings.TIME_ZONE: changing a setting must not move entries between partitions.
PARTITION_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def day_partition(at: datetime.datetime) -> str:
    return at.astimezone(PARTITION_TZ).date().isoformat()


def audit_payload(entry) -> dict:
    """The hashed fields of an entry (also used by the migration that re-chained old entries)."""
    return {
        "at": entry.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "result": entry.result,
        "ip": entry.ip,
        "detail": entry.detail,
        # hashed when set; entries from before the column (all "") keep their hashes
        **({"region_code": entry.region_code} if getattr(entry, "region_code", "") else {}),
    }


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
    """The client's address. Behind ``ZHIYUAN_TRUSTED_PROXIES`` = N reverse proxies that each
    append the address they received from to X-Forwarded-For, the client is the N-th entry from
    the right: everything left of it was sent by the client and may be forged (issue #11: the
    leftmost value let one host pass the registration limit under 256 invented addresses). With
    fewer entries than N, the leftmost (still written by a trusted proxy)."""
    if request is None:
        return None
    from django.conf import settings

    proxies = settings.ZHIYUAN_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if proxies > 0 else ""
    if forwarded:
        hops = [h.strip() for h in forwarded.split(",")]
        return normalize_ip(hops[-min(proxies, len(hops))])
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
    at = timezone.now()
    entry = AuditEntry(
        partition=day_partition(at),
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(getattr(actor, "audit_label", None) or "")[:100],
        action=str(action)[:80],
        object_type=str(object_type or "")[:80],
        object_id=str(object_id if object_id is not None else "")[:64],
        result=str(result),
        ip=normalize_ip(ip) if ip else client_ip(request),
        detail=_json_safe(detail),
        region_code=str(region_code)[:12],
    )
    return chain_append(entry)


def audit_verify(*, batch: int = 5000) -> tuple[int, AuditEntry | None, str]:
    """Check every day of the audit chain (``core.chain.chain_verify``).

    Returns ``(entries checked, first broken entry or None, why)``; ``why`` is empty when every
    day is intact, else it names the first problem found (prefixed by its day)."""
    report = chain_verify(AuditEntry, batch=batch)
    if report.ok:
        return report.entries, None, ""
    first = report.problems[0]
    why = f"{first.partition}: {first.why}" if first.partition else first.why
    return report.entries, first.entry, why

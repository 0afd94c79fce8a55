"""The hour ledger's one write path (REC-3; ARCHITECTURE rules 2 and 10).

Every change of a volunteer's hours is ``ledger_append``: the entry is appended to the
volunteer's chain (partition ``v<id>``), and in the same transaction the kept totals
(``HourTotal`` lifetime / per year / per organization, ``RegionHours``) move by the entry's
minutes. Nothing is ever updated or deleted in the ledger: a void or a correction is a
compensating entry that refers to the entry it compensates (``refers_to``, always the first
entry of the confirmation, "the root").

Callers first take ``ledger_lock(volunteer_id)`` — the volunteer's chain head, ``SELECT … FOR
UPDATE`` on PostgreSQL, the IMMEDIATE write transaction on SQLite — so two decisions about one
volunteer serialise and the overlap check (``overlap_check``) sees the other's interval.
Volunteers never wait on each other.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyuan.core.chain import chain_append, chain_lock
from zhiyuan.core.errors import Conflict
from zhiyuan.records.models import CreditedInterval, EntryAction, HourEntry, HourKind, HourTotal, RegionHours


def partition_of(volunteer_id: int) -> str:
    return f"v{volunteer_id}"


def ledger_lock(volunteer_id: int) -> None:
    """Serialise every ledger decision about one volunteer (held until the transaction ends)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_lock needs the caller's transaction")
    chain_lock(HourEntry, partition_of(volunteer_id))


def _local(ts):
    return timezone.localtime(ts)


def overlap_check(*, volunteer_id: int, starts_at, ends_at, replacing_entry_ids=()) -> None:
    """Refuse (409 ``overlap``) an interval that overlaps one the volunteer is already credited
    for, naming the activity and its time. Credited intervals of one volunteer never overlap, so
    only the last one starting before ``ends_at`` can: one indexed query on
    ``(volunteer, starts_at)`` whatever the volunteer's history."""
    qs = CreditedInterval.objects.filter(volunteer_id=volunteer_id, starts_at__lt=ends_at)
    if replacing_entry_ids:
        qs = qs.exclude(entry_id__in=list(replacing_entry_ids))
    other = qs.select_related("activity").order_by("-starts_at").first()
    if other is None or other.ends_at <= starts_at:
        return
    title = other.activity.title if other.activity_id else _("（无活动）")
    start, end = _local(other.starts_at), _local(other.ends_at)
    raise Conflict(
        "overlap",
        _("该时段与已确认的「%(activity)s」%(date)s %(start)s–%(end)s 的服务时间重叠，同一时间不能重复计时。")
        % {"activity": title, "date": f"{start:%Y-%m-%d}", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"},
        fields={"activity_id": [str(other.activity_id or "")]},
    )


def _bump_total(*, volunteer_id: int, year: int, organization_id, field: str, minutes: int) -> None:
    rows = HourTotal.objects.filter(volunteer_id=volunteer_id, year=year)
    rows = rows.filter(organization__isnull=True) if organization_id is None else rows.filter(organization_id=organization_id)
    if not rows.update(**{field: F(field) + minutes}):
        # no race: the caller holds the volunteer's chain head
        HourTotal.objects.create(volunteer_id=volunteer_id, year=year, organization_id=organization_id, **{field: minutes})


def _bump_region(*, region_code: str, year: int, field: str, minutes: int) -> None:
    rows = RegionHours.objects.filter(region_code=region_code, year=year)
    if not rows.update(**{field: F(field) + minutes, "entries": F("entries") + 1}):
        # shared by every volunteer of the region: created race-safely, then moved
        RegionHours.objects.bulk_create([RegionHours(region_code=region_code, year=year)], ignore_conflicts=True)
        rows.update(**{field: F(field) + minutes, "entries": F("entries") + 1})


def ledger_append(entry: HourEntry) -> HourEntry:
    """Append ``entry`` (content set, ``ledger_lock`` held) and move the kept totals by its
    minutes: lifetime, its service year, its organization, its region and year."""
    entry.partition = partition_of(entry.volunteer_id)
    chain_append(entry)
    field = "credit_minutes" if entry.kind == HourKind.CREDIT else "honour_minutes"
    year = entry.service_date.year
    if entry.minutes:
        for y, org in ((0, None), (year, None), (0, entry.organization_id)):
            _bump_total(volunteer_id=entry.volunteer_id, year=y, organization_id=org, field=field, minutes=entry.minutes)
    _bump_region(region_code=entry.region_code, year=year, field=field, minutes=entry.minutes)
    return entry


@dataclass
class Confirmation:
    """The present state of one confirmation: its root entry and every compensating entry."""

    root: HourEntry
    entries: list[HourEntry]
    interval: CreditedInterval | None

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.entries)

    @property
    def voided(self) -> bool:
        return any(e.action == EntryAction.VOID for e in self.entries)

    @property
    def ids(self) -> list[int]:
        return [e.pk for e in self.entries]


def confirmation_of(entry: HourEntry) -> Confirmation:
    """Read after ``ledger_lock``: the root confirmation ``entry`` belongs to, with its entries
    (index on ``refers_to``) and its live credited interval."""
    root_id = entry.refers_to_id or entry.pk
    entries = list(HourEntry.objects.filter(Q(pk=root_id) | Q(refers_to_id=root_id)).order_by("id"))
    root = next(e for e in entries if e.pk == root_id)
    interval = CreditedInterval.objects.filter(entry_id__in=[e.pk for e in entries]).first()
    return Confirmation(root, entries, interval)


def day_credit_minutes(*, volunteer_id: int, service_date, excluding=()) -> int:
    """Credit minutes already in the ledger for one volunteer and day (the daily cap's base);
    index ``(volunteer, service_date, id)``."""
    qs = HourEntry.objects.filter(volunteer_id=volunteer_id, service_date=service_date, kind=HourKind.CREDIT)
    if excluding:
        qs = qs.exclude(pk__in=list(excluding))
    return qs.aggregate(m=Sum("minutes"))["m"] or 0

"""Volunteer totals kept per region and status (issue #7 item 2): a list's "共 N 人" sums a few
``VolunteerTally`` rows (at most one per region and status inside the scope) instead of
counting the scope on every request.

A volunteer counts under ``(region_code, status)`` while not restricted (consent withdrawn, PIPL
47), as ``Volunteer.objects.visible_to`` leaves restricted people out. Every service that moves
a volunteer between keys changes the tally in its own transaction, by a relative upsert
(``INSERT … ON CONFLICT DO UPDATE SET n = n + delta``: safe under concurrent writers on
PostgreSQL and SQLite):

* registration, assisted registration and import (``services.registration._insert``): +1;
* a status change or the person's exit (``services.manage._record_status``);
* a change of residence (``services.profile.volunteer_update_profile``);
* consent withdrawn (restricted: −1) or accepted again (+1) (``services.consent``).

``tally_rebuild`` recounts from the volunteers and reports (and, unless checking, fixes) every
difference: ``python manage.py volunteer_tallies [--check]``.
"""

from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import connection, transaction
from django.db.models import Count, Sum

from zhiyuan.regions.codes import prefix_q
from zhiyuan.volunteers.models import Volunteer, VolunteerTally

Key = tuple[str, str]  # (region_code, status)
_CHUNK = 500  # keys per upsert statement (3 parameters each: far below SQLite's limit)


def tally_key(volunteer: Volunteer) -> Key | None:
    """Where ``volunteer`` counts now; None while restricted (not counted)."""
    if volunteer.is_restricted:
        return None
    return (volunteer.region_code, volunteer.status)


def tally_add(deltas: Mapping[Key, int]) -> None:
    """Add ``deltas`` to the tally, in the caller's transaction (keys in a fixed order, so two
    writers never wait on each other's rows in opposite orders)."""
    items = sorted((k, d) for k, d in deltas.items() if d and k is not None)
    if not items:
        return
    table = connection.ops.quote_name(VolunteerTally._meta.db_table)
    for i in range(0, len(items), _CHUNK):
        part = items[i : i + _CHUNK]
        values = ", ".join(["(%s, %s, %s)"] * len(part))
        params = [x for (region, status), d in part for x in (region, status, d)]
        with connection.cursor() as cur:
            # only the model's quoted table name and placeholders are formatted in
            sql = (
                f"INSERT INTO {table} (region_code, status, n) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (region_code, status) DO UPDATE SET n = {table}.n + excluded.n"
            )
            cur.execute(sql, params)


def tally_created(volunteers: Iterable[Volunteer]) -> None:
    """New volunteers (registration, import) start counting."""
    tally_add(Counter(k for k in map(tally_key, volunteers) if k is not None))


def tally_moved(before: Key | None, after: Key | None) -> None:
    """One volunteer moved from ``before`` to ``after`` (either None: not counted)."""
    if before == after:
        return
    deltas: Counter = Counter()
    if before is not None:
        deltas[before] -= 1
    if after is not None:
        deltas[after] += 1
    tally_add(deltas)


def tally_total(prefixes: list[str], *, status: str | None = None) -> int:
    """Volunteers (not restricted) living under any of ``prefixes`` (region-code prefixes that do
    not overlap; ``""`` for everywhere), of ``status`` or of any status. One query over at most
    one tally row per region and status in the range."""
    if not prefixes:
        return 0
    qs = VolunteerTally.objects.all()
    if "" not in prefixes:
        q = prefix_q("region_code", prefixes[0])
        for p in prefixes[1:]:
            q |= prefix_q("region_code", p)
        qs = qs.filter(q)
    if status:
        qs = qs.filter(status=status)
    return qs.aggregate(total=Sum("n"))["total"] or 0


def _actual() -> dict[Key, int]:
    rows = (
        Volunteer.objects.processable()
        .order_by()
        .values_list("region_code", "status")
        .annotate(n=Count("id"))
    )
    return {(r, s): n for r, s, n in rows}


def _lock_tally() -> None:
    """Make concurrent writers wait until the rebuild commits: a writer that already changed the
    tally has committed before the lock is granted (its change is in the recount); one that has
    not yet changed it applies its delta after the rebuilt values (its volunteer change, still
    uncommitted, is not in the recount)."""
    table = connection.ops.quote_name(VolunteerTally._meta.db_table)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        else:  # SQLite: any write takes the database's one write lock until commit
            cur.execute(f"DELETE FROM {table} WHERE n = 0 AND n <> 0")  # noqa: S608


def tally_rebuild(*, fix: bool = True) -> list[dict]:
    """Recount every (region, status) from the volunteers; returns the differences
    (``{"region_code", "status", "stored", "actual"}``, in key order) and, unless ``fix`` is
    false, stores the actual counts (rows that fall to zero are removed)."""
    with transaction.atomic():
        if fix:
            _lock_tally()
        stored = {(r, s): n for r, s, n in VolunteerTally.objects.values_list("region_code", "status", "n")}
        actual = _actual()
        diffs = [
            {"region_code": k[0], "status": k[1], "stored": stored.get(k, 0), "actual": actual.get(k, 0)}
            for k in sorted(set(stored) | set(actual))
            if stored.get(k, 0) != actual.get(k, 0)
        ]
        if fix and diffs:
            tally_add({(d["region_code"], d["status"]): d["actual"] - d["stored"] for d in diffs})
            VolunteerTally.objects.filter(n=0).delete()
    return diffs

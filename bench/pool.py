"""The volunteers later stages join to things (memberships, admins, station admins), read back
once from the database into compact arrays (about 40 bytes a volunteer) and kept in
``ctx.shared["pool"]``. Reading them back rather than taking them from the people stage keeps
the stages independent: the pool is whatever volunteers the database holds.

Keyset pages (``id > last ORDER BY id LIMIT n``), so neither backend holds the whole result.
"""

import datetime as dt
from array import array

from django.db import connection

from bench.stages import Context, get_model

PAGE = 50_000
# state: 0 may join (active, not restricted), 1 suspended, 2 exited, 3 restricted (consent withdrawn)
MAY_JOIN, SUSPENDED, EXITED, RESTRICTED = 0, 1, 2, 3


def _epoch(value) -> float:
    if isinstance(value, str):  # SQLite without converters
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:  # SQLite stores UTC without an offset
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


class VolunteerPool:
    def __init__(self):
        self.ids = array("q")
        self.users = array("q")
        self.region = array("i")  # index into self.codes
        self.registered = array("d")  # epoch seconds
        self.state = bytearray()
        self.codes: list[str] = []
        self._code_index: dict[str, int] = {}
        self._by_unit = None

    def __len__(self) -> int:
        return len(self.ids)

    def code_of(self, i: int) -> str:
        return self.codes[self.region[i]]

    def may_join(self, i: int) -> bool:
        return self.state[i] == MAY_JOIN

    def load(self, progress=None) -> "VolunteerPool":
        Volunteer = get_model("volunteers.Volunteer")
        table = connection.ops.quote_name(Volunteer._meta.db_table)
        # Seconds since the epoch computed by the database: building 10^6 datetime objects only to
        # take their timestamp costs more than the query.
        if connection.vendor == "postgresql":
            epoch = "EXTRACT(EPOCH FROM registered_at)::float8"
        elif connection.vendor == "sqlite":
            epoch = "CAST(strftime('%%s', registered_at) AS REAL)"
        else:
            epoch = "registered_at"
        sql = (
            f"SELECT id, user_id, region_code, status, {epoch}, restricted_at IS NOT NULL FROM {table} "
            "WHERE id > %s ORDER BY id LIMIT %s"
        )
        last = 0
        with connection.cursor() as cur:
            while True:
                cur.execute(sql, [last, PAGE])
                rows = cur.fetchall()
                if not rows:
                    break
                for vid, uid, code, status, registered, restricted in rows:
                    self.ids.append(vid)
                    self.users.append(uid)
                    idx = self._code_index.get(code)
                    if idx is None:
                        idx = self._code_index[code] = len(self.codes)
                        self.codes.append(code)
                    self.region.append(idx)
                    self.registered.append(registered if isinstance(registered, float) else _epoch(registered))
                    if restricted:
                        self.state.append(RESTRICTED)
                    elif status == "active":
                        self.state.append(MAY_JOIN)
                    else:
                        self.state.append(SUSPENDED if status == "suspended" else EXITED)
                last = rows[-1][0]
                if progress:
                    progress(len(self.ids))
        if progress:
            progress(len(self.ids), final=True)
        return self

    def by_unit(self, geo) -> tuple[dict[str, array], array]:
        """Volunteers who may act (join, apply, administer), grouped by the county unit they live
        in (``bench.geo.Geo.unit``), and all of them."""
        if self._by_unit is None:
            unit_of = [geo.unit(c) if c in geo.level and geo.level[c] >= 3 else c for c in self.codes]
            groups: dict[str, array] = {}
            everyone = array("i")
            for i in range(len(self.ids)):
                if self.state[i] == MAY_JOIN:
                    groups.setdefault(unit_of[self.region[i]], array("i")).append(i)
                    everyone.append(i)
            self._by_unit = groups, everyone
        return self._by_unit


def volunteer_pool(ctx: Context) -> VolunteerPool:
    found = ctx.shared.get("pool")
    if found is None:
        report = ctx.progress.reporter("pool", "volunteers read back", None)
        found = ctx.shared["pool"] = VolunteerPool().load(report)
    return found

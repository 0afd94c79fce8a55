"""Stage 5: insurance policies (FUN-4) and their insured lists.

* About 60 % of the active organizations hold accident insurance (条例 art. 17): 35 % of them a
  blanket policy for their members, the rest a named list. Each has one to three yearly policies
  in a row; the latest starts within the year before the reference day, except for 12 % that
  did not renew (their last policy has ended). Listed policies name about 90 % of the
  organization's active members (the last two years of policies; earlier ones carry no list).
* A third of the cities hold a platform liability policy for everyone living there.
* Insurers from the big property insurers' local branches; policy numbers unique per insurer.

Members are read back per block of organizations (name and document blind index with them),
so memory does not grow with the memberships table.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction

from bench import bulk
from bench.stages import Context, Phases, Skip, Table, get_model, require_models
from bench.stages.organizations import DAY, REF, dt_utc
from bench.stages.people import REFERENCE_DATE

INSURED_SHARE = 0.6
MEMBERS_COVER_SHARE = 0.35
NOT_RENEWED_SHARE = 0.12
LISTED_SHARE = 0.9  # of the active members
LISTED_YEARS = 2  # the latest policies that carry a list
PLATFORM_CITY_SHARE = 1 / 3
SUMS = (Decimal("100000"), Decimal("200000"), Decimal("300000"), Decimal("500000"), Decimal("1000000"))
INSURERS = (
    "中国人民财产保险股份有限公司",
    "中国平安财产保险股份有限公司",
    "中国太平洋财产保险股份有限公司",
    "中国人寿财产保险股份有限公司",
    "中华联合财产保险股份有限公司",
    "太平财产保险有限公司",
)
ORG_BLOCK = 500

POLICY_FIELDS = ["id", "holder_id", "region_code", "insurer", "policy_no", "kind", "cover", "starts_on", "ends_on",
                 "sum_insured", "status", "cancelled_on", "note", "insured_count", "created_by_id", "created_at",
                 "updated_at"]  # fmt: skip
PERSON_FIELDS = ["id", "policy_id", "volunteer_id", "id_number_index", "name", "added_by_id", "added_at"]


class InsuranceStage:
    name = "insurance"
    models = ("insurance.InsurancePolicy", "insurance.InsuredPerson")

    def run(self, ctx: Context) -> dict[str, int]:
        Policy, Person = require_models(*self.models)
        if Policy.objects.exists():
            raise Skip("insurance policies already exist: generate into an empty database")
        orgs = ctx.shared.get("organizations")
        if orgs is None:
            Organization = get_model("organizations.Organization", migrated=True)
            if Organization is None:
                raise Skip("no organizations to hold policies")
            orgs = list(Organization.objects.values_list("id", "kind", "region_code", "status").order_by("id"))
        active = [(oid, region) for oid, _kind, region, status in orgs if status == "active"]
        if not active:
            raise Skip("no active organizations to hold policies")
        clock = Phases(ctx, self.name)
        rng = ctx.rng(self.name)
        policies = Table(ctx, self.name, Policy, POLICY_FIELDS, "policies", None)
        persons = Table(ctx, self.name, Person, PERSON_FIELDS, "insured persons", None)
        listed: list[tuple[int, list[tuple[int, float]]]] = []  # (org id, [(policy id, start)])
        counts: dict[int, int] = {}
        rows: list[list] = []
        with transaction.atomic():
            for n, (oid, region) in enumerate(active):
                if n and rng.random() >= INSURED_SHARE:
                    continue
                cover = "listed" if n == 0 or rng.random() >= MEMBERS_COVER_SHARE else "members"
                years = rng.choice((1, 2, 2, 3))
                if rng.random() < NOT_RENEWED_SHARE:
                    last_start = REF - rng.uniform(370, 540) * DAY
                else:
                    last_start = REF - rng.uniform(0, 360) * DAY
                insurer = rng.randrange(len(INSURERS))
                sum_insured = rng.choice(SUMS)
                mine = []
                for back in range(years - 1, -1, -1):
                    start = last_start - back * 365 * DAY
                    pid = policies.next_id + len(rows)
                    rows.append([pid, oid, region, insurer, cover, start, sum_insured, "accident"])
                    if cover == "listed" and back < LISTED_YEARS:
                        mine.append((pid, start))
                if mine:
                    listed.append((oid, mine))
            clock.lap("organizations' policies planned")
            g_cities = _cities(active)
            for city in g_cities:
                if rng.random() < PLATFORM_CITY_SHARE:
                    start = dt.datetime(REFERENCE_DATE.year, 1, 1, tzinfo=dt.UTC).timestamp()
                    pid = policies.next_id + len(rows)
                    insurer = rng.randrange(len(INSURERS))
                    rows.append([pid, None, city, insurer, "members", start, Decimal("1000000"), "liability"])
            # the insured lists, members read back per block of organizations
            for i in range(0, len(listed), ORG_BLOCK):
                block = listed[i : i + ORG_BLOCK]
                members = _active_members([oid for oid, _p in block])
                for oid, mine in block:
                    people = [m for m in members.get(oid, ()) if rng.random() < LISTED_SHARE]
                    for pid, start in mine:
                        added = min(start + rng.uniform(0, 20) * DAY, REF - DAY)
                        for vid, index, name in people:
                            persons.add((0, pid, vid, index, name, None, dt_utc(added)))
                        counts[pid] = len(people)
                if len(persons.rows) > 50_000:
                    persons.flush()
            persons.start()
            persons.flush()
            clock.lap("insured lists written")
            for pid, holder, region, insurer, cover, start, sum_insured, kind in rows:
                starts = dt.datetime.fromtimestamp(start, dt.UTC).date()
                ends = _year_after(starts) - dt.timedelta(days=1)
                created = dt_utc(min(start - rng.uniform(1, 20) * DAY, REF - DAY))
                number = f"P{insurer}{starts.year}{pid:010d}"
                note = "平台统保" if holder is None else ""
                policies.add(
                    (pid, holder, region, INSURERS[insurer], number, kind, cover, starts, ends, sum_insured, "active", None,
                     note, counts.get(pid, 0), None, created, created)
                )  # fmt: skip
            policies.start()
            policies.flush()
            clock.lap("policies written")
            # the lists were written before their policies: PostgreSQL checks the deferred keys at commit
            for table in (policies, persons):
                bulk.reset_sequence(table.model)
        return {Policy._meta.label: policies.writer.count, Person._meta.label: persons.writer.count}


def _year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _cities(active) -> list[str]:
    return sorted({region[:4].ljust(12, "0") for _oid, region in active})


def _active_members(org_ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
    Membership = get_model("organizations.Membership")
    Volunteer = get_model("volunteers.Volunteer")
    m = connection.ops.quote_name(Membership._meta.db_table)
    v = connection.ops.quote_name(Volunteer._meta.db_table)
    marks = ", ".join(["%s"] * len(org_ids))
    sql = (
        f"SELECT m.organization_id, v.id, v.id_number_index, v.name FROM {m} m JOIN {v} v ON v.id = m.volunteer_id "
        f"WHERE m.status = 'active' AND v.restricted_at IS NULL AND m.organization_id IN ({marks}) ORDER BY m.id"
    )
    out: dict[int, list] = {}
    with connection.cursor() as cur:
        cur.execute(sql, org_ids)
        for oid, vid, index, name in cur.fetchall():
            out.setdefault(oid, []).append((vid, index, name))
    return out


STAGES = [InsuranceStage()]

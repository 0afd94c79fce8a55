"""Stages: activities, attendance and the hour ledger (issue 10 item 9).

* ``activities`` — ``activities.Project`` (two per organization, every status of the project
  library), ``Activity`` (one per 10 volunteers: 10⁵ at ``large``; 70 % single events, 30 %
  weekly series with their ``recurrence`` rule and an occasional exception date; by start: about
  90 % past, a few running on the reference day, the rest upcoming), ``Shift`` (one per event,
  one per occurrence of a series), ``Position`` (1–3 per activity: slots, age range, minors,
  dangerous, insurance) and ``Slot`` (a position on a shift). Organized by active organizations,
  in a town of the organization's region, with a map position around the city seat.
* ``attendance`` — ``Enrollment`` and ``Attendance``. Shifts are walked in order of start and
  each seat goes to a volunteer of the activity's county (else anyone) who may act and is free
  at that time (a volunteer is busy until the end of their last live enrollment), so no
  volunteer has two live enrollments that overlap and none is on a shift twice; minors never on
  a dangerous position. Past shifts: accepted seats (60–100 % filled), 8 % no-shows, the rest
  checked in and out (QR 60 %, e-card 20 %, code 15 %, manual 5 % with a reason; 3 % forgot to
  check out: closed at the shift's end and flagged); running shifts: checked in; upcoming ones:
  accepted, pending (review mode) and waitlisted when full; some cancelled and rejected. The
  slots' kept counts (accepted, pending, waitlisted) and the activities' ``slots_total`` /
  ``slots_open`` are set from the enrollments written, in one statement each.
* ``ledger`` — ``records.HourEntry`` on the per-volunteer chain (partition ``v<id>``, seq from 1,
  ``core.chain.entry_hash`` of the model's ``chain_payload``), ``core.ChainHead`` of each
  partition, ``CreditedInterval`` of each live credit, and ``HourTotal`` / ``RegionHours``
  summed from the entries by the database (so they agree with the ledger by construction). One
  *confirm* credit entry per attendance checked out (minutes served clipped to the shift),
  except those of the last week half of which still wait in the organization's confirmation
  queue and the auto-closed ones (never silently credited); 0.3 % voided (a compensating entry,
  its interval released), 0.5 % corrected (a compensating entry that ends the interval earlier;
  the interval moves to it), honour hours for about 1.5 % (an organization with two admins: one
  records, the other approves). Totals follow the ledger service: lifetime (year 0), per service
  year, per organization; region rollups per activity region and service year, ``entries``
  counting every entry.

The three stages hand a compact plan to each other in ``ctx.shared`` (arrays, not objects: 10⁷
attendances at ``large``). Fields another engineer adds to these models get their default
(``bench.stages.Table``); a required one without a default stops the run naming it.
"""

import contextlib
import datetime as dt
import functools
import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import tempfile
import zlib
from array import array

from django.db import connection, transaction

from bench import bulk
from bench.geo import geo as geo_of
from bench.pipeline import prefetch
from bench.pool import volunteer_pool
from bench.stages import Context, Phases, Skip, Table, get_model, require_models
from bench.stages.organizations import DAY, REF, between, dt_utc
from zhiyuan.regions.codes import region_prefix

HOUR = 3600
TZ_OFFSET = 8 * HOUR  # Asia/Shanghai (no daylight saving since 1991)
PAST_DAYS = 720  # activities start between REF - 720 days and REF + 60 days
FUTURE_DAYS = 60
RECURRING_SHARE = 0.30
POSITIONS = {1: 50, 2: 35, 3: 15}
POSITION_NAMES = ("引导员", "秩序维护", "物资发放", "讲解员", "医疗保障", "摄影记录", "陪伴服务", "环境清洁", "信息登记",
                  "交通疏导")  # fmt: skip
ACTIVITY_KINDS = ("关爱空巢老人走访", "社区环境整治", "文明交通劝导", "图书馆阅读推广", "义诊服务", "垃圾分类宣传",
                  "防诈骗知识宣讲", "助残陪伴", "河道巡护", "应急演练保障", "敬老院探访", "青少年课业辅导")  # fmt: skip
CATEGORIES = ("empty_nest_elderly", "community", "civilized_traffic", "education_support", "health", "environment",
              "fire_safety", "disability", "emergency", "left_behind_children")  # fmt: skip
PROJECT_STATUS = {"draft": 5, "submitted": 8, "approved": 12, "rejected": 5, "running": 40, "closed": 20, "evaluated": 10}
PROJECT_ACTIVE = ("approved", "running", "closed", "evaluated")
UPCOMING_STATUS = {"published": 80, "draft": 10, "closed": 10}
CANCELLED_SHARE = 0.03
# attendance
NO_SHOW = 0.08
FORGOT_CHECKOUT = 0.03
METHODS = {"qr": 60, "ecard": 20, "code": 15, "manual": 5}
CANCELLED_ENROLLMENT = 0.05
# ledger
LEDGER_SHARE_CREDIT = 0.97  # of the ledger entries: credit confirmations (the rest honour, voids, corrections)
UNCONFIRMED_RECENT = 0.5  # of the attendances of the last week, still in the confirmation queue
VOID_SHARE = 0.003
CORRECT_SHARE = 0.005
HONOUR_SHARE = 0.015
FLUSH_ROWS = 20_000
CHAIN = "records.hourentry"  # core.chain.chain_name(HourEntry)
GENESIS = "0" * 64


def _day_of(seconds: float) -> dt.date:
    """The Asia/Shanghai date of an instant."""
    return dt.date.fromordinal(int((seconds + TZ_OFFSET) // DAY) + 719163)


def _local_midnight(day_ordinal: int) -> float:
    return (day_ordinal - 719163) * DAY - TZ_OFFSET


def _pick(rng, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


class Plan:
    """What the activities stage made, for the later stages (parallel arrays)."""

    def __init__(self):
        # activities
        self.act_id = array("q")
        self.act_org = array("q")
        self.act_region: list[str] = []
        self.act_review = bytearray()  # review-mode enrollment
        self.act_live = bytearray()  # published/closed/finished: takes enrollments
        # shifts
        self.shift_id = array("q")
        self.shift_act = array("i")  # index into the activity arrays
        self.shift_start = array("q")
        self.shift_end = array("q")
        # slots (in shift order)
        self.slot_id = array("q")
        self.slot_shift = array("i")
        self.slot_capacity = array("i")
        self.slot_dangerous = bytearray()
        self.slot_minors = bytearray()
        self.org_admins: dict[int, list[int]] = {}


class ActivitiesStage:
    name = "activities"
    models = ("activities.Project", "activities.Activity", "activities.Shift", "activities.Position", "activities.Slot")

    def run(self, ctx: Context) -> dict[str, int]:
        Project, Activity, Shift, Position, Slot = require_models(*self.models)
        Organization = get_model("organizations.Organization")
        Membership = get_model("organizations.Membership")
        if Activity.objects.exists():
            raise Skip("activities already exist: generate into an empty database")
        orgs = list(Organization.objects.filter(status="active").order_by("id").values_list("id", "region_code"))
        if not orgs:
            raise Skip("no active organizations to organize activities")
        geo = geo_of(ctx)
        plan = Plan()
        for org, user in (
            Membership.objects.filter(role="admin", status="active")
            .order_by("organization_id", "id")
            .values_list("organization_id", "volunteer__user_id")
        ):
            plan.org_admins.setdefault(org, []).append(user)
        rng = ctx.rng("activities")
        size = ctx.size
        T = {
            "projects": Table(ctx, self.name, Project, [
                "id", "name", "organization_id", "region_code", "category", "target_group", "summary", "goals", "budget",
                "starts_on", "ends_on", "status", "is_demonstration", "is_brand", "review_note", "reviewed_at", "outcome",
                "outcome_score", "created_by_id", "created_at", "updated_at"], "projects", size.projects),
            "activities": Table(ctx, self.name, Activity, [
                "id", "project_id", "organization_id", "region_code", "title", "category", "content", "conditions",
                "signup_method", "risks", "safeguards", "contact_name", "contact_phone", "address", "latitude", "longitude",
                "geofence_m", "starts_at", "ends_at", "recurrence", "visibility", "enrollment_mode", "cancel_deadline_hours",
                "status", "published_at", "slots_total", "slots_open", "created_by_id", "created_at", "updated_at"],
                "activities", size.activities),
            "shifts": Table(ctx, self.name, Shift, ["id", "activity_id", "starts_at", "ends_at", "cancelled"], "shifts", None),
            "positions": Table(ctx, self.name, Position, [
                "id", "activity_id", "name", "duties", "slots", "skills", "min_age", "max_age", "minors_allowed", "dangerous",
                "insurance_required"], "positions", None),
            "slots": Table(ctx, self.name, Slot, ["id", "shift_id", "position_id", "capacity", "accepted", "pending",
                                                  "waitlisted"], "slots", None),
        }  # fmt: skip
        statuses = list(PROJECT_STATUS)
        weights = list(PROJECT_STATUS.values())
        projects_of: dict[int, list[int]] = {}
        with transaction.atomic():
            for p in range(size.projects):
                org, region = rng.choice(orgs)
                status = rng.choices(statuses, weights)[0]
                start = between(rng, REF - 900 * DAY, REF + 60 * DAY)
                created = start - rng.uniform(30, 120) * DAY
                reviewed = created + rng.uniform(3, 20) * DAY if status not in ("draft", "submitted") else None
                admin = (plan.org_admins.get(org) or [None])[0]
                pid = T["projects"].add((0, f"{rng.choice(ACTIVITY_KINDS)}项目{p + 1}", org, region, rng.choice(CATEGORIES),
                    "社区居民", "项目简介", "项目目标", round(rng.uniform(5_000, 500_000), 2), _day_of(start),
                    _day_of(start + rng.uniform(90, 365) * DAY), status, rng.random() < 0.03, rng.random() < 0.02,
                    "同意立项" if reviewed else "", dt_utc(reviewed), "项目成效良好" if status == "evaluated" else "",
                    rng.randint(60, 98) if status == "evaluated" else None, admin, dt_utc(created),
                    dt_utc(reviewed or created)))  # fmt: skip
                if status in PROJECT_ACTIVE:
                    projects_of.setdefault(org, []).append(pid)
            T["projects"].start()
            T["projects"].flush()
            # plan the activities first: capacities are scaled so the ledger gets its entries
            planned = []  # (org, region, start_day, kind, weekdays, weeks, hour, hours, positions, status, exceptions)
            base_seats = 0
            for _a in range(size.activities):
                org, org_region = rng.choice(orgs)
                region = geo.draw_under(rng, region_prefix(org_region), 4) or org_region
                day = int((REF - rng.uniform(-FUTURE_DAYS, PAST_DAYS) * DAY + TZ_OFFSET) // DAY) + 719163
                hour = rng.choice((8, 9, 9, 10, 14, 15, 18, 19))
                recurring = rng.random() < RECURRING_SHARE
                if recurring:
                    weekdays = sorted(rng.sample(range(7), rng.choice((1, 1, 2))))
                    weeks = rng.randint(4, 12)
                    hours = rng.choice((2, 2, 3, 4))
                else:
                    weekdays, weeks, hours = [], 0, rng.choice((2, 3, 4, 4, 6, 8))
                positions = []
                for _p in range(_pick(rng, POSITIONS)):
                    dangerous = rng.random() < 0.05
                    minors = not dangerous and rng.random() < 0.2
                    seats = rng.randint(3, 20)
                    positions.append((rng.choice(POSITION_NAMES), seats, dangerous, minors, rng.random() < 0.3))
                planned.append([org, region, day, recurring, weekdays, weeks, hour, hours, positions])
            # shifts of each plan, and the seats of the past ones (to scale the capacities)
            shifts_of = []
            for _org, _region, day, recurring, weekdays, weeks, hour, hours, positions in planned:
                starts = []
                if recurring:
                    first_monday = day - (dt.date.fromordinal(day).weekday())
                    for w in range(weeks):
                        for wd in weekdays:
                            d = first_monday + 7 * w + wd
                            if d >= day:
                                starts.append(_local_midnight(d) + hour * HOUR)
                    exceptions = [s for s in starts if rng.random() < 0.03][:1]
                    starts = [s for s in starts if s not in exceptions] or starts[:1]
                else:
                    starts, exceptions = [_local_midnight(day) + hour * HOUR], []
                shifts_of.append((starts, exceptions))
                base_seats += sum(p[1] for p in positions) * sum(1 for s in starts if s + hours * HOUR <= REF)
            credit_wanted = size.ledger_entries * LEDGER_SHARE_CREDIT
            filled = 0.8 * (1 - NO_SHOW) * (1 - FORGOT_CHECKOUT) * (1 - CANCELLED_ENROLLMENT)
            scale = credit_wanted / max(1.0, base_seats * filled)
            for key in ("activities", "shifts", "positions", "slots"):
                T[key].start()
            for (org, region, _day, recurring, weekdays, _weeks, hour, hours, positions), (starts, exceptions) in zip(
                planned, shifts_of, strict=True
            ):
                first, last = starts[0], starts[-1] + hours * HOUR
                published = first - rng.uniform(7, 30) * DAY
                if rng.random() < CANCELLED_SHARE:
                    status = "cancelled"
                elif last <= REF:
                    status = "finished"
                elif first <= REF:
                    status = "published"
                else:
                    status = _pick(rng, UPCOMING_STATUS)
                review = rng.random() < 0.3
                recurrence = {}
                if recurring:
                    recurrence = {
                        "weekdays": weekdays, "start": f"{hour:02d}:00", "end": f"{hour + hours:02d}:00",
                        "from": _day_of(first).isoformat(), "until": _day_of(starts[-1]).isoformat(),
                        "except": [_day_of(s).isoformat() for s in exceptions],
                    }  # fmt: skip
                seat = geo.seat(region)
                lat = lon = None
                if seat:
                    lat, lon = round(seat[0] + rng.uniform(-0.15, 0.15), 6), round(seat[1] + rng.uniform(-0.15, 0.15), 6)
                project = rng.choice(projects_of[org]) if projects_of.get(org) and rng.random() < 0.6 else None
                admin = (plan.org_admins.get(org) or [None])[0]
                title = f"{geo.short(region)}{rng.choice(ACTIVITY_KINDS)}" + ("（每周）" if recurring else "")
                aid = T["activities"].add((0, project, org, region, title[:100], rng.choice(CATEGORIES), "服务内容：" + title,
                    "年满14周岁，身体健康", "在志愿服务平台报名", "注意防暑和交通安全", "购买志愿服务保险，提供饮用水",
                    "活动联系人", geo.landline(rng, region) or "", geo.address(rng, region)[:200], lat, lon,
                    rng.choice((100, 200, 300, 500)),
                    dt_utc(first), dt_utc(last), recurrence, "members" if rng.random() < 0.1 else "public",
                    "review" if review else "auto", 24, status, dt_utc(published) if status != "draft" else None, 0, 0,
                    admin, dt_utc(published - DAY), dt_utc(published)))  # fmt: skip
                a = len(plan.act_id)
                plan.act_id.append(aid)
                plan.act_org.append(org)
                plan.act_region.append(region)
                plan.act_review.append(1 if review else 0)
                plan.act_live.append(1 if status in ("published", "closed", "finished") else 0)
                pos_ids = []
                for name, seats, dangerous, minors, insured in positions:
                    slots = max(1, min(80, round(seats * scale)))
                    pos_ids.append((T["positions"].add((0, aid, name, "按现场安排开展服务", slots, [],
                                                        None if minors else 18, None,
                                                        minors, dangerous, insured or dangerous)),
                                    slots, dangerous, minors))  # fmt: skip
                for s in starts:
                    sid = T["shifts"].add((0, aid, dt_utc(s), dt_utc(s + hours * HOUR), status == "cancelled"))
                    k = len(plan.shift_id)
                    plan.shift_id.append(sid)
                    plan.shift_act.append(a)
                    plan.shift_start.append(int(s))
                    plan.shift_end.append(int(s + hours * HOUR))
                    for pid, slots, dangerous, minors in pos_ids:
                        plan.slot_id.append(T["slots"].add((0, sid, pid, slots, 0, 0, 0)))
                        plan.slot_shift.append(k)
                        plan.slot_capacity.append(slots)
                        plan.slot_dangerous.append(dangerous)
                        plan.slot_minors.append(minors)
                if len(T["slots"].rows) >= FLUSH_ROWS:
                    for key in ("activities", "positions", "shifts", "slots"):
                        T[key].flush()
            for key in ("activities", "positions", "shifts", "slots"):
                T[key].flush()
            for t in T.values():
                bulk.reset_sequence(t.model)
        ctx.shared["activities"] = plan
        return {t.model._meta.label: t.writer.count for t in T.values()}


class Attended:
    """Attendances whose hours were confirmed (each gets its credit entry in the ledger stage) of
    one partition, in order of shift start. Handed from the attendance stage to the ledger stage through a file per partition (the
    stages' producer processes do not share memory)."""

    def __init__(self):
        self.attendance = array("q")
        self.volunteer = array("i")  # pool index
        self.shift = array("i")  # plan index
        self.check_in = array("q")
        self.check_out = array("q")

    def save(self, path: str) -> None:
        with open(path, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def load(path: str) -> "Attended":
        with open(path, "rb") as f:
            return pickle.load(f)


PARTITION_VOLUNTEERS = 25_000  # one partition per this many volunteers (at most MAX_PARTITIONS)
MAX_PARTITIONS = 8


class Partitions:
    """The attendance and ledger stages split the work by volunteer: every county unit's
    volunteers (``VolunteerPool.by_unit``) belong to one of ``k`` partitions (balanced by number
    of volunteers), and a shift to the partition of its activity's unit. A partition enrolls only
    its own volunteers (the "anyone" fallback of a seat is anyone *of the partition*), so each
    volunteer's busy time and hash chain live in one partition and the partitions can be generated
    by separate processes, each with its own connection and COPY, in any order. ``k`` depends on
    the size only (never on the number of processes), every partition has its own random stream,
    and partition ``p``'s ids are ``base + p, base + p + k, …``: the data are the same whatever
    ``--workers`` says. At ``k = 1`` (``small`` and below) this is the plain sequential walk."""

    last_k = None  # for the tests

    def __init__(self, ctx: Context, plan: Plan, pool, geo):
        self.k = k = max(1, min(MAX_PARTITIONS, len(pool) // PARTITION_VOLUNTEERS))
        Partitions.last_k = k
        groups, everyone = pool.by_unit(geo)
        load = [0] * k
        part_of_unit = {}
        for unit in sorted(groups, key=lambda u: (-len(groups[u]), u)):
            p = min(range(k), key=lambda j: (load[j], j))
            part_of_unit[unit] = p
            load[p] += len(groups[unit])
        if k == 1:
            self.everyone = [everyone]
        else:
            self.everyone = [array("i") for _ in range(k)]
            for unit in sorted(groups):
                self.everyone[part_of_unit[unit]].extend(groups[unit])
        biggest = max(range(k), key=lambda j: (len(self.everyone[j]), -j))
        self.candidates: dict[str, array] = {}
        region_part: dict[str, int] = {}
        for region in sorted(set(plan.act_region)):
            unit = geo.unit(region) if region in geo.level and geo.level[region] >= 3 else region
            if unit in groups:
                p = part_of_unit[unit]
                self.candidates[region] = groups[unit]
            else:  # nobody lives there: anyone of a partition chosen by the unit's code
                p = zlib.crc32(unit.encode()) % k
                if not len(self.everyone[p]):
                    p = biggest
                self.candidates[region] = self.everyone[p]
            region_part[region] = p
        self.of_shift = bytes(region_part[plan.act_region[a]] for a in plan.shift_act) if k > 1 else bytes(len(plan.shift_act))

    def rng(self, ctx: Context, stage: str, p: int):
        return ctx.rng(stage) if self.k == 1 else ctx.rng(f"{stage}:{p}")


def _adult_from(born_after: dt.date) -> dict[int, int]:
    """``{volunteer id: the instant they turn 18}`` of those who were minors at some point after
    ``born_after`` + 18 years (the others were adults all along)."""
    Volunteer = get_model("volunteers.Volunteer")
    out = {}
    for vid, birth in Volunteer.objects.filter(birth_date__gt=born_after).values_list("id", "birth_date"):
        try:
            adult = birth.replace(year=birth.year + 18)
        except ValueError:  # 29 February
            adult = birth.replace(year=birth.year + 18, day=28)
        out[vid] = int(_local_midnight(adult.toordinal()))
    return out


def parallel(ctx: Context, k: int) -> int:
    """How many producer processes a stage of ``k`` partitions forks: none (0, in this process,
    in the caller's transaction) on SQLite, inside a transaction (a test), or with one worker."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or ctx.workers <= 1 or k <= 1:
        return 0
    return min(ctx.workers, k)


_JOB = None  # the stage's job, inherited by the forked producer processes


def _run_partition(p: int):
    from django.db import connection as conn

    try:
        return _JOB(p)
    finally:
        conn.close()


def run_partitions(ctx: Context, job, k: int) -> list:
    """``job(p)`` for every partition: in forked processes (each its own connection and
    transaction) when :func:`parallel` says so, else here one after the other."""
    global _JOB
    procs = parallel(ctx, k)
    if not procs:
        return [job(p) for p in range(k)]
    connection.close()  # the children open their own; nothing may be shared across fork
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(procs) as workers:
            return workers.map(_run_partition, range(k), chunksize=1)
    finally:
        _JOB = None


class AttendanceStage:
    name = "attendance"
    models = ("activities.Enrollment", "activities.Attendance")

    def run(self, ctx: Context) -> dict[str, int]:
        Enrollment, Attendance = require_models(*self.models)
        plan: Plan | None = ctx.shared.get("activities")
        if plan is None:
            raise Skip("the activities stage did not run")
        pool = volunteer_pool(ctx)
        geo = geo_of(ctx)
        _groups, everyone = pool.by_unit(geo)
        if not len(everyone):
            raise Skip("no volunteers to enroll")
        parts = Partitions(ctx, plan, pool, geo)
        k = parts.k
        first_day = _day_of(min(plan.shift_start, default=REF))
        adults = _adult_from(first_day.replace(year=first_day.year - 18, day=min(first_day.day, 28)))
        adult_from = array("q", (adults.get(vid, 0) for vid in pool.ids))  # 0: adult all along
        slots_of_shift: dict[int, list[int]] = {}
        for s, sk in enumerate(plan.slot_shift):
            slots_of_shift.setdefault(sk, []).append(s)
        order = sorted(range(len(plan.shift_id)), key=plan.shift_start.__getitem__)
        bases = {m: bulk.next_id(m) for m in (Enrollment, Attendance)}
        spool = tempfile.mkdtemp(prefix="zy-bench-attended-")
        methods, mweights = list(METHODS), list(METHODS.values())
        stage = self.name

        def partition(p: int) -> tuple[int, int]:
            rng = parts.rng(ctx, stage, p)
            label = "" if k == 1 else f" p{p}"
            T = {
                "enrollments": Table(ctx, stage, Enrollment, [
                    "id", "slot_id", "volunteer_id", "shift_id", "activity_id", "organization_id", "region_code",
                    "starts_at", "ends_at", "status", "note", "reason", "applied_at", "decided_at", "decided_by_id",
                    "cancelled_at"], f"enrollments{label}", None, start=bases[Enrollment] + p, stride=k),
                "attendance": Table(ctx, stage, Attendance, [
                    "id", "enrollment_id", "volunteer_id", "activity_id", "shift_id", "organization_id", "region_code",
                    "check_in_at", "check_in_method", "check_out_at", "check_out_method", "flags", "reason",
                    "recorded_by_id", "hours_state"], f"attendance{label}", None, start=bases[Attendance] + p,
                    stride=k),
            }  # fmt: skip
            attended = Attended()
            recent = REF - 7 * DAY
            busy = array("q", bytes(8 * len(pool)))  # busy until (epoch seconds)
            mine = parts.everyone[p]
            shifts = [sk for sk in order if parts.of_shift[sk] == p] if k > 1 else order

            def pick(candidates, start: int, minors_allowed: int):
                """A volunteer free at ``start`` (and an adult then, unless the position takes minors)."""
                for _try in range(6):
                    i = candidates[rng.randrange(len(candidates))] if _try < 4 else mine[rng.randrange(len(mine))]
                    if busy[i] <= start and (minors_allowed or adult_from[i] <= start):
                        return i
                return None

            def produce():
                for n, sk in enumerate(shifts):
                    a = plan.shift_act[sk]
                    if not plan.act_live[a]:
                        continue
                    start, end = plan.shift_start[sk], plan.shift_end[sk]
                    aid, org, region = plan.act_id[a], plan.act_org[a], plan.act_region[a]
                    sid = plan.shift_id[sk]
                    admins = plan.org_admins.get(org) or [None]
                    candidates = parts.candidates[region]
                    past, running = end <= REF, start <= REF < end
                    t_start, t_end = dt_utc(start), dt_utc(end)
                    for s in slots_of_shift.get(sk, ()):
                        cap = plan.slot_capacity[s]
                        minors_allowed = plan.slot_minors[s]
                        fill = rng.uniform(0.6, 1.0) if past or running else rng.uniform(0.2, 1.0)
                        accepted = min(cap, round(cap * fill))
                        extra = []  # statuses beyond the accepted seats
                        if not past and not running:
                            if accepted == cap:
                                extra += ["waitlisted"] * rng.randint(0, 3)
                            if plan.act_review[a]:
                                extra += ["pending"] * rng.randint(0, 3)
                        extra += ["cancelled"] * sum(1 for _ in range(accepted) if rng.random() < CANCELLED_ENROLLMENT)
                        if plan.act_review[a] and rng.random() < 0.2:
                            extra.append("rejected")
                        for status in ["accepted"] * accepted + extra:
                            i = pick(candidates, start, minors_allowed)
                            if i is None:
                                continue
                            live = status in ("accepted", "pending", "waitlisted")
                            if live:
                                busy[i] = end
                            applied = start - rng.uniform(1, 10) * DAY
                            decided = applied + (rng.uniform(0.2, 2) * DAY if plan.act_review[a] else 1)
                            eid = T["enrollments"].add((0, plan.slot_id[s], pool.ids[i], sid, aid, org, region, t_start,
                                t_end, status, "",
                                "时间冲突" if status == "cancelled" else ("名额已满" if status == "rejected" else ""),
                                dt_utc(applied), dt_utc(decided) if status in ("accepted", "rejected") else None,
                                admins[0] if plan.act_review[a] and status in ("accepted", "rejected") else None,
                                dt_utc(decided + rng.uniform(0, 2) * DAY) if status == "cancelled" else None))  # fmt: skip
                            if status != "accepted" or not (past or running) or rng.random() < NO_SHOW:
                                continue
                            method = rng.choices(methods, mweights)[0]
                            check_in = start + int(rng.uniform(-15, 10) * 60)
                            flags = ["late"] if check_in > start + 300 else []
                            if method == "manual":
                                flags.append("manual")
                            recorder = admins[0] if method in ("manual", "ecard") else None
                            if running:
                                check_out, out_method = None, ""
                            elif rng.random() < FORGOT_CHECKOUT:
                                check_out, out_method = end, "auto_close"
                                flags.append("auto_closed")
                            else:
                                check_out, out_method = end + int(rng.uniform(-20, 15) * 60), method
                            # the organization's decision on the hours (records): the last week's
                            # half still waits in its queue, as do running shifts; the rest was
                            # confirmed (a credit entry, the ledger stage), or voided when there was
                            # no real check-out or no minute inside the shift
                            if check_out is None or (end > recent and rng.random() < UNCONFIRMED_RECENT):
                                state = "pending"
                            elif out_method == "auto_close":
                                state = "pending" if end > recent else "voided"
                            elif min(check_out, end) - max(check_in, start) < 60:
                                state = "voided"
                            else:
                                state = "confirmed"
                            att = T["attendance"].add((0, eid, pool.ids[i], aid, sid, org, region, dt_utc(check_in),
                                method, dt_utc(check_out), out_method, flags,
                                "现场设备故障，人工补录" if method == "manual" else "", recorder, state))  # fmt: skip
                            if state == "confirmed":
                                attended.attendance.append(att)
                                attended.volunteer.append(i)
                                attended.shift.append(sk)
                                attended.check_in.append(check_in)
                                attended.check_out.append(check_out)
                    if len(T["enrollments"].rows) >= FLUSH_ROWS or n == len(shifts) - 1:
                        yield T["enrollments"].take(), T["attendance"].take()
                yield T["enrollments"].take(), T["attendance"].take()

            with transaction.atomic():
                for t in T.values():
                    t.start()
                for enrollments, attendances in prefetch(produce()):
                    T["enrollments"].writer.write(enrollments, prepared=True)
                    T["attendance"].writer.write(attendances, prepared=True)
            attended.save(os.path.join(spool, f"{p}.pickle"))
            return T["enrollments"].writer.count, T["attendance"].writer.count

        procs = parallel(ctx, k)
        ctx.progress.say(f"  [{stage}] {k} partition(s), {procs or 'no'} producer process(es)")
        clock = Phases(ctx, stage)
        with transaction.atomic() if not procs else contextlib.nullcontext():
            with bulk.foreign_keys_after(Enrollment, Attendance), bulk.indexes_after(Enrollment, Attendance):
                counts = run_partitions(ctx, partition, k)
                clock.lap("partitions written")
            clock.lap("indexes built, foreign keys added back")
            self.keep_counts(plan)
            clock.lap("kept counts")
            for model in (Enrollment, Attendance):
                bulk.reset_sequence(model)
        ctx.shared["attended"] = (spool, k)
        ctx.shared["partitions"] = parts
        return {Enrollment._meta.label: sum(c[0] for c in counts), Attendance._meta.label: sum(c[1] for c in counts)}

    @staticmethod
    def keep_counts(plan: Plan) -> None:
        """The slots' kept counts and the activities' seat totals from the enrollments written."""
        Slot, Enrollment, Activity, Shift = (get_model(f"activities.{m}") for m in ("Slot", "Enrollment", "Activity", "Shift"))
        qn = connection.ops.quote_name
        slot, enr, act, shift = (qn(m._meta.db_table) for m in (Slot, Enrollment, Activity, Shift))

        counts = (
            f"SELECT slot_id, SUM(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS a, "
            f"SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS p, "
            f"SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END) AS w FROM {enr} GROUP BY slot_id"
        )
        seats = (
            f"SELECT h.activity_id, SUM(s.capacity) AS t, SUM(s.capacity - s.accepted) AS o "
            f"FROM {slot} s JOIN {shift} h ON h.id = s.shift_id WHERE NOT h.cancelled GROUP BY h.activity_id"
        )
        # one aggregate each, joined (UPDATE … FROM: PostgreSQL, SQLite ≥ 3.33): a correlated
        # subquery per row is planned without statistics on freshly loaded tables (minutes)
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {slot} SET accepted = c.a, pending = c.p, waitlisted = c.w "
                        f"FROM ({counts}) AS c WHERE {slot}.id = c.slot_id")  # fmt: skip
            cur.execute(f"UPDATE {act} SET slots_total = x.t, slots_open = x.o "
                        f"FROM ({seats}) AS x WHERE {act}.id = x.activity_id")  # fmt: skip


class LedgerStage:
    name = "ledger"
    models = ("records.HourEntry", "records.HourTotal", "records.RegionHours", "records.CreditedInterval")

    def run(self, ctx: Context) -> dict[str, int]:
        Entry, Total, Region, Interval = require_models(*self.models)
        ChainHead = get_model("core.ChainHead")
        plan: Plan | None = ctx.shared.get("activities")
        spooled = ctx.shared.get("attended")
        if plan is None or spooled is None:
            raise Skip("the activities and attendance stages did not run")
        spool, k = spooled
        try:
            if Entry.objects.exists():
                raise Skip("the ledger already has entries: generate into an empty database")
            counts = self._run(ctx, plan, spool, k, Entry, Interval, ChainHead)
        finally:
            shutil.rmtree(spool, ignore_errors=True)
        clock = Phases(ctx, self.name)
        with transaction.atomic() if not parallel(ctx, 2) else contextlib.nullcontext():
            with bulk.indexes_after(Total, Region):
                counts.update(self.totals(Entry, Total, Region))
            for model in (Total, Region):
                bulk.reset_sequence(model)
        clock.lap("totals and region rollups summed")
        return counts

    def _run(self, ctx, plan, spool, k, Entry, Interval, ChainHead) -> dict[str, int]:
        pool = volunteer_pool(ctx)
        parts: Partitions = ctx.shared["partitions"]
        canonical = CanonicalEntry(Entry)
        bases = {m: bulk.next_id(m) for m in (Entry, Interval, ChainHead)}
        stage = self.name

        def partition(p: int) -> tuple[int, int, int]:
            rng = parts.rng(ctx, stage, p)
            attended = Attended.load(os.path.join(spool, f"{p}.pickle"))
            label = "" if k == 1 else f" p{p}"
            T = {
                "entries": Table(ctx, stage, Entry, ["id", *canonical.fields], f"entries{label}",
                                 None if k > 1 else ctx.size.ledger_entries, start=bases[Entry] + p, stride=k),
                "intervals": Table(ctx, stage, Interval, ["id", "volunteer_id", "entry_id", "activity_id", "starts_at",
                                                          "ends_at"], f"credited intervals{label}", None,
                                   start=bases[Interval] + p, stride=k),
                "heads": Table(ctx, stage, ChainHead, ["id", "chain", "partition", "seq", "hash"], f"chain heads{label}",
                               None, start=bases[ChainHead] + p, stride=k),
            }  # fmt: skip
            seq: dict[int, int] = {}
            last_hash: dict[int, str] = {}
            last_created: dict[int, int] = {}

            def append(i: int, created: int, row: dict) -> int:
                created = max(created, last_created.get(i, 0) + 1)
                last_created[i] = created
                seq[i] = n = seq.get(i, 0) + 1
                row["created_at"] = created
                row["seq"] = n
                row["prev_hash"] = last_hash.get(i, GENESIS)
                eid = T["entries"].next_id
                digest = canonical.hash(row)
                last_hash[i] = digest
                row["hash"] = digest
                T["entries"].add(canonical.row(eid, row))
                return eid

            def produce():
                for n in range(len(attended.attendance)):
                    sk = attended.shift[n]
                    start, end = plan.shift_start[sk], plan.shift_end[sk]
                    i = attended.volunteer[n]
                    a = plan.shift_act[sk]
                    org, aid, region = plan.act_org[a], plan.act_id[a], plan.act_region[a]
                    lo, hi = max(attended.check_in[n], start), min(attended.check_out[n], end)
                    minutes = (hi - lo) // 60  # ≥ 1: the attendance stage confirmed only those
                    hi = lo + minutes * 60
                    admins = plan.org_admins.get(org) or [None]
                    vid = pool.ids[i]
                    created = min(end + int(rng.uniform(1, 72) * HOUR), int(REF))
                    base = {"volunteer": vid, "organization": org, "region": region, "activity": aid,
                            "attendance": attended.attendance[n], "kind": "credit", "action": "confirm",
                            "minutes": minutes, "starts_at": lo, "ends_at": hi, "service_date": _day_of(lo),
                            "refers_to": None, "correction": None, "reason": "", "recorded_by": admins[0],
                            "approved_by": None}  # fmt: skip
                    root = append(i, created, dict(base))
                    r = rng.random()
                    live = (root, lo, hi)
                    if r < VOID_SHARE:
                        append(i, created + int(rng.uniform(1, 10) * DAY), {**base, "attendance": None, "action": "void",
                               "minutes": -minutes, "starts_at": None, "ends_at": None, "refers_to": root,
                               "reason": "重复记录，作废"})  # fmt: skip
                        live = None
                    elif r < VOID_SHARE + CORRECT_SHARE and minutes > 30:
                        cut = rng.randint(15, min(60, minutes - 15))
                        fixed = append(i, created + int(rng.uniform(1, 10) * DAY), {**base, "attendance": None,
                                       "action": "correct", "minutes": -cut, "ends_at": hi - cut * 60,
                                       "refers_to": root, "reason": "签退时间更正"})  # fmt: skip
                        live = (fixed, lo, hi - cut * 60)
                    if live is not None:
                        T["intervals"].add((0, vid, live[0], aid, dt_utc(live[1]), dt_utc(live[2])))
                    # about 30 % of the entries' organizations have two admins: one records, the other approves
                    if len(admins) > 1 and rng.random() < HONOUR_SHARE / 0.3:
                        append(i, created + 60, {**base, "attendance": None, "kind": "honour",
                               "minutes": rng.choice((60, 120, 240, 480)),
                               "starts_at": None, "ends_at": None, "reason": "表现突出，授予荣誉时长",
                               "recorded_by": admins[0], "approved_by": admins[1]})  # fmt: skip
                    if len(T["entries"].rows) >= FLUSH_ROWS:
                        yield T["entries"].take(), T["intervals"].take()
                yield T["entries"].take(), T["intervals"].take()

            with transaction.atomic():
                for t in T.values():
                    t.start()
                for entries, intervals in prefetch(produce()):
                    T["entries"].writer.write(entries, prepared=True)
                    T["intervals"].writer.write(intervals, prepared=True)
                for i in sorted(seq):
                    T["heads"].add((0, CHAIN, f"v{pool.ids[i]}", seq[i], last_hash[i]))
                T["heads"].flush()
            return T["entries"].writer.count, T["intervals"].writer.count, T["heads"].writer.count

        procs = parallel(ctx, k)
        ctx.progress.say(f"  [{stage}] {k} partition(s), {procs or 'no'} producer process(es)")
        clock = Phases(ctx, stage)
        with transaction.atomic() if not procs else contextlib.nullcontext():
            with bulk.foreign_keys_after(Entry, Interval), bulk.indexes_after(Entry, Interval):
                counts = run_partitions(ctx, partition, k)
                clock.lap("partitions written")
            clock.lap("indexes built, foreign keys added back")
            for model in (Entry, Interval, ChainHead):
                bulk.reset_sequence(model)
        return {
            Entry._meta.label: sum(c[0] for c in counts),
            Interval._meta.label: sum(c[1] for c in counts),
            ChainHead._meta.label: sum(c[2] for c in counts),
        }

    @staticmethod
    def totals(Entry, Total, Region) -> dict[str, int]:
        """HourTotal (lifetime, per service year, per organization) and RegionHours (per activity
        region and service year) summed from the entries, as the ledger service keeps them."""
        qn = connection.ops.quote_name
        entry, total, region = (qn(m._meta.db_table) for m in (Entry, Total, Region))
        year = "CAST(EXTRACT(YEAR FROM service_date) AS INTEGER)" if connection.vendor == "postgresql" else (
            "CAST(strftime('%Y', service_date) AS INTEGER)")  # fmt: skip
        credit = "SUM(CASE WHEN kind = 'credit' THEN minutes ELSE 0 END)"
        honour = "SUM(CASE WHEN kind = 'honour' THEN minutes ELSE 0 END)"
        cols = "volunteer_id, year, organization_id, credit_minutes, honour_minutes"
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {total} ({cols}) SELECT volunteer_id, 0, NULL, {credit}, {honour} "
                        f"FROM {entry} GROUP BY volunteer_id")  # fmt: skip
            cur.execute(f"INSERT INTO {total} ({cols}) SELECT volunteer_id, {year}, NULL, {credit}, {honour} "
                        f"FROM {entry} GROUP BY volunteer_id, {year}")  # fmt: skip
            cur.execute(f"INSERT INTO {total} ({cols}) SELECT volunteer_id, 0, organization_id, {credit}, {honour} "
                        f"FROM {entry} GROUP BY volunteer_id, organization_id")  # fmt: skip
            cur.execute(f"INSERT INTO {region} (region_code, year, credit_minutes, honour_minutes, entries) "
                        f"SELECT region_code, {year}, {credit}, {honour}, COUNT(*) FROM {entry} "
                        f"GROUP BY region_code, {year}")  # fmt: skip
            cur.execute(f"SELECT COUNT(*) FROM {total}")
            totals = cur.fetchone()[0]
            cur.execute(f"SELECT COUNT(*) FROM {region}")
            regions = cur.fetchone()[0]
        return {Total._meta.label: totals, Region._meta.label: regions}


def _json_int(v) -> str:
    return "null" if v is None else str(v)


def _json_time(seconds) -> str:
    return "null" if seconds is None else f'"{dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()}"'


@functools.lru_cache(maxsize=4096)
def _json_date(day: dt.date) -> str:
    return f'"{day.isoformat()}"'


@functools.lru_cache(maxsize=65536)
def _json_text(v) -> str:
    return "null" if v is None else json.dumps(v, ensure_ascii=False)


class CanonicalEntry:
    """``HourEntry`` rows and their chain hashes without model instances: the canonical JSON of
    ``chain_payload()`` + partition + seq (``core.chain.entry_hash``) written by a template, which
    is checked against the model's own ``chain_payload`` and ``entry_hash`` on the first entries
    (a field added to the payload stops the run here, naming it, instead of writing a ledger
    ``chain_verify`` would refuse)."""

    PAYLOAD = ("action", "activity", "approved_by", "attendance", "correction", "created_at", "ends_at", "kind",
               "minutes", "organization", "reason", "recorded_by", "refers_to", "region", "service_date", "starts_at",
               "volunteer")  # fmt: skip
    COLUMNS = {"volunteer": "volunteer_id", "organization": "organization_id", "region": "region_code",
               "activity": "activity_id", "attendance": "attendance_id", "refers_to": "refers_to_id",
               "correction": "correction_id", "recorded_by": "recorded_by_id", "approved_by": "approved_by_id"}  # fmt: skip
    CHECKED = 200

    def __init__(self, model):
        self.model = model
        sample = model(service_date=dt.date(2026, 1, 1)).chain_payload()
        unknown = set(sample) - set(self.PAYLOAD)
        if unknown:
            raise Skip(f"records.HourEntry.chain_payload has keys the generator does not write: {sorted(unknown)}")
        self.keys = sorted([*self.PAYLOAD, "partition", "seq"])
        self.fields = [self.COLUMNS.get(k, k) for k in self.PAYLOAD] + ["partition", "seq", "prev_hash", "hash"]
        self.checked = 0
        self._canonical = self._compile()

    @staticmethod
    def _ts(seconds):
        return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)

    TIMES = ("created_at", "starts_at", "ends_at")
    INTS = ("activity", "approved_by", "attendance", "correction", "minutes", "organization", "recorded_by", "refers_to",
            "seq", "volunteer")  # fmt: skip

    def _compile(self):
        """``canonical(values) -> str``: the sorted keys written by one %-template (a loop over
        the keys with a branch per type cost ~100 µs an entry; this ~15)."""
        parts, exprs = [], []
        for key in self.keys:
            parts.append(f'"{key}":%s')
            if key in self.INTS:
                exprs.append(f'_int(v["{key}"])')
            elif key in self.TIMES:
                exprs.append(f'_time(v["{key}"])')
            elif key == "service_date":
                exprs.append(f'_date(v["{key}"])')
            else:
                exprs.append(f'_text(v["{key}"])')
        template = "{" + ",".join(parts) + "}"
        source = f"def canonical(v):\n    return {template!r} % ({', '.join(exprs)},)\n"
        scope = {"_int": _json_int, "_time": _json_time, "_date": _json_date, "_text": _json_text}
        exec(source, scope)
        return scope["canonical"]

    def hash(self, row: dict) -> str:
        """The entry's hash; ``row`` holds the payload with epoch seconds for the times."""
        row["partition"] = f"v{row['volunteer']}"
        canonical = self._canonical(row)
        digest = hashlib.sha256(row["prev_hash"].encode("ascii") + canonical.encode()).hexdigest()
        if self.checked < self.CHECKED:
            self.checked += 1
            self._check(row, digest)
        return digest

    def _check(self, row: dict, digest: str) -> None:
        from zhiyuan.core.chain import entry_hash

        entry = self.model(**{self.COLUMNS.get(k, k): (self._ts(row[k]) if k in ("created_at", "starts_at", "ends_at")
                                                       else row[k]) for k in self.PAYLOAD})  # fmt: skip
        expected = entry_hash(prev_hash=row["prev_hash"], partition=f"v{row['volunteer']}", seq=row["seq"],
                              payload=entry.chain_payload())  # fmt: skip
        if expected != digest:
            raise RuntimeError("bench ledger: the generated hash differs from core.chain.entry_hash (chain_payload changed?)")

    def row(self, eid: int, row: dict) -> tuple:
        out = [eid]
        for k in self.PAYLOAD:
            v = row[k]
            out.append(self._ts(v) if k in ("created_at", "starts_at", "ends_at") else v)
        out += [row["partition"], row["seq"], row["prev_hash"], row["hash"]]
        return tuple(out)


STAGES = [ActivitiesStage(), AttendanceStage(), LedgerStage()]

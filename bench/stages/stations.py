"""Stage 4: service points (STA-1) in the practice network (REG-4), and their station admins.

``size.service_points`` points (volunteers / 200, about 3 per town of 广东省 at ``large``):

* County units are taken in a population-weighted order, one per 4 points (all of them at
  ``large``), and the points are shared among them by population. In each: the county's
  新时代文明实践中心 (at the county, or at the city where towns hang under it); 所 at a third of
  the rest, one per town, the most populous towns first; 站 under the 所 for most of the rest, at
  the 所's town (villages are not shipped), named after a 社区 or 村; the remainder are
  志愿服务站/岗/点/室 outside the network (parks, stations, halls, 长者饭堂…) under the town's
  所, a 站, the centre, or nothing — always inside their parent's region (REG-4 rules of
  ``stations.models``: ``PARENT_LEVELS`` and ``REGION_LEVELS``).
* The six-haves checklist 六有 is nearly complete at centres and 所, mostly at 站, half done
  elsewhere (a maturity per point, then each item); functions, opening hours, a service landline
  of the city, a contact person, map coordinates scattered around the city seat (广东省 only),
  an operating organization for about half of the points outside the network.
* 4 % of the leaf points are closed; 60 % of the open points have a station admin: a volunteer
  of the county with ``RoleAssignment(station_admin, object_id=point)``.

Creation dates follow the roll-out: centres 2018–2020, 所 after their centre until 2021, 站
after their 所 until 2024, other points any time after their parent.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from bench import bulk, vocab
from bench.geo import Geo, apportion, geo, mobile, person_name, weighted_order
from bench.pool import volunteer_pool
from bench.realism import Picker
from bench.stages import Context, Skip, Table, get_model, require_models
from bench.stages.organizations import DAY, REF, ROLE_FIELDS, between, chinese_number, dt_utc

POINTS_PER_UNIT = 4  # at most one county unit per this many points
INSTITUTE_SHARE = 0.35  # of the points after the centre (capped at one per town)
STATION_SHARE = 0.7  # of the points after centre and institutes, when there are institutes
OTHER_KIND = {"post": 35, "point": 30, "room": 20, "station": 15}
OTHER_AT_TOWN = 0.8
CHECKLIST_MATURITY = {"centre": 0.95, "institute": 0.9, "station": 0.75, "": 0.5}
FUNCTION_WEIGHT = {"activities": 30, "needs": 20, "records": 15, "publicity": 15, "projects": 10, "recruitment": 10}
FUNCTION_COUNT = {"centre": (5, 6), "institute": (4, 6), "station": (3, 5), "": (1, 3)}
COORDINATES = {"centre": 0.95, "institute": 0.95, "station": 0.9, "": 0.75}
SERVICE_PHONE = {"centre": 0.95, "institute": 0.9, "station": 0.7, "": 0.4}
CONTACT = {"centre": 0.9, "institute": 0.9, "station": 0.85, "": 0.6}
OPERATOR = {"centre": 0.0, "institute": 0.05, "station": 0.1, "": 0.45}
CLOSED_SHARE = 0.04
STATION_ADMIN_SHARE = 0.6
CHECKLIST = ("has_place", "has_team", "has_projects", "has_facilities", "has_rules", "has_signage")


def _epoch(y: int, m: int, d: int) -> float:
    return dt.datetime(y, m, d, tzinfo=dt.UTC).timestamp()


ROLL_OUT = {  # network level -> (earliest, latest) creation
    "centre": (_epoch(2018, 7, 1), _epoch(2020, 12, 31)),
    "institute": (_epoch(2018, 9, 1), _epoch(2021, 12, 31)),
    "station": (_epoch(2018, 10, 1), _epoch(2024, 12, 31)),
    "": (_epoch(2016, 6, 1), REF - 10 * DAY),
}


class Point:
    __slots__ = ("children", "created", "id", "kind", "level", "name", "parent", "region", "status")

    def __init__(self, level: str, kind: str, region: str, parent: "Point | None"):
        self.level, self.kind, self.region, self.parent = level, kind, region, parent
        self.children = 0
        self.status = "active"
        if parent is not None:
            parent.children += 1


class StationsStage:
    name = "stations"
    models = ("stations.ServicePoint",)

    def run(self, ctx: Context) -> dict[str, int]:
        (ServicePoint,) = require_models(*self.models)
        if ServicePoint.objects.exists():
            raise Skip("service points already exist: generate into an empty database")
        g = geo(ctx)
        gen = _Generator(ctx, g, ServicePoint)
        with transaction.atomic():
            gen.plan()
            gen.write()
            for table in gen.tables:
                bulk.reset_sequence(table.model)
        return {t.model._meta.label: t.writer.count for t in gen.tables}


class _Generator:
    def __init__(self, ctx: Context, g: Geo, ServicePoint):
        self.ctx, self.geo = ctx, g
        self.rng = ctx.rng("stations")
        self.points_table = Table(ctx, "stations", ServicePoint, [
            "id", "name", "network_level", "kind", "parent_id", "region_code", "address", "latitude", "longitude",
            "opening_hours", "service_phone", "contact_name", "contact_phone", "operator_organization_id", "functions",
            *CHECKLIST, "status", "closed_at", "created_by_id", "created_at", "updated_at"],
            "service points", ctx.size.service_points)  # fmt: skip
        self.tables = [self.points_table]
        self.roles = None
        RoleAssignment = get_model("accounts.RoleAssignment", migrated=True)
        Volunteer = get_model("volunteers.Volunteer", migrated=True)
        if RoleAssignment is not None and Volunteer is not None and Volunteer.objects.exists():
            self.roles = Table(ctx, "stations", RoleAssignment, ROLE_FIELDS, "station admins", None)
            self.tables.append(self.roles)
        self.points: list[Point] = []
        self.names: dict[str, set[str]] = {}
        self.offsets: dict[str, tuple[float, float]] = {}
        self.operators: dict[str, list[int]] = {}
        for oid, kind, region, status in ctx.shared.get("organizations") or ():
            if status == "active" and kind in ("service", "team", "hub") and g.level.get(region, 0) >= 3:
                self.operators.setdefault(g.unit(region), []).append(oid)

    # --- structure ----------------------------------------------------------------------------

    def plan(self) -> None:
        rng, g = self.rng, self.geo
        n = self.ctx.size.service_points
        units = g.units()
        if not units:
            raise Skip("no county units to place service points in")
        chosen = weighted_order(rng, units)[: min(len(units), max(1, n // POINTS_PER_UNIT))]
        for unit, count in apportion(n, {u: units[u] for u in chosen}, minimum=1).items():
            self._unit(unit, count)
        for point in self.points:
            if point.children == 0 and point.level in ("station", "") and rng.random() < CLOSED_SHARE:
                point.status = "closed"

    def _unit(self, unit: str, count: int) -> None:
        rng, g = self.rng, self.geo
        centre = self._add(Point("centre", "station", unit, None), f"{g.name[unit]}新时代文明实践中心")
        rest = count - 1
        towns = g.towns_of(unit)
        n_inst = min(len(towns), round(rest * INSTITUTE_SHARE))
        if rest >= 2 and towns:
            n_inst = max(1, n_inst)
        institutes = {}
        for town in weighted_order(rng, towns)[:n_inst]:
            institutes[town] = self._add(Point("institute", "station", town, centre), f"{g.name[town]}新时代文明实践所")
        rest -= n_inst
        n_st = round(rest * STATION_SHARE) if institutes else 0
        stations: dict[str, list[Point]] = {}
        if institutes:
            pick_town = Picker({t: towns[t] for t in institutes})
            for _ in range(n_st):
                town = pick_town(rng)
                point = Point("station", "station", town, institutes[town])
                self._add(point, lambda _a, t=town: f"{self._community(g.name[t])}新时代文明实践站")
                stations.setdefault(town, []).append(point)
        pick_any_town = Picker(towns) if towns else None
        kind_pick = Picker(OTHER_KIND)
        for _ in range(rest - n_st):
            kind = kind_pick(rng)
            at_unit = g.level[unit] == 3 and (pick_any_town is None or rng.random() >= OTHER_AT_TOWN)
            if at_unit:
                region = unit
            elif pick_any_town is not None:
                region = pick_any_town(rng)
            else:  # a city without counties or towns: nowhere for a point outside the network
                continue
            parent = self._other_parent(centre, institutes.get(region), stations.get(region, ()))
            name_of = vocab.KIND_LABEL[kind]

            def make(_a, region=region, kind=kind, name_of=name_of):
                place = rng.choice(vocab.POINT_PLACES[kind])
                if kind == "station":
                    return f"{g.name[region]}{place}"
                return f"{g.name[region]}{place}志愿服务{name_of}"

            self._add(Point("", kind, region, parent), make)

    def _other_parent(self, centre: Point, institute: Point | None, stations) -> Point | None:
        r = self.rng.random()
        if institute is not None:
            if r < 0.5:
                return institute
            if r < 0.7 and stations:
                return self.rng.choice(stations)
            return centre if r < 0.85 else None
        return centre if r < 0.6 else None

    def _community(self, town_name: str) -> str:
        word = self.rng.choice(vocab.COMMUNITIES)
        if town_name.endswith(("镇", "乡")) and self.rng.random() < 0.6:
            return f"{town_name}{word}村"
        return f"{town_name}{word}社区"

    def _add(self, point: Point, name) -> Point:
        taken = self.names.setdefault(point.region, set())
        make = name if callable(name) else (lambda _a: name)
        for attempt in range(40):
            candidate = make(attempt)[:100]
            if candidate not in taken:
                break
        else:
            n = 2
            while (candidate := f"{make(0)}（{chinese_number(n)}）"[:100]) in taken:
                n += 1
        taken.add(candidate)
        point.name = candidate
        point.id = self.points_table.next_id + len(self.points)
        self.points.append(point)
        return point

    # --- rows ---------------------------------------------------------------------------------

    def _coordinates(self, point: Point) -> tuple:
        rng, g = self.rng, self.geo
        seat = g.seat(point.region)
        if seat is None or rng.random() >= COORDINATES[point.level]:
            return None, None
        unit = g.unit(point.region)
        for key, spread, base in ((unit, 0.3, seat), (point.region, 0.08, None)):
            if key not in self.offsets:
                origin = base if base is not None else self.offsets[unit]
                self.offsets[key] = (origin[0] + rng.uniform(-spread, spread), origin[1] + rng.uniform(-spread, spread))
        lat, lon = self.offsets[point.region]
        lat, lon = lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01)
        return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")

    def _checklist(self, point: Point) -> list[bool]:
        rng = self.rng
        maturity = min(1.0, max(0.05, CHECKLIST_MATURITY[point.level] + rng.gauss(0, 0.12)))
        flags = [rng.random() < maturity for _ in CHECKLIST]
        if point.level or point.kind == "room":
            flags[0] = True  # a practice centre, 所, 站 or room is a place
        return flags

    def _functions(self, point: Point) -> list[str]:
        lo, hi = FUNCTION_COUNT[point.level]
        k = self.rng.randint(lo, hi)
        names, weights = list(FUNCTION_WEIGHT), list(FUNCTION_WEIGHT.values())
        chosen = set()
        while len(chosen) < k:
            chosen.add(self.rng.choices(names, weights)[0])
        from zhiyuan.stations.models import Function

        return [f for f in Function.values if f in chosen]  # canonical order, as the services store it

    def write(self) -> None:
        rng, g = self.rng, self.geo
        admins = None
        if self.roles is not None:
            pool = volunteer_pool(self.ctx)
            by_unit, everyone = pool.by_unit(g)
            admins = (pool, by_unit, everyone)
        for point in self.points:
            lo, hi = ROLL_OUT[point.level]
            if point.parent is not None:  # after the parent, squeezed before the reference day
                lo = max(lo, point.parent.created + min(DAY, (REF - DAY - point.parent.created) / 2))
            point.created = min(between(rng, lo, hi), REF - DAY)
            lat, lon = self._coordinates(point)
            phone = g.landline(rng, point.region) if rng.random() < SERVICE_PHONE[point.level] else None
            contact, contact_phone = ("", "")
            if rng.random() < CONTACT[point.level]:
                contact, contact_phone = person_name(rng), mobile(rng)
            operator = None
            candidates = self.operators.get(g.unit(point.region))
            if candidates and rng.random() < OPERATOR[point.level]:
                operator = rng.choice(candidates)
            closed = between(rng, point.created + 90 * DAY, REF - DAY) if point.status == "closed" else None
            self.points_table.add((0, point.name, point.level, point.kind, point.parent.id if point.parent else None,
                                   point.region, g.address(rng, point.region), lat, lon, rng.choice(vocab.OPENING_HOURS),
                                   phone or "", contact, contact_phone, operator, self._functions(point),
                                   *self._checklist(point), point.status, dt_utc(closed), None, dt_utc(point.created),
                                   dt_utc(closed or point.created)))  # fmt: skip
            if admins is not None and point.status == "active" and rng.random() < STATION_ADMIN_SHARE:
                self._station_admin(point, *admins)
        for table in self.tables:
            table.flush()

    def _station_admin(self, point: Point, pool, by_unit, everyone) -> None:
        if not everyone:
            return
        rng = self.rng
        candidates = by_unit.get(self.geo.unit(point.region)) or everyone
        i = candidates[rng.randrange(len(candidates))]
        granted = min(max(point.created, pool.registered[i]) + rng.uniform(0, 60) * DAY, REF - 60)
        self.roles.add((0, pool.users[i], "station_admin", point.region, point.id, True, None, dt_utc(granted), None, None))


STAGES = [StationsStage()]

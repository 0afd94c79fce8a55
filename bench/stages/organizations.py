"""Stage 3: organizations of every kind, their status history, memberships and admins (ORG-1…ORG-4).

What the organization services would have written for a platform of this size, in bulk:

* ``Organization`` — ``size.organizations`` of them (volunteers / 100), kinds in the shares of
  :data:`KIND_SHARE` (mostly teams, then service organizations; at least one of each kind). A
  federation per province, then per city, then per county unit, in order of population; the
  other kinds at the levels of :data:`KIND_LEVEL` / :data:`SPONSOR_LEVEL`, their region drawn
  with the residence weights (where people live, there are organizations). Legal entities carry
  a USCC (GB 32100: 民政 authority 5, 社会团体 1 / 民办非企业单位 2, the registering county/city/
  province, an organization code ``MJ…`` with its GB 11714 check character, and the check
  character of python-stdnum ``cn.uscc``); teams carry a sponsor and a category instead. A fifth
  of the teams are sub-teams of an active organization, in its region. Names follow the forms
  real platforms show and are unique in their region. Statuses (:data:`ORG_STATUS`, federations
  always active) come with the history the services append (ORG-3): application, review,
  suspension, reinstatement, deregistration, each with a reason.
* The applicant (``created_by``) is a long-registered volunteer of the region; on approval they
  became the first admin: an active ``Membership`` with role admin and a
  ``RoleAssignment(org_admin, object_id=organization)``, as ``organization_review`` writes. The
  contact is the applicant (their mobile for teams, a landline of the city for legal entities).
* ``Membership`` — per volunteer 0–3 organizations (:data:`MEMBERSHIP_COUNT`), drawn near where
  they live (same town > county > city > province, :data:`LOCALITY`) and by how many people
  organizations of a kind attract (:data:`JOIN_WEIGHT`); status mostly active
  (:data:`MEMBERSHIP_STATUS`), the rest left / applied / invited / rejected / removed with their
  times and reasons; roles backbone 9 % and now and then a second or third admin (with their
  role assignment). Volunteers who exited or withdrew consent have left; nobody joins a
  suspended or deregistered organization after that happened, and deregistration ended every
  open membership (removed / rejected), as ``organization_status_change`` does.
* Reviews were done by region managers, whom the generator does not create: ``reviewed_by`` and
  the review's history ``actor`` are empty.

Times lie between 2016 and the people stage's reference day (2026-11-22), after the applicant's
and the member's registration. Reproducible for a seed; rows go through ``bench.bulk``.
"""

import datetime as dt

from django.db import transaction
from stdnum.cn import uscc as stdnum_uscc

from bench import bulk, vocab
from bench.geo import Geo, apportion, geo, mobile, weighted_order
from bench.pipeline import prefetch
from bench.pool import EXITED, MAY_JOIN, RESTRICTED, SUSPENDED, VolunteerPool, volunteer_pool
from bench.realism import Picker
from bench.stages import Context, Phases, Skip, Table, get_model, require_models
from bench.stages.people import REFERENCE_DATE
from zhiyuan.regions.codes import region_prefix

KIND_SHARE = {"federation": 0.5, "hub": 1.5, "support": 2.0, "service": 16.0, "team": 80.0}
# Region level (1 province, 2 city, 3 county unit, 4 town) per kind.
KIND_LEVEL = {"hub": {2: 40, 3: 60}, "support": {1: 5, 2: 40, 3: 55}, "service": {2: 5, 3: 45, 4: 50}}
ORG_STATUS = {"active": 86, "pending": 4, "rejected": 3, "suspended": 3, "deregistered": 4}
REINSTATED_SHARE = 0.03  # of the active: suspended once and reinstated
DEREGISTERED_AFTER_SUSPENSION = 0.5
TEAM_CATEGORY = {"practice": 35, "party": 25, "industry": 15, "other": 25}
SPONSOR = {
    "practice": {"community": 60, "organ": 40},
    "party": {"organ": 75, "enterprise": 15, "school": 10},
    "industry": {"enterprise": 90, "organ": 10},
    "other": {"school": 45, "community": 35, "enterprise": 20},
}
SPONSOR_LEVEL = {
    "community": {4: 100},
    "organ": {2: 20, 3: 60, 4: 20},
    "enterprise": {2: 45, 3: 55},
    "school": {2: 15, 3: 45, 4: 40},
}
SUB_TEAM_SHARE = 0.2
SUB_TEAM_PARENT = {"service": 75, "federation": 15, "hub": 5, "support": 5}
USCC_CATEGORY = {"federation": {"1": 1}, "hub": {"1": 40, "2": 60}, "support": {"1": 30, "2": 70}, "service": {"1": 25, "2": 75}}

MEMBERSHIP_COUNT = {0: 25, 1: 55, 2: 15, 3: 5}
MEMBERSHIP_STATUS = {"active": 84, "left": 8, "applied": 3, "invited": 1, "rejected": 2, "removed": 2}
BACKBONE_SHARE = 0.09
EXTRA_ADMIN_SHARE = 0.012  # an active member is made admin too (at most 2 per organization)
JOIN_WEIGHT = {"federation": 8, "service": 4, "team": 2, "hub": 1, "support": 1}
LOCALITY = {"town": 1.0, "unit": 0.35, 2: 0.1, 1: 0.03}
JOINABLE = ("active", "suspended", "deregistered")
ROLE_FIELDS = ["id", "user_id", "role", "region_code", "object_id", "active", "granted_by_id", "granted_at",
               "revoked_by_id", "revoked_at"]  # fmt: skip

DAY = 86_400.0
REF = dt.datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, tzinfo=dt.UTC).timestamp()
START = dt.datetime(2016, 3, 1, tzinfo=dt.UTC).timestamp()
FEDERATIONS_BY = dt.datetime(2019, 12, 31, tzinfo=dt.UTC).timestamp()
DEREGISTERED_REASON = "组织已注销"
CN_DIGITS = "零一二三四五六七八九"

# GB 11714 organization code: 8 characters + check; the USCC alphabet (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code(serial: int) -> str:
    """``MJ`` + 6 characters (an affine permutation of the serial: unique, not sequential) + the
    GB 11714 check character."""
    n = (serial * 1_000_003 + 4_242_424) % 31**6
    chars = ""
    for _ in range(6):
        n, r = divmod(n, 31)
        chars = USCC_ALPHABET[r] + chars
    body = "MJ" + chars
    return body + org_code_check(body)


def org_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organization code body (A = 10 … Z = 35)."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc(authority_category: str, region6: str, serial: int) -> str:
    body = f"5{authority_category}{region6}{org_code(serial)}"
    return body + stdnum_uscc.calc_check_digit(body)


def chinese_number(n: int) -> str:
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def dt_utc(seconds: float | None):
    return None if seconds is None else dt.datetime.fromtimestamp(int(seconds), dt.UTC)


def between(rng, lo: float, hi: float) -> float:
    return lo if lo >= hi else rng.uniform(lo, hi)


def soon_after(rng, t: float, lo_days: float, hi_days: float) -> float:
    """``lo_days``…``hi_days`` after ``t``, squeezed to stay before the reference day."""
    gap, room = rng.uniform(lo_days, hi_days) * DAY, REF - 60 - t
    return t + (gap if gap < room else max(room, 0.0) * rng.uniform(0.2, 0.8))


def later(rng, t: float, gap_days: float) -> float:
    """A time at least ``gap_days`` after ``t`` and before the reference day; closer than the
    gap when the reference day is near (order kept, never past the reference day)."""
    end = REF - 60
    if t + gap_days * DAY < end:
        return rng.uniform(t + gap_days * DAY, end)
    return t + (end - t) * rng.uniform(0.2, 0.8) if end > t else t


class Org:
    __slots__ = ("address", "category", "contact_name", "contact_phone", "created", "creator", "history", "id",
                 "idx", "intro", "kind", "name", "open_until", "parent", "region", "reviewed", "sponsor_name",
                 "sponsor_type", "status", "status_reason", "updated", "uscc")  # fmt: skip

    def __init__(self, idx: int, kind: str):
        self.idx, self.kind = idx, kind
        self.parent = None
        self.uscc = self.sponsor_type = self.sponsor_name = self.category = ""
        self.history: list[tuple] = []
        self.reviewed = None
        self.status_reason = ""


class OrganizationsStage:
    name = "organizations"
    models = ("organizations.Organization", "organizations.Membership")

    def run(self, ctx: Context) -> dict[str, int]:
        Organization, Membership = require_models(*self.models)
        if Organization.objects.exists():
            raise Skip("organizations already exist: generate into an empty database")
        clock = Phases(ctx, self.name)
        g = geo(ctx)
        pool = volunteer_pool(ctx)
        if not len(pool):
            raise Skip("no volunteers to join organizations")
        clock.lap("volunteers read back")
        gen = _Generator(ctx, g, pool, Organization, Membership)
        with transaction.atomic():
            gen.plan()
            clock.lap("organizations planned")
            # keys checked by one join each afterwards, not by a deferred trigger per row at commit
            with bulk.foreign_keys_after(*(t.model for t in gen.tables)):
                gen.write_organizations()
                clock.lap("organizations and history written")
                gen.write_memberships()
                clock.lap("memberships and admins written")
            clock.lap("foreign keys added back (one validating join each)")
            for table in gen.tables:
                bulk.reset_sequence(table.model)
        clock.lap("committed")
        if any(f.name == "member_count" for f in Organization._meta.concrete_fields):
            from zhiyuan.organizations.counts import member_counts_rebuild

            member_counts_rebuild()  # the stored public member counts, as the services keep them
            clock.lap("member counts")
        ctx.shared["organizations"] = [(o.id, o.kind, o.region, o.status) for o in gen.orgs]
        return {t.model._meta.label: t.writer.count for t in gen.tables}


class _Generator:
    def __init__(self, ctx: Context, g: Geo, pool: VolunteerPool, Organization, Membership):
        self.ctx, self.geo, self.pool = ctx, g, pool
        self.rng = ctx.rng("organizations")
        self.orgs_table = Table(ctx, "organizations", Organization, [
            "id", "name", "kind", "intro", "region_code", "address", "contact_name", "contact_phone", "uscc",
            "sponsor_type", "sponsor_name", "team_category", "parent_id", "status", "status_reason", "reviewed_by_id",
            "reviewed_at", "created_by_id", "created_at", "updated_at"], "organizations", ctx.size.organizations)  # fmt: skip
        self.members = Table(ctx, "organizations", Membership, [
            "id", "volunteer_id", "organization_id", "role", "status", "reason", "invited_by_id", "decided_by_id",
            "created_at", "updated_at", "joined_at", "ended_at"], "memberships", None)  # fmt: skip
        self.tables = [self.orgs_table, self.members]
        self.history = self.roles = None
        Change = get_model("organizations.OrganizationStatusChange", migrated=True)
        if Change is not None:
            self.history = Table(ctx, "organizations", Change, ["id", "organization_id", "from_status", "to_status", "reason",
                                                                 "actor_id", "at"], "status history", None)  # fmt: skip
            self.tables.append(self.history)
        self.categories = None
        Category = get_model("organizations.OrganizationCategory", migrated=True)
        if Category is not None:
            self.categories = Table(ctx, "organizations", Category, ["id", "organization_id", "code"], "categories", None)
            self.tables.append(self.categories)
        RoleAssignment = get_model("accounts.RoleAssignment", migrated=True)
        if RoleAssignment is not None:
            self.roles = Table(ctx, "organizations", RoleAssignment, ROLE_FIELDS, "org admins", None)
            self.tables.append(self.roles)
        self.taken: dict[str, set[str]] = {}
        self.orgs: list[Org] = []

    # --- organizations ------------------------------------------------------------------------

    def plan(self) -> None:
        rng, g = self.rng, self.geo
        counts = apportion(self.ctx.size.organizations, KIND_SHARE, minimum=1)
        base = self.orgs_table.next_id
        for kind, n in counts.items():
            for _ in range(n):
                org = Org(len(self.orgs), kind)
                org.id = base + org.idx
                self.orgs.append(org)
        feds = [o for o in self.orgs if o.kind == "federation"]
        for org, region in zip(feds, self._federation_regions(len(feds)), strict=False):
            org.region = region
        others = [o for o in self.orgs if o.kind != "federation"]
        statuses = [s for s, n in apportion(len(others), ORG_STATUS).items() for _ in range(n)]
        rng.shuffle(statuses)
        for org, status in zip(others, statuses, strict=True):
            org.status = status
        for org in feds:
            org.status = "active"
        for org in self.orgs:
            if org.kind in KIND_LEVEL:
                org.region = g.draw(rng, Picker(KIND_LEVEL[org.kind])(rng))
        self._legal_entities([o for o in self.orgs if o.kind != "team"])
        self._teams([o for o in self.orgs if o.kind == "team"])
        self._creators()
        for org in self.orgs:  # parents (not teams) come first: their review is known for sub-teams
            self._timeline(org)
        self._contacts()

    def _federation_regions(self, n: int) -> list[str]:
        """Provinces, then cities, then county units, each in a population-weighted order."""
        rng, g, out = self.rng, self.geo, []
        for level in (1, 2, 3):
            weights = g.units() if level == 3 else g.of_level(level)
            out.extend(weighted_order(rng, weights))
            if len(out) >= n:
                break
        seen, regions = set(), []
        for code in out:
            if code not in seen and code not in g.groupings:
                seen.add(code)
                regions.append(code)
        while len(regions) < n:  # more federations than regions: a tiny province
            regions.append(g.draw(rng, 4))
        return regions[:n]

    def _unique(self, region: str, make) -> str:
        """A name from ``make(attempt)`` not yet used in the region."""
        names = self.taken.setdefault(region, set())
        for attempt in range(40):
            name = make(attempt)[:100]
            if name not in names:
                names.add(name)
                return name
        n = 2
        while True:
            name = make(0)
            # 志愿服务队 -> 志愿服务二队; other forms get a number in brackets
            name = (name[:-1] + chinese_number(n) + "队" if name.endswith("队") else f"{name}（{chinese_number(n)}）")[:100]
            if name not in names:
                names.add(name)
                return name
            n += 1

    def _legal_entities(self, orgs: list[Org]) -> None:
        rng, g = self.rng, self.geo
        for org in orgs:
            r = g.name[org.region]
            if org.kind == "federation":
                org.name = self._unique(org.region, lambda _a, r=r: f"{r}志愿服务联合会")
                org.intro = vocab.FEDERATION_INTRO
            elif org.kind == "hub":
                org.name = self._unique(org.region, lambda a, r=r: self._branded(a, rng.choice(vocab.HUB_NAMES), r))
                org.intro = vocab.HUB_INTRO
            elif org.kind == "support":
                org.name = self._unique(org.region, lambda a, r=r: self._branded(a, rng.choice(vocab.SUPPORT_NAMES), r))
                org.intro = vocab.SUPPORT_INTRO
            else:
                theme = rng.choice(list(vocab.SERVICE_THEMES))

                def service_name(a, r=r, theme=theme):
                    t = theme if a < 3 else rng.choice(list(vocab.SERVICE_THEMES))
                    brand = rng.choice(vocab.BRANDS) if a >= 6 or rng.random() < 0.25 else ""
                    return f"{r}{brand}{t}{rng.choice(vocab.SERVICE_FORMS)}"

                org.name = self._unique(org.region, service_name)
                org.intro = vocab.SERVICE_THEMES[theme]
            level = g.level[org.region]
            region6 = org.region[:2] + "0000" if level == 1 else org.region[:4] + "00" if level == 2 else g.unit(org.region)[:6]
            org.uscc = uscc(Picker(USCC_CATEGORY[org.kind])(rng), region6, org.id)
            org.address = g.address(rng, org.region)

    def _branded(self, attempt: int, pattern: str, region_name: str) -> str:
        if attempt < 4:
            return pattern.format(r=region_name)
        return pattern.format(r=region_name + self.rng.choice(vocab.BRANDS))

    def _teams(self, teams: list[Org]) -> None:
        rng, g = self.rng, self.geo
        parents: dict[str, list[Org]] = {}
        for o in self.orgs:
            if o.kind != "team" and o.status == "active":
                parents.setdefault(o.kind, []).append(o)
        parent_kinds = Picker({k: w for k, w in SUB_TEAM_PARENT.items() if k in parents}) if parents else None
        category = Picker(TEAM_CATEGORY)
        for org in teams:
            if parent_kinds is not None and rng.random() < SUB_TEAM_SHARE:
                self._sub_team(org, rng.choice(parents[parent_kinds(rng)]))
                continue
            org.category = category(rng)
            org.sponsor_type = Picker(SPONSOR[org.category])(rng)
            level = Picker(SPONSOR_LEVEL[org.sponsor_type])(rng)
            if org.category == "practice" and org.sponsor_type == "organ":
                level = 4 if rng.random() < 0.7 else 3
            org.region = g.draw(rng, level)
            self._team_identity(org)

    def _sub_team(self, org: Org, parent: Org) -> None:
        rng, g = self.rng, self.geo
        org.parent = parent
        org.region = parent.region
        if g.level[parent.region] < 4 and rng.random() < 0.4:
            org.region = g.draw_under(rng, region_prefix(parent.region), 4) or parent.region
        org.category = "practice" if rng.random() < 0.15 else "other"
        town = g.level[org.region] == 4
        r = g.name[org.region]
        if town:
            org.sponsor_type = "community"
            org.sponsor_name = self._community(r)[1]
        else:
            org.sponsor_type = "organ"
            org.sponsor_name = f"{r}{rng.choice(('民政局', '团委', '妇联', '总工会'))}"
        theme = rng.choice(vocab.SUB_TEAM_THEMES)
        org.name = self._unique(
            org.region, lambda a: f"{parent.name}{theme if a == 0 else rng.choice(vocab.SUB_TEAM_THEMES)}志愿服务分队"
        )
        org.intro = f"{parent.name}下设的{theme}分队。"
        org.address = g.address(rng, org.region)

    def _community(self, town_name: str) -> tuple[str, str]:
        """(label, committee) of a community or village of a town: 东湖社区, 东湖社区居民委员会."""
        rng = self.rng
        word = rng.choice(vocab.COMMUNITIES)
        if town_name.endswith(("镇", "乡")) and rng.random() < 0.6:
            return f"{town_name}{word}村", f"{town_name}{word}村民委员会"
        return f"{town_name}{word}社区", f"{town_name}{word}社区居民委员会"

    def _team_identity(self, org: Org) -> None:
        rng, g = self.rng, self.geo
        r = g.name[org.region]
        level = g.level[org.region]
        c = g.short(g.city(org.region))
        cat, sponsor = org.category, org.sponsor_type
        chosen = {}

        def make(_attempt):
            if sponsor == "community":
                label, org.sponsor_name = self._community(r)
            elif sponsor == "organ":
                if level == 4:
                    label = r
                    org.sponsor_name = f"{r}{'办事处' if r.endswith('街道') else '人民政府'}"
                elif cat == "practice":
                    label, org.sponsor_name = r, f"{r}新时代文明实践中心"
                else:
                    bureau = rng.choice(list(vocab.BUREAU_THEMES) if cat == "industry" else vocab.BUREAUS)
                    label = org.sponsor_name = f"{r}{bureau}"
                    chosen["industry"] = vocab.BUREAU_THEMES.get(bureau)
            elif sponsor == "enterprise":
                pattern = rng.choice(list(vocab.ENTERPRISES))
                label = org.sponsor_name = pattern.format(c=c)
                chosen["industry"] = vocab.ENTERPRISES[pattern]
            else:
                pattern = rng.choice(vocab.CITY_SCHOOLS if level <= 2 else vocab.SCHOOLS)
                label = org.sponsor_name = pattern.format(c=c, r=r)
            chosen["theme"] = rng.choice(vocab.OTHER_THEMES)
            if cat == "practice":
                chosen["theme"] = rng.choice(vocab.PRACTICE_THEMES)
                return f"{label}新时代文明实践{chosen['theme']}志愿服务队"
            if cat == "party":
                return f"{label}党员志愿服务队"
            if cat == "industry":
                chosen["theme"] = chosen.get("industry") or "政策宣传"
                return f"{label}{chosen['theme']}志愿服务队"
            if sponsor == "school":
                return f"{label}青年志愿者服务队"
            return f"{label}志愿服务队"

        org.name = self._unique(org.region, make)
        org.intro = vocab.TEAM_INTROS[cat].format(t=chosen["theme"])
        org.address = g.address(rng, org.region)

    def _creators(self) -> None:
        """The applicant of each organization: a volunteer who may act, living in its region, the
        longest-registered of three drawn (founders are seasoned volunteers)."""
        rng, g, pool = self.rng, self.geo, self.pool
        by_unit, everyone = pool.by_unit(g)
        if not everyone:
            raise Skip("no volunteer may act (all suspended, exited or restricted)")
        for org in self.orgs:
            candidates = None
            if g.level[org.region] >= 3:
                candidates = by_unit.get(g.unit(org.region))
            for _ in range(10):
                if candidates:
                    break
                town = g.draw_under(rng, region_prefix(org.region), 4)
                candidates = by_unit.get(g.unit(town)) if town else None
            candidates = candidates or everyone
            drawn = [candidates[rng.randrange(len(candidates))] for _ in range(3)]
            org.creator = min(drawn, key=lambda i: pool.registered[i])

    def _timeline(self, org: Org) -> None:
        """Application, review and later status changes, with their history rows (ORG-3)."""
        rng = self.rng
        registered = self.pool.registered[org.creator]
        lo = max(registered + DAY, START)
        if org.kind == "federation":
            created = between(rng, lo, FEDERATIONS_BY)
        elif org.status == "pending":
            created = max(lo, REF - rng.uniform(1, 45) * DAY)
        else:
            created = between(rng, lo, REF - 20 * DAY)
        created = min(created, REF - 3600)
        if org.parent is not None:  # a sub-team is applied for once its parent is active
            created = max(created, soon_after(rng, org.parent.reviewed, 1, 1))
        org.created = created
        uid = self.pool.users[org.creator]
        org.history = [("", "pending", "", uid, created)]
        org.open_until = REF
        if org.status == "pending":
            org.updated = created
            return
        reviewed = soon_after(rng, created, 0.5, 15)
        org.reviewed = reviewed
        if org.status == "rejected":
            reason = rng.choice(vocab.REJECT_REASONS)
            org.history.append(("pending", "rejected", reason, None, reviewed))
            org.status_reason, org.updated = reason, reviewed
            return
        reason = rng.choice(vocab.APPROVE_REASONS)
        org.history.append(("pending", "active", reason, None, reviewed))
        org.status_reason, t = reason, reviewed
        if org.status == "active" and org.kind != "federation" and rng.random() < REINSTATED_SHARE:
            t = later(rng, t, 60)
            org.history.append(("active", "suspended", rng.choice(vocab.SUSPEND_REASONS), None, t))
            t = later(rng, t, 10)
            org.status_reason = rng.choice(vocab.REINSTATE_REASONS)
            org.history.append(("suspended", "active", org.status_reason, None, t))
        elif org.status == "suspended" or (org.status == "deregistered" and rng.random() < DEREGISTERED_AFTER_SUSPENSION):
            t = later(rng, t, 30)
            org.status_reason = rng.choice(vocab.SUSPEND_REASONS)
            org.history.append(("active", "suspended", org.status_reason, None, t))
            org.open_until = t
        if org.status == "deregistered":
            old = org.history[-1][1]
            t = later(rng, t, 20)
            org.status_reason = rng.choice(vocab.DEREGISTER_REASONS)
            org.history.append((old, "deregistered", org.status_reason, None, t))
            org.open_until = min(org.open_until, t)
        org.updated = t

    def _contacts(self) -> None:
        """The contact is the applicant: their name, their mobile (teams) or a landline."""
        rng, g, pool = self.rng, self.geo, self.pool
        Volunteer = get_model("volunteers.Volunteer")
        wanted = sorted({pool.ids[o.creator] for o in self.orgs})
        people = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            people.update({vid: (name, mob) for vid, name, mob in Volunteer.objects.filter(id__in=chunk).values_list(
                "id", "name", "user__mobile")})  # fmt: skip
        for org in self.orgs:
            name, mob = people.get(pool.ids[org.creator], (None, None))
            org.contact_name = name or "联络员"
            landline = g.landline(rng, org.region)
            if org.kind == "team" and rng.random() < 0.7:
                org.contact_phone = mob or mobile(rng)
            else:
                org.contact_phone = landline or mob or mobile(rng)

    def write_organizations(self) -> None:
        pool = self.pool
        self.orgs_table.start()
        for org in self.orgs:
            self.orgs_table.add((0, org.name, org.kind, org.intro, org.region, org.address, org.contact_name,
                                 org.contact_phone, org.uscc, org.sponsor_type, org.sponsor_name, org.category,
                                 org.parent.id if org.parent else None, org.status, org.status_reason, None,
                                 dt_utc(org.reviewed), pool.users[org.creator], dt_utc(org.created),
                                 dt_utc(org.updated)))  # fmt: skip
        self.orgs_table.flush()
        if self.history is not None:
            self.history.start()
            for org in self.orgs:
                for old, new, reason, actor, at in org.history:
                    self.history.add((0, org.id, old, new, reason, actor, dt_utc(at)))
            self.history.flush()
        if self.categories is not None:
            self._write_categories()

    def _write_categories(self) -> None:
        """One to three service categories per organization (ORG-1), drawn from the 18 of seed 001
        with the national ones rarer; a stream of its own, so the rest of the data is unchanged."""
        from zhiyuan.volunteers.codes import ServiceCategory

        rng = self.ctx.rng("organization-categories")
        codes = [c for c, _label in ServiceCategory.choices]
        weights = [3 if i < 18 else 1 for i in range(len(codes))]
        self.categories.start()
        for org in self.orgs:
            picked = set()
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                picked.add(rng.choices(codes, weights)[0])
            for code in sorted(picked):
                self.categories.add((0, org.id, code))
        self.categories.flush()

    # --- memberships --------------------------------------------------------------------------

    def write_memberships(self) -> None:
        """The applicants' admin memberships, then per volunteer batch the memberships of those
        volunteers (a background thread builds the next batch while one is written)."""
        self.joinable = [o for o in self.orgs if o.status in JOINABLE]
        self.extra_admins = [0] * len(self.orgs)
        self.status_pick = Picker(MEMBERSHIP_STATUS)
        self.count_pick = Picker(MEMBERSHIP_COUNT)
        self.everywhere = Picker({o.idx: JOIN_WEIGHT[o.kind] for o in self.joinable}) if self.joinable else None
        self.at: dict[str, list[Org]] = {}
        for o in self.joinable:
            self.at.setdefault(o.region, []).append(o)
        self.local: dict[int, Picker | None] = {}
        for table in (self.members, self.roles):
            if table is not None:
                table.start()
        for org in self.joinable:
            self._admin(org, org.creator, org.reviewed, first=True)
        n = len(self.pool)
        step = bulk.BATCH
        for tables in prefetch(self._batch(start, min(n, start + step)) for start in range(0, n, step)):
            for table, rows in tables:
                table.writer.write(rows, prepared=True)

    def _admin(self, org: Org, i: int, joined: float, *, first: bool) -> None:
        """An admin membership and its role assignment (revoked if the organization was
        deregistered, as deregistration does)."""
        pool = self.pool
        uid = pool.users[i]
        first_uid = pool.users[org.creator]
        if org.status == "deregistered":
            ended = org.history[-1][4]
            self.members.add((0, pool.ids[i], org.id, "admin", "removed", DEREGISTERED_REASON, None, None,
                              dt_utc(joined), dt_utc(ended), dt_utc(joined), dt_utc(ended)))  # fmt: skip
        else:
            self.members.add((0, pool.ids[i], org.id, "admin", "active", "", None, None if first else first_uid,
                              dt_utc(joined), dt_utc(joined), dt_utc(joined), None))  # fmt: skip
        if self.roles is not None:
            granted = joined if first else max(joined, min(joined + self.rng.uniform(0, 200) * DAY, org.open_until - 3600))
            revoked = org.history[-1][4] if org.status == "deregistered" else None
            self.roles.add((0, uid, "org_admin", org.region, org.id, revoked is None, None if first else first_uid,
                            dt_utc(granted), None, dt_utc(revoked)))  # fmt: skip

    def _picker(self, region_idx: int) -> Picker | None:
        """Organizations a volunteer of this region joins: their own town's, county unit's,
        city's and province's, nearer ones more likely (:data:`LOCALITY`)."""
        if region_idx in self.local:
            return self.local[region_idx]
        g = self.geo
        code = self.pool.codes[region_idx]
        weights = {}
        if code in g.level:
            unit = g.unit(code) if g.level[code] >= 3 else None
            for region in (code, *g.ancestors(code)):
                if region == code and g.level[code] == 4:
                    factor = LOCALITY["town"]
                elif region == unit:
                    factor = LOCALITY["unit"]
                else:
                    factor = LOCALITY.get(g.level[region], 0.0)
                for o in self.at.get(region, ()):
                    weights[o.idx] = JOIN_WEIGHT[o.kind] * factor
        picker = Picker(weights) if weights else self.everywhere
        self.local[region_idx] = picker
        return picker

    def _batch(self, start: int, stop: int) -> list:
        rng, pool, orgs = self.rng, self.pool, self.orgs
        for i in range(start, stop):
            k = self.count_pick(rng)
            if not k:
                continue
            picker = self._picker(pool.region[i])
            if picker is None:
                continue
            registered = pool.registered[i]
            chosen: list[int] = []
            for _ in range(4 * k):
                o = picker(rng)
                org = orgs[o]
                if o in chosen or org.creator == i or org.open_until - DAY < max(registered, org.reviewed):
                    continue
                chosen.append(o)
                if len(chosen) == k:
                    break
            for o in sorted(chosen):
                self._membership(orgs[o], i, registered)
        return [(t, t.take()) for t in (self.members, self.roles) if t is not None]

    def _membership(self, org: Org, i: int, registered: float) -> None:
        rng, pool = self.rng, self.pool
        status = self.status_pick(rng)
        state = pool.state[i]
        if state in (EXITED, RESTRICTED) and status in ("active", "applied", "invited"):
            status = "left"
        elif state == SUSPENDED and status in ("applied", "invited"):
            status = "rejected"
        lo = max(registered, org.reviewed) + 3600
        hi = org.open_until
        if status == "active" and state == MAY_JOIN and self.extra_admins[org.idx] < 2 and rng.random() < EXTRA_ADMIN_SHARE:
            self.extra_admins[org.idx] += 1
            self._admin(org, i, between(rng, lo, hi), first=False)
            return
        role = "backbone" if status in ("active", "left", "removed") and rng.random() < BACKBONE_SHARE else "member"
        admin_uid = pool.users[org.creator]
        reason, invited_by, decided_by, joined, ended = "", None, admin_uid, None, None
        if status in ("applied", "invited"):
            created = between(rng, max(lo, hi - 60 * DAY), hi)
            decided_by = None
            if status == "invited":
                invited_by = admin_uid
        elif status == "rejected":
            created = between(rng, lo, hi)
            ended = min(created + rng.uniform(0.05, 7) * DAY, hi)
            reason = rng.choice(vocab.REJECT_MEMBER_REASONS)
        else:
            joined = between(rng, lo, hi)
            created = max(lo, joined - rng.uniform(0, 7) * DAY)
            if status != "active":
                ended = between(rng, joined + DAY, org.history[-1][4] if org.status == "deregistered" else REF)
                reason = rng.choice(vocab.LEAVE_REASONS if status == "left" else vocab.REMOVE_REASONS)
                if status == "left":
                    decided_by = admin_uid if rng.random() < 0.3 else None
        if org.status == "deregistered" and status in ("active", "applied", "invited"):
            ended = org.history[-1][4]
            reason, decided_by = DEREGISTERED_REASON, None
            status = "removed" if status == "active" else "rejected"
        updated = ended or joined or created
        self.members.add((0, pool.ids[i], org.id, role, status, reason, invited_by, decided_by, dt_utc(created),
                          dt_utc(updated), dt_utc(joined), dt_utc(ended)))  # fmt: skip


STAGES = [OrganizationsStage()]

"""Stage 2: users and volunteers with everything registration writes for them.

Per volunteer, as ``volunteers.services.registration`` does: a login (``accounts.User``), the
``Volunteer`` row, consent records (privacy notice + oath, and a guardian's consent with its
``GuardianConsent`` detail for minors), the first status entry; plus profile rows: skills and
preferred service categories. Families whose model or table does not exist (yet) are left out.

* ID numbers are checksum-valid resident IDs (GB 11643) whose address code is the county of
  residence (75 %) or a county of a province internal migrants come from, whose birth date
  follows the age bands and whose sequence parity is the gender. They are protected exactly as
  registration does (``volunteers.documents.document_protect``: sealed, blind-indexed over
  ``"<type>:<number>"``, masked), falling back to the same ``core.crypto`` calls.
* Every user gets the same password hash, computed once (hashing 10^6 passwords proves nothing):
  the password is :data:`PASSWORD`.
* Mobile numbers are unique by construction (an affine permutation of the row number);
  volunteer numbers come from ``volunteers.numbers.volunteer_no_for`` and the allocator's
  counter is moved past them, so registrations after the generator continue the sequence.
* Columns this stage does not know get their default; see ``stages.constant_fill``.
"""

import contextlib
import datetime as dt

from django.contrib.auth.hashers import make_password
from django.db import transaction

from bench import bulk, idcards, realism
from bench.pipeline import prefetch
from bench.stages import Context, Skip, Table, get_model, require_models

PASSWORD = "Bench#2026zy"
REFERENCE_DATE = dt.date(2026, 11, 22)  # ages are relative to this day, not to today: reproducible
FIRST_REGISTRATION = dt.date(2016, 1, 1)
ID_PURPOSE = "volunteers.id_number"
RESIDENT_ID_TYPE = "111"  # GA/T 2000.156

STATUS = {"active": 95, "suspended": 2, "exited": 3}
STATUS_REASON = {"suspended": "长期未参加活动，暂停", "exited": "本人申请退出"}
RESTRICTED_SHARE = 0.003  # withdrew consent (VOL-6)
GUARDIAN_RELATION = {"mother": 55, "father": 40, "grandparent": 5}
# Weekly availability (21 slots: day-1)*3 + slot): weekends and evenings are what people offer.
AVAILABILITY_PATTERNS = {
    0: 25,  # not given
    sum(1 << ((d - 1) * 3 + s) for d in (6, 7) for s in (0, 1)): 35,  # weekend days
    sum(1 << ((d - 1) * 3 + 2) for d in range(1, 6)): 15,  # weekday evenings
    sum(1 << ((d - 1) * 3 + s) for d in range(1, 8) for s in (0, 1, 2)): 5,  # any time (retirees)
    sum(1 << ((d - 1) * 3 + s) for d in (6, 7) for s in (0, 1, 2)) | sum(1 << ((d - 1) * 3 + 2) for d in range(1, 6)): 20,
}
SERVICE_CATEGORIES = {
    "community": 30, "empty_nest_elderly": 14, "smart_elderly": 6, "left_behind_children": 8,
    "children_in_difficulty": 5, "environment": 12, "culture_arts": 10, "education_support": 12,
    "health": 8, "emergency": 5, "events": 10, "disability": 4, "legal_aid": 2, "poverty": 3,
    "civilized_traffic": 6, "civilized_tourism": 3, "party_member": 6, "rural_revitalization": 3,
}  # fmt: skip
CATEGORY_COUNT = {0: 30, 1: 35, 2: 25, 3: 10}


def _volunteer_no_function():
    """The volunteers app's number format (VOL-3) when it has one, else a compatible one."""
    try:
        from zhiyuan.volunteers.numbers import volunteer_no_for

        return volunteer_no_for
    except ImportError:
        return fallback_volunteer_no


def fallback_volunteer_no(serial: int) -> str:
    """10-digit serial + MOD 11-2 check character, never derived from the person."""
    body = f"{serial:010d}"
    return body + idcards.mod11_check(body)


def _protector():
    """(sealed, blind index, masked) exactly as registration stores a document number."""
    try:
        from zhiyuan.volunteers.documents import document_protect

        return document_protect
    except ImportError:
        from zhiyuan.core.crypto import blind_index, mask, seal

        def protect(id_type: str, number: str) -> tuple[str, str, str]:
            return seal(number, purpose=ID_PURPOSE), blind_index(f"{id_type}:{number}", purpose=ID_PURPOSE), mask(number)

        return protect


def _codes(table: str, fallback: dict) -> dict:
    """A code table of the volunteers app (``code_tables.<table>_choices()``) weighted by our
    proportions: our codes that the table lacks are dropped, its codes we have no weight for get
    weight 1. Without the app's tables, ours."""
    try:
        from zhiyuan.volunteers import code_tables

        codes = [code for code, _label in getattr(code_tables, f"{table}_choices")()]
    except (ImportError, AttributeError):
        return fallback
    if not codes:
        return fallback
    return {code: fallback.get(code, 1) for code in codes}


def _known(table: dict, ours: dict) -> dict:
    """Our weighted codes that the app's table also has (codes only we know are dropped)."""
    kept = {code: w for code, w in ours.items() if code in table}
    return kept or ours


class Person:
    __slots__ = ("age", "birth", "gender", "name", "region", "registered", "state")


BLOCK = 50_000  # volunteers per block: each block its own random stream and transaction


class PeopleStage:
    name = "people"
    models = ("accounts.User", "volunteers.Volunteer")

    def run(self, ctx: Context) -> dict[str, int]:
        from bench.stages.activities import parallel, run_partitions

        User, Volunteer = require_models(*self.models)
        residence = ctx.shared.get("residence")
        if residence is None:
            raise Skip("no residence regions (the regions stage did not run)")
        if Volunteer.objects.exists():
            raise Skip("volunteers already exist: generate into an empty database")
        n = ctx.size.volunteers
        # Blocks of BLOCK volunteers, each with its own random stream; users and volunteers get
        # the ids base + row number, the other tables base + b, base + b + k, … (k blocks), so
        # the blocks can be written by separate processes and the data do not depend on how many.
        k = max(1, -(-n // BLOCK))
        shared = _Generator(ctx, User, Volunteer).shared()
        procs = parallel(ctx, k)

        def block(b: int) -> dict[str, int]:
            gen = _Generator(ctx, User, Volunteer)
            gen.prepare(block=b, blocks=k, shared=shared)
            start, stop = b * BLOCK, min(n, (b + 1) * BLOCK)
            with transaction.atomic():
                batches = (gen.batch(lo, min(stop, lo + bulk.BATCH)) for lo in range(start, stop, bulk.BATCH))
                for tables in prefetch(batches):
                    for table, rows in tables:
                        table.writer.write(rows, prepared=True)
            return {t.model._meta.label: t.writer.count for t in gen.tables}

        if k > 1:
            ctx.progress.say(f"  [people] {k} blocks, {procs or 'no'} producer process(es)")
        with transaction.atomic() if not procs else contextlib.nullcontext():
            # keys checked by one join each afterwards, not by a deferred trigger per row at commit
            with bulk.foreign_keys_after(*shared["models"]):
                counts = run_partitions(ctx, block, k)
            for model in shared["models"]:
                bulk.reset_sequence(model)
            _Generator(ctx, User, Volunteer).finish(top=shared["bases"][Volunteer] + n - 1)
        base = shared["bases"][Volunteer]
        ctx.shared["volunteer_ids"] = range(base, base + n)
        ctx.shared["password"] = PASSWORD
        total: dict[str, int] = {}
        for c in counts:
            for label, rows in c.items():
                total[label] = total.get(label, 0) + rows
        return total


class _Generator:
    def __init__(self, ctx: Context, User, Volunteer):
        self.ctx = ctx
        self.User, self.Volunteer = User, Volunteer
        self.rng = ctx.rng("people")

    def shared(self) -> dict:
        """What every block shares, made once: the password hash, the privacy notice, the mobile
        permutation's offset, the tables' first ids."""
        self.prepare(block=0, blocks=1, shared=None)
        return {
            "password_hash": self.password_hash,
            "mobile_add": self.mobile_add,
            "bases": {t.model: t.next_id for t in self.tables},
            "models": [t.model for t in self.tables],
        }

    def prepare(self, *, block: int, blocks: int, shared: dict | None) -> None:
        ctx, n = self.ctx, self.ctx.size.volunteers
        if shared is None:
            self.password_hash = make_password(PASSWORD)  # once, with the configured (argon2) hasher
        else:
            self.password_hash = shared["password_hash"]
            if blocks > 1:
                self.rng = ctx.rng(f"people:{block}")
        self.block, self.blocks = block, blocks
        first = block * BLOCK

        def table(model, fields, label, total=None, dense=False):
            if shared is None:
                return Table(ctx, "people", model, fields, label, total)
            base = shared["bases"][model]
            if dense:  # one row per volunteer: the row number
                return Table(ctx, "people", model, fields, label, total, start=base + first)
            return Table(ctx, "people", model, fields, label, total, start=base + block, stride=blocks)

        self._table = table
        self.users = table(self.User, ["id", "mobile", "display_name", "password", "date_joined"], "users", n, dense=True)
        vol_fields = ["id", "user_id", "volunteer_no", "name", "id_type", "id_number_sealed", "id_number_index",
                      "id_number_masked", "gender", "birth_date", "region_code", "status", "restricted_at",
                      "registered_at", "updated_at", "political_status", "education", "ethnicity", "availability"]  # fmt: skip
        known = {f.attname for f in self.Volunteer._meta.concrete_fields}
        self.vol_fields = [f for f in vol_fields if f in known]
        self.volunteers = table(self.Volunteer, self.vol_fields, "volunteers", n, dense=True)
        self.tables = [self.users, self.volunteers]

        Consent = get_model("volunteers.ConsentRecord", migrated=True)
        self.consents = self.guardians = None
        if Consent is not None:
            self.consents = table(Consent, ["id", "volunteer_id", "kind", "notice_id", "version", "source",
                                                 "accepted_at", "withdrawn_at"], "consents", None)  # fmt: skip
            self.tables.append(self.consents)
            self.notice = self._privacy_notice()
            from zhiyuan.volunteers.texts import GUARDIAN_CONSENT_VERSION, OATH_VERSION

            self.oath_version, self.guardian_version = OATH_VERSION, GUARDIAN_CONSENT_VERSION
            Guardian = get_model("volunteers.GuardianConsent", migrated=True)
            if Guardian is not None:
                self.guardians = table(Guardian, ["id", "volunteer_id", "consent_id", "guardian_name", "relation",
                                                       "guardian_mobile", "consented_at"], "guardians", None)  # fmt: skip
                self.tables.append(self.guardians)
        self.status_changes = self._optional(
            "volunteers.VolunteerStatusChange", ["id", "volunteer_id", "from_status", "to_status", "reason", "at"], "status"
        )
        self.skills = self._optional("volunteers.VolunteerSkill", ["id", "volunteer_id", "code"], "skills")
        self.categories = self._optional("volunteers.VolunteerServiceCategory", ["id", "volunteer_id", "code"], "categories")

        r = realism
        self.ages = r.Picker({(lo, hi): w for lo, hi, w in r.AGE_BANDS})
        self.surname = r.Picker(r.SURNAMES)
        self.status = r.Picker(STATUS)
        self.relation = r.Picker(GUARDIAN_RELATION)
        self.availability = r.Picker(AVAILABILITY_PATTERNS)
        skills = _codes("skill", r.SKILLS)
        cats = _codes("service_category", SERVICE_CATEGORIES)
        self.pol_young = r.Picker(_known(_codes("political_status", r.POLITICAL_STATUS_YOUNG), r.POLITICAL_STATUS_YOUNG))
        self.pol_adult = r.Picker(_known(_codes("political_status", r.POLITICAL_STATUS_ADULT), r.POLITICAL_STATUS_ADULT))
        self.education = r.Picker(_known(_codes("education", r.EDUCATION), r.EDUCATION))
        self.ethnicity = r.Picker(_known(_codes("ethnicity", r.ETHNICITY), r.ETHNICITY))
        self.skill_names, self.skill_weights = list(skills), list(skills.values())
        self.cat_names, self.cat_weights = list(cats), list(cats.values())
        self.skill_count, self.cat_count = r.Picker(r.SKILL_COUNT), r.Picker(CATEGORY_COUNT)
        self.number_for = _volunteer_no_function()
        self.protect = _protector()
        self.migrants = self.ctx.shared.get("migrant_counties") or []
        self.mobile_add = self.rng.randrange(10**8) if shared is None else shared["mobile_add"]
        self.taken: set[str] = set()

    def _optional(self, label, fields, name):
        model = get_model(label, migrated=True)
        if model is None:
            return None
        table = self._table(model, fields, name)
        self.tables.append(table)
        return table

    def _privacy_notice(self):
        PrivacyNotice = get_model("volunteers.PrivacyNotice", migrated=True)
        if PrivacyNotice is None:
            return None
        notice = PrivacyNotice.objects.filter(is_current=True).first()
        if notice is None:  # the data migration normally provides version 1
            from zhiyuan.volunteers import texts

            notice = PrivacyNotice.objects.create(
                version="v1", title=texts.PRIVACY_NOTICE_V1_TITLE, body=texts.PRIVACY_NOTICE_V1, is_current=True
            )
        return notice

    def person(self) -> Person:
        rng, p = self.rng, Person()
        p.region = self.ctx.shared["residence"](rng)
        lo, hi = self.ages(rng)
        p.age = rng.randint(lo, hi)
        ref = REFERENCE_DATE.toordinal()
        p.birth = dt.date.fromordinal(ref - p.age * 365 - rng.randrange(365))
        p.gender = "2" if rng.random() < realism.FEMALE_SHARE else "1"
        given = realism.GIVEN_FEMALE if p.gender == "2" else realism.GIVEN_MALE
        p.name = self.surname(rng) + rng.choice(given) + (rng.choice(realism.GIVEN_COMMON) if rng.random() < 0.7 else "")
        earliest = max(FIRST_REGISTRATION.toordinal(), p.birth.toordinal() + 14 * 365)
        day = dt.date.fromordinal(rng.randint(min(earliest, ref - 1), ref - 1))
        p.registered = dt.datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=dt.UTC)
        p.state = self.status(rng)
        return p

    def id_number(self, p: Person) -> str:
        rng = self.rng
        local = not self.migrants or rng.random() < realism.LOCAL_BIRTH_SHARE
        address = p.region[:6] if local else rng.choice(self.migrants)
        while True:
            # blocks draw from disjoint sequence codes, so two blocks never make the same number
            serial = rng.randrange(500 // self.blocks) * self.blocks + self.block
            number = idcards.resident_id(address, p.birth, serial * 2 + (1 if p.gender == "1" else 0))
            if number not in self.taken:
                self.taken.add(number)
                return number

    def profile(self, p: Person) -> dict:
        rng = self.rng
        if p.age < 18:
            edu = "60" if p.age >= 15 else "70"
        elif p.age <= 22:
            edu = rng.choice(("20", "30", "60"))
        else:
            edu = self.education(rng)
        return {
            "political_status": self.pol_young(rng) if p.age <= 28 else self.pol_adult(rng),
            "education": edu,
            "ethnicity": self.ethnicity(rng),
            "availability": self.availability(rng),
        }

    def batch(self, start: int, stop: int) -> list:
        rng, prefixes = self.rng, realism.MOBILE_PREFIXES
        for i in range(start, stop):
            p = self.person()
            number = self.id_number(p)
            sealed, index, masked = self.protect(RESIDENT_ID_TYPE, number)
            mobile = prefixes[i % len(prefixes)] + f"{(i * 48_271 + self.mobile_add) % 10**8:08d}"
            uid = self.users.add((0, mobile, p.name, self.password_hash, p.registered))
            restricted = p.registered + dt.timedelta(days=30) if rng.random() < RESTRICTED_SHARE else None
            values = {
                "user_id": uid, "name": p.name, "id_type": RESIDENT_ID_TYPE, "id_number_sealed": sealed,
                "id_number_index": index, "id_number_masked": masked, "gender": p.gender, "birth_date": p.birth,
                "region_code": p.region, "status": p.state, "restricted_at": restricted, "registered_at": p.registered,
                "updated_at": p.registered, **self.profile(p),
            }  # fmt: skip
            vid = self.volunteers.next_id
            values["volunteer_no"] = self.number_for(vid)
            self.volunteers.add((0, *(values[f] for f in self.vol_fields[1:])))
            self.related(p, vid, restricted)
        return [(t, t.take()) for t in self.tables]

    def related(self, p: Person, vid: int, restricted) -> None:
        rng, at = self.rng, p.registered
        if self.consents is not None:
            notice_id = self.notice.pk if self.notice else None
            version = self.notice.version if self.notice else "v1"
            self.consents.add((0, vid, "privacy", notice_id, version, "self", at, restricted))
            self.consents.add((0, vid, "oath", None, self.oath_version, "self", at, None))
            if p.age < 18:
                cid = self.consents.add((0, vid, "guardian", notice_id, self.guardian_version, "self", at, None))
                if self.guardians is not None:
                    guardian = (
                        p.name[0] + rng.choice(realism.GIVEN_MALE + realism.GIVEN_FEMALE) + rng.choice(realism.GIVEN_COMMON)
                    )
                    mobile = f"13{rng.randrange(10**9):09d}"
                    self.guardians.add((0, vid, cid, guardian, self.relation(rng), mobile, at))
        if self.status_changes is not None:
            self.status_changes.add((0, vid, "", "active", "注册", at))
            if p.state != "active":
                later = at + dt.timedelta(days=rng.randint(30, 900))
                self.status_changes.add((0, vid, "active", p.state, STATUS_REASON[p.state], later))
        if self.skills is not None:
            k = self.skill_count(rng)
            for code in sorted(set(rng.choices(self.skill_names, self.skill_weights, k=k))) if k else ():
                self.skills.add((0, vid, code))
        if self.categories is not None:
            k = self.cat_count(rng)
            for code in sorted(set(rng.choices(self.cat_names, self.cat_weights, k=k))) if k else ():
                self.categories.add((0, vid, code))

    def finish(self, *, top: int) -> None:
        """Move the volunteer-number allocator past the generated serials (VOL-3)."""
        Counter = get_model("volunteers.VolunteerNumberCounter", migrated=True)
        if Counter is not None and _volunteer_no_function() is not fallback_volunteer_no:
            Counter.objects.update_or_create(pk=1, defaults={"last_serial": top})
        # The kept totals per region and status (volunteers/tallies.py), as the services keep them.
        if get_model("volunteers.VolunteerTally", migrated=True) is not None:
            from zhiyuan.volunteers.tallies import tally_rebuild

            tally_rebuild(fix=True)


STAGES = [PeopleStage()]

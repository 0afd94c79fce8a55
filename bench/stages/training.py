"""Stage: training (TRN-1, TRN-2; issue 9) — courses with question banks, certified trainers and
bases, sessions, training records with their certificates, and qualifications.

Counts derive from the volunteers (``bench/sizes.py`` style, constants at the top):

* courses: one per 2,000 volunteers (at least 8), 25 % online (20 questions each), a county of
  the province as owner, a service category, 20 % earning a qualification type;
* trainers one per two courses, bases one per ten, certifications 2019–2026 valid 3–5 years;
* sessions: one per 100 volunteers for the offline courses, 2024 until a month after the
  reference day (future ones open, past ones completed), 20–60 seats;
* records: 30 % of the volunteers trained, 1–6 distinct courses each (mean ≈ 3.2: about 10⁶
  records at ``large``), completed between registration and the reference day; from a session
  of that course (offline, when it has sessions: 60 %), from the quiz (online courses), else
  imported; each with its certificate (``PX<year><record id>``, expiry from the course's or its
  qualification's validity), so the eligibility check reads a realistic certificate table;
* qualifications: 3 % of the volunteers submitted one (80 % approved, with a ``ZG`` certificate;
  15 % pending; 5 % rejected with a reason). Their evidence files are not written (the sealed key
  is a real one, of no file), so the evidence page answers "missing" for generated rows.
"""

import base64
import calendar
import datetime as dt

from django.db import connection, transaction

from bench import bulk
from bench.pool import volunteer_pool
from bench.stages import Context, Skip, Table, require_models
from bench.stages.organizations import DAY, REF, between, dt_utc

VOLUNTEERS_PER_COURSE = 2_000
MIN_COURSES = 8
ONLINE_SHARE = 0.25
QUESTIONS_PER_ONLINE_COURSE = 20
QUALIFYING_SHARE = 0.2
VOLUNTEERS_PER_SESSION = 100
TRAINED_SHARE = 0.30
COURSES_PER_PERSON = {1: 20, 2: 20, 3: 20, 4: 15, 5: 15, 6: 10}
FROM_SESSION = 0.6
QUALIFICATION_SHARE = 0.03
QUALIFICATION_STATUS = {"approved": 80, "pending": 15, "rejected": 5}
FLUSH_ROWS = 50_000
CATEGORIES = (
    "emergency",
    "health",
    "community",
    "smart_elderly",
    "education_support",
    "environment",
    "civilized_traffic",
    "fire_safety",
)
SESSIONS_FROM = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()


def _add_months(day: dt.date, months: int) -> dt.date:
    i = day.month - 1 + months
    y, m = day.year + i // 12, i % 12 + 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def _expiry(day: dt.date, months: int | None):
    return _add_months(day, months) - dt.timedelta(days=1) if months else None


class TrainingStage:
    name = "training"
    models = (
        "training.TrainingCourse",
        "training.Question",
        "training.Trainer",
        "training.TrainingBase",
        "training.TrainingSession",
        "training.TrainingRecord",
        "training.TrainingCertificate",
        "training.Qualification",
        "training.SessionEnrollment",
        "training.QuizAttempt",
    )

    def run(self, ctx: Context) -> dict[str, int]:
        (Course, Question, Trainer, Base, Session, Record, Certificate, Qualification, Enrollment, Attempt) = require_models(
            *self.models
        )
        from zhiyuan.core import crypto
        from zhiyuan.training.models import QualificationType
        from zhiyuan.training.services.qualifications import EVIDENCE_PURPOSE

        if Course.objects.exists():
            raise Skip("training courses already exist: generate into an empty database")
        pool = volunteer_pool(ctx)
        if not len(pool):
            raise Skip("no volunteers to train")
        types = list(QualificationType.objects.values_list("pk", "validity_months"))
        # a real sealed key (of no file), so the key check at start-up opens the column
        sealed_key = crypto.seal(base64.b64encode(bytes(32)).decode("ascii"), purpose=EVIDENCE_PURPOSE)
        rng = ctx.rng("training")
        n = ctx.size.volunteers
        T = {
            "courses": Table(ctx, "training", Course, [
                "id", "name", "category", "level", "hours", "syllabus", "validity_months", "qualification_type_id", "online",
                "pass_mark", "questions_per_attempt", "max_attempts", "region_code", "status", "created_at"],
                "courses", None),
            "questions": Table(ctx, "training", Question, [
                "id", "course_id", "text", "kind", "options", "answer", "active"], "questions", None),
            "trainers": Table(ctx, "training", Trainer, [
                "id", "name", "certification_no", "certified_on", "expires_on", "specialty", "region_code"], "trainers", None),
            "bases": Table(ctx, "training", Base, [
                "id", "name", "address", "certification_no", "certified_on", "expires_on", "region_code"], "bases", None),
            "sessions": Table(ctx, "training", Session, [
                "id", "course_id", "trainer_id", "base_id", "place", "starts_at", "ends_at", "capacity", "enrolled_count",
                "region_code", "status", "created_at"], "sessions", None),
            "records": Table(ctx, "training", Record, [
                "id", "volunteer_id", "course_id", "source", "session_id", "completed_on", "hours", "score", "region_code",
                "created_at"], "records", None),
            "certificates": Table(ctx, "training", Certificate, [
                "id", "certificate_no", "volunteer_id", "course_id", "qualification_type_id", "record_id", "qualification_id",
                "title", "issuer", "issued_on", "expires_on", "status", "region_code"], "certificates", None),
            "enrollments": Table(ctx, "training", Enrollment, [
                "id", "session_id", "volunteer_id", "status", "attendance", "score", "rating", "enrolled_at"],
                "enrollments", None),
            "attempts": Table(ctx, "training", Attempt, [
                "id", "course_id", "volunteer_id", "attempt_no", "question_ids", "answers", "started_at", "submitted_at", "score",
                "passed"], "quiz attempts", None),
            "qualifications": Table(ctx, "training", Qualification, [
                "id", "volunteer_id", "qualification_type_id", "certificate_no", "issuer", "issued_on", "expires_on",
                "evidence_name", "evidence_type", "evidence_file", "evidence_key_sealed", "status", "reason", "region_code",
                "submitted_at"], "qualifications", None),
        }  # fmt: skip
        counties = sorted({pool.codes[r][:6] + "000000" for r in set(pool.region)})
        ref_day = dt.datetime.fromtimestamp(REF, dt.UTC).date()
        with transaction.atomic(), bulk.foreign_keys_after(*(t.model for t in T.values())):
            # courses and their question banks
            courses = []  # (id, online, hours, months, qtype, region)
            bank: dict[int, list[int]] = {}
            seats: dict[int, int] = {}  # session id -> seats left
            for c in range(max(MIN_COURSES, n // VOLUNTEERS_PER_COURSE)):
                online = rng.random() < ONLINE_SHARE
                qtype = rng.choice(types) if types and rng.random() < QUALIFYING_SHARE else None
                months = qtype[1] if qtype else rng.choice((12, 24, 36, None))
                hours = rng.choice((2, 4, 8, 16))
                region = rng.choice(counties)
                created = dt_utc(between(rng, REF - 1500 * DAY, REF - 400 * DAY))
                level = rng.choice(("basic", "intermediate", "advanced"))
                cid = T["courses"].add((0, f"培训课程{c + 1}", rng.choice(CATEGORIES), level, hours, "一、理论\n二、实操",
                                        None if qtype else months, qtype[0] if qtype else None,
                                        online, 60, 10, 3, region, "active", created))  # fmt: skip
                courses.append((cid, online, hours, months, qtype[0] if qtype else None, region))
                if online:
                    for q in range(QUESTIONS_PER_ONLINE_COURSE):
                        right = rng.randrange(4)
                        qid = T["questions"].add((0, cid, f"第{q + 1}题", "single", ["甲", "乙", "丙", "丁"], [right], True))
                        bank.setdefault(cid, []).append(qid)
            trainers = []
            for t in range(max(4, len(courses) // 2)):
                since = dt_utc(between(rng, REF - 2500 * DAY, REF - 100 * DAY)).date()
                until = _add_months(since, rng.choice((36, 48, 60)))
                trainers.append(
                    T["trainers"].add((0, f"培训师{t + 1}", f"BTR{t + 1:08d}", since, until, "", rng.choice(counties)))
                )
            bases = []
            for b in range(max(2, len(courses) // 10)):
                since = dt_utc(between(rng, REF - 2500 * DAY, REF - 100 * DAY)).date()
                bases.append(T["bases"].add((0, f"培训基地{b + 1}", "培训路1号", f"BJD{b + 1:08d}", since,
                                             _add_months(since, 60), rng.choice(counties))))  # fmt: skip
            offline = [c for c in courses if not c[1]]
            sessions_of: dict[int, list[tuple[int, float]]] = {}
            for _s in range(max(10, n // VOLUNTEERS_PER_SESSION) if offline else 0):
                c = rng.choice(offline)
                start = between(rng, SESSIONS_FROM, REF + 30 * DAY)
                start -= start % 3600
                future = start > REF
                base = rng.choice(bases) if rng.random() < 0.6 else None
                capacity = rng.randint(20, 60)
                sid = T["sessions"].add((0, c[0], rng.choice(trainers), base, "培训教室",
                                         dt_utc(start), dt_utc(start + c[2] * 3600), capacity, 0, c[5],
                                         "open" if future else "completed", dt_utc(start - 20 * DAY)))  # fmt: skip
                seats[sid] = capacity
                if not future:
                    sessions_of.setdefault(c[0], []).append((sid, start))
            for key in ("courses", "questions", "trainers", "bases", "sessions"):  # enrolled_count is set at the end
                T[key].start()
                T[key].flush()
            # records and certificates
            ks, kw = list(COURSES_PER_PERSON), list(COURSES_PER_PERSON.values())
            for key in ("records", "certificates"):
                T[key].start()
            for i in range(len(pool)):
                if rng.random() >= TRAINED_SHARE:
                    continue
                vid, code, registered = pool.ids[i], pool.code_of(i), pool.registered[i]
                for c in rng.sample(courses, min(len(courses), rng.choices(ks, kw)[0])):
                    cid, online, hours, months, qtype, _region = c
                    done = between(rng, max(registered, REF - 1800 * DAY), REF - DAY)
                    source, session = ("online", None) if online else ("import", None)
                    score = rng.randint(60, 100)
                    if not online and sessions_of.get(cid) and rng.random() < FROM_SESSION:
                        sid, start = rng.choice(sessions_of[cid])
                        if seats[sid] > 0:
                            seats[sid] -= 1
                            session, done, source = sid, start + hours * 3600, "session"
                            T["enrollments"].add((0, sid, vid, "enrolled", "present", score, rng.choice((None, 3, 4, 5, 5)),
                                                  dt_utc(start - 5 * DAY)))  # fmt: skip
                    elif online and bank.get(cid):
                        drawn = rng.sample(bank[cid], 10)
                        T["attempts"].add((0, cid, vid, 1, drawn, {}, dt_utc(done - 1800), dt_utc(done), score, True))
                    day = dt_utc(done).date()
                    rid = T["records"].add((0, vid, cid, source, session, day, hours, score, code, dt_utc(done)))
                    T["certificates"].add((0, f"PX{day:%Y}{rid:010d}", vid, cid, qtype, rid, None, f"培训课程{cid}",
                                           "志愿服务培训", day, _expiry(day, months), "valid", code))  # fmt: skip
                if len(T["records"].rows) >= FLUSH_ROWS:
                    for key in ("records", "certificates", "enrollments", "attempts"):
                        T[key].flush()
            for key in ("records", "enrollments", "attempts"):
                T[key].flush()
            # the kept enrollment counts, in one statement
            qn = connection.ops.quote_name
            with connection.cursor() as cur:
                cur.execute(
                    f"UPDATE {qn(Session._meta.db_table)} SET enrolled_count = (SELECT COUNT(*) FROM "
                    f"{qn(Enrollment._meta.db_table)} e WHERE e.session_id = {qn(Session._meta.db_table)}.id)"
                )
            # qualifications (a certificate row each when approved, after its qualification row)
            statuses, sw = list(QUALIFICATION_STATUS), list(QUALIFICATION_STATUS.values())
            approved = []
            for i in range(len(pool)):
                if not types or rng.random() >= QUALIFICATION_SHARE:
                    continue
                qtype, months = rng.choice(types)
                issued = dt_utc(between(rng, REF - 1500 * DAY, REF - 10 * DAY)).date()
                status = rng.choices(statuses, sw)[0]
                qid = T["qualifications"].add((0, pool.ids[i], qtype, f"WB{i:09d}", "外部发证机构", issued, None, "证书.pdf",
                                               "application/pdf", "", sealed_key, status,
                                               "照片不清晰" if status == "rejected" else "", pool.code_of(i),
                                               dt_utc(between(rng, REF - 9 * DAY, REF))))  # fmt: skip
                if status == "approved":
                    approved.append((qid, pool.ids[i], qtype, issued, _expiry(issued, months), pool.code_of(i)))
            T["qualifications"].start()
            T["qualifications"].flush()
            for qid, vid, qtype, issued, expires, code in approved:
                T["certificates"].add((0, f"ZG{issued:%Y}{qid:010d}", vid, None, qtype, None, qid, "资格证书", "外部发证机构",
                                       issued, expires, "valid", code))  # fmt: skip
            T["certificates"].flush()
            for t in T.values():
                bulk.reset_sequence(t.model)
        ctx.shared["training"] = {"ref_day": ref_day}
        return {t.model._meta.label: t.writer.count for t in T.values()}


STAGES = [TrainingStage()]

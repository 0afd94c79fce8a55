"""Reads of the hour ledger at scale (issue 10, "Reads at 10⁷ entries"): a volunteer's hours page
and an organization's confirmation queue, p95 < 100 ms.

    python -m bench.run hours --db sqlite|postgres --size small|medium [--entries 200000]
                              [--pending 200] [--repeat 40] [--database-url URL]
    python -m bench.run hours --database-url URL --size large --generated [--repeat 40]

``--generated`` measures a database ``bench.generate`` filled (its ledger and queues as they
are, no fill): the ``--repeat`` volunteers with the longest ledgers, one request each, and the
organization with the longest confirmation queue, through one of its admins.

Until the generator has activity and ledger stages, ``fill`` adds a synthetic ledger to the
generated dataset (idempotent, up to ``--entries``): activities of ten organizations with one
3-hour shift a day, an accepted enrollment, a confirmed attendance and its credit entry per
(volunteer, day) — chained per volunteer with the real hash, credited intervals and kept totals
— plus ``--pending`` undecided attendances of the first organization (its queue). Then, in the
process (Django's test client: URL routing, middleware, view, queries, template — no network),
each page and its API twin is requested ``--repeat`` times for rotating volunteers after one
warm-up, and reported as median and p95; and the query plans (EXPLAIN) of the page queries are
printed with the indexes they use, so it shows that they do not grow with the ledger.
"""

import datetime as dt
import sys
import time
from collections import defaultdict

from bench.stats import percentile

BENCH_TITLE = "时长基准活动"
ADMIN_MOBILE = "13900001010"
TARGET_MS = 100


def fill(*, entries: int, pending: int, quiet: bool = False) -> dict:
    """Add synthetic ledger rows until ``entries`` exist (see the module docstring)."""
    from django.db import transaction
    from django.utils import timezone

    from zhiyuan.accounts.models import RoleAssignment, User
    from zhiyuan.accounts.roles import Role
    from zhiyuan.activities.models import Activity, Attendance, Enrollment, Position, Shift, Slot
    from zhiyuan.core.chain import GENESIS, entry_hash
    from zhiyuan.core.models import ChainHead
    from zhiyuan.organizations.models import Organization
    from zhiyuan.records.models import CreditedInterval, HourEntry, HourTotal
    from zhiyuan.volunteers.models import Volunteer

    have = HourEntry.objects.count()
    orgs = list(Organization.objects.filter(status="active").order_by("id")[:10])
    admin = User.objects.filter(mobile=ADMIN_MOBILE).first()
    if admin is None:
        admin = User.objects.create_user(ADMIN_MOBILE, "Bench#2026x", display_name="时长基准管理员")
        RoleAssignment.objects.create(user=admin, role=Role.ORG_ADMIN, object_id=orgs[0].pk)
    out = {"entries_before": have, "admin": admin.pk, "organization": orgs[0].pk}
    if have >= entries:
        out["entries"] = have
        return out
    vids = list(Volunteer.objects.order_by("id").values_list("id", flat=True))
    days = max(30, -(-entries // len(vids)) + 2)
    today = timezone.localdate()
    tz = timezone.get_current_timezone()

    def at(day: int, hour: int):
        return dt.datetime.combine(today - dt.timedelta(days=day), dt.time(hour), tzinfo=tz)

    with transaction.atomic():
        plan = []  # per org: list of (shift, slot) by day index
        for i, org in enumerate(orgs):
            act = Activity.objects.create(
                organization=org, region_code=org.region_code, title=f"{BENCH_TITLE}{i + 1}", category="community",
                content="基准测试", address="基准地址", starts_at=at(days, 9), ends_at=at(1, 12), status="finished",
            )  # fmt: skip
            pos = Position.objects.create(activity=act, name="志愿者", slots=1_000_000)
            shifts = Shift.objects.bulk_create(
                [Shift(activity=act, starts_at=at(d, 9), ends_at=at(d, 12)) for d in range(1, days + 1)]
            )
            slots = Slot.objects.bulk_create([Slot(shift=s, position=pos, capacity=1_000_000) for s in shifts])
            plan.append((act, list(zip(shifts, slots, strict=True))))
    heads = {h.partition: (h.seq, h.hash) for h in ChainHead.objects.filter(chain="records.hourentry")}
    totals = defaultdict(lambda: [0, 0, 0])  # (vid, year, org) -> minutes
    now = timezone.now().replace(microsecond=0)
    made, batch, k = 0, [], 0
    t0 = time.perf_counter()

    def flush(rows):
        with transaction.atomic():
            enr = Enrollment.objects.bulk_create([r[0] for r in rows])
            atts = []
            for (_e, a, _h, _v), e in zip(rows, enr, strict=True):
                a.enrollment = e
                atts.append(a)
            Attendance.objects.bulk_create(atts)
            entries_ = []
            for _e, a, h, vid in rows:
                h.attendance_id = a.pk
                part = f"v{vid}"
                seq, prev = heads.get(part, (0, GENESIS))
                h.partition, h.seq, h.prev_hash = part, seq + 1, prev
                h.hash = entry_hash(prev_hash=prev, partition=part, seq=h.seq, payload=h.chain_payload())
                heads[part] = (h.seq, h.hash)
                entries_.append(h)
            HourEntry.objects.bulk_create(entries_)
            CreditedInterval.objects.bulk_create(
                [CreditedInterval(volunteer_id=h.volunteer_id, entry_id=h.pk, activity_id=h.activity_id,
                                  starts_at=h.starts_at, ends_at=h.ends_at) for h in entries_]
            )  # fmt: skip

    need = entries - have
    while made < need:
        for vid in vids:
            if made >= need:
                break
            oi = (vid + k) % len(orgs)
            act, sched = plan[oi]
            shift, slot = sched[k % len(sched)]
            org = orgs[oi]
            e = Enrollment(
                slot=slot, volunteer_id=vid, shift=shift, activity=act, organization=org, region_code=org.region_code,
                starts_at=shift.starts_at, ends_at=shift.ends_at, status="accepted",
            )  # fmt: skip
            a = Attendance(
                volunteer_id=vid, activity=act, shift=shift, organization=org, region_code=org.region_code,
                check_in_at=shift.starts_at, check_in_method="qr", check_out_at=shift.ends_at, check_out_method="qr",
                hours_state="confirmed",
            )  # fmt: skip
            h = HourEntry(
                volunteer_id=vid, organization=org, region_code=org.region_code, activity=act, kind="credit",
                action="confirm", minutes=180, starts_at=shift.starts_at, ends_at=shift.ends_at,
                service_date=timezone.localtime(shift.starts_at).date(), recorded_by=admin, created_at=now,
            )  # fmt: skip
            totals[(vid, h.service_date.year, org.pk)][0] += 180
            batch.append((e, a, h, vid))
            made += 1
            if len(batch) == 5000:
                flush(batch)
                batch = []
                if not quiet:
                    print(
                        f"  ledger: {have + made:,} entries ({made / (time.perf_counter() - t0):,.0f}/s)",
                        file=sys.stderr,
                        flush=True,
                    )
        k += 1
    if batch:
        flush(batch)
    with transaction.atomic():
        ChainHead.objects.filter(chain="records.hourentry", partition__in=list(heads)).delete()
        ChainHead.objects.bulk_create(
            [ChainHead(chain="records.hourentry", partition=p, seq=s, hash=h) for p, (s, h) in heads.items()]
        )
        lifetime, years, per_org = defaultdict(int), defaultdict(int), defaultdict(int)
        for (vid, year, org_id), (m, _x, _y) in totals.items():
            lifetime[vid] += m
            years[(vid, year)] += m
            per_org[(vid, org_id)] += m
        HourTotal.objects.filter(volunteer_id__in=list(lifetime)).delete()
        rows = [HourTotal(volunteer_id=v, year=0, credit_minutes=m) for v, m in lifetime.items()]
        rows += [HourTotal(volunteer_id=v, year=y, credit_minutes=m) for (v, y), m in years.items()]
        rows += [HourTotal(volunteer_id=v, year=0, organization_id=o, credit_minutes=m) for (v, o), m in per_org.items()]
        HourTotal.objects.bulk_create(rows, batch_size=5000)
    # the first organization's queue: undecided attendances of yesterday's shift
    act, sched = plan[0]
    shift, slot = sched[0]
    taken = set(Enrollment.objects.filter(shift=shift).values_list("volunteer_id", flat=True))
    free = [v for v in vids if v not in taken][:pending]
    with transaction.atomic():
        enr = Enrollment.objects.bulk_create(
            [Enrollment(slot=slot, volunteer_id=v, shift=shift, activity=act, organization=orgs[0],
                        region_code=orgs[0].region_code, starts_at=shift.starts_at, ends_at=shift.ends_at,
                        status="accepted") for v in free]
        )  # fmt: skip
        Attendance.objects.bulk_create(
            [Attendance(enrollment=e, volunteer_id=e.volunteer_id, activity=act, shift=shift, organization=orgs[0],
                        region_code=orgs[0].region_code, check_in_at=shift.starts_at, check_in_method="qr",
                        check_out_at=shift.ends_at, check_out_method="qr", flags=["late"] if e.pk % 7 == 0 else [])
             for e in enr]
        )  # fmt: skip
    out.update(entries=HourEntry.objects.count(), added=made, seconds=round(time.perf_counter() - t0, 1), pending_added=len(free))
    return out


def heaviest(*, volunteers: int) -> dict:
    """A generated database as it is (``--generated``, no fill): the ``volunteers`` volunteers with
    the longest ledgers (their chain heads' ``seq`` is their number of entries) and the organization
    with the longest confirmation queue, with one of its active admins."""
    from django.db.models import Count
    from django.utils import timezone

    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.activities.models import Attendance
    from zhiyuan.core.models import ChainHead

    heads = list(ChainHead.objects.filter(chain="records.hourentry").order_by("-seq", "partition")[:volunteers])
    if not heads:
        raise SystemExit("--generated: the database has no ledger (generate it with the activities stages first)")
    queues = (
        Attendance.objects.filter(hours_state="pending", shift__ends_at__lte=timezone.now())
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by("-n", "organization_id")
    )
    for row in queues[:20]:
        admin = (
            RoleAssignment.objects.filter(role="org_admin", object_id=row["organization_id"], active=True)
            .order_by("id")
            .values_list("user_id", flat=True)
            .first()
        )
        if admin is not None:
            break
    else:
        raise SystemExit("--generated: no organization with a queue and an active admin")
    return {
        "volunteers": [int(h.partition[1:]) for h in heads],
        "entries_of_volunteers": [h.seq for h in heads],
        "organization": row["organization_id"],
        "queue_length": row["n"],
        "admin": admin,
    }


PLAN_QUERIES = {
    "my_entries": "the volunteer's entries page (keyset, newest first)",
    "my_totals": "the volunteer's kept totals",
    "queue": "the organization's confirmation queue",
    "overlap": "the overlap check before a confirmation",
}


def plans(*, volunteer_id: int, org) -> dict:
    """EXPLAIN of the queries behind the two pages (and the overlap check)."""
    from django.db import connection

    from zhiyuan.core.lists import keyset_page, order_by_keyset  # noqa: F401
    from zhiyuan.records.lists import MY_ENTRIES, QUEUE
    from zhiyuan.records.models import CreditedInterval, HourEntry, HourTotal
    from zhiyuan.records.selectors import queue_scope

    my = order_by_keyset(
        HourEntry.objects.filter(volunteer_id=volunteer_id).select_related("activity", "organization"),
        MY_ENTRIES.sorts["-service_date"].order,
    )[:21]
    q = order_by_keyset(queue_scope(organization=org), QUEUE.sorts["check_in_at"].order)[: QUEUE.page_size + 1]
    tot = HourTotal.objects.filter(volunteer_id=volunteer_id).select_related("organization")
    now = dt.datetime.now(dt.UTC)
    ov = CreditedInterval.objects.filter(volunteer_id=volunteer_id, starts_at__lt=now).order_by("-starts_at")[:1]
    out = {}
    for key, qs in (("my_entries", my), ("my_totals", tot), ("queue", q), ("overlap", ov)):
        plan = qs.explain() if connection.vendor == "sqlite" else qs.explain(analyze=True, buffers=True)
        out[key] = plan
    return out


def _timed(client, url: str, repeat: int) -> list[float]:
    client.get(url)  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url} answered {r.status_code}")
    return times


def bench_hours(args) -> dict:
    from bench import dbs
    from bench.generate import setup_django
    from bench.machine import database_info, machine_info, now_iso
    from bench.run import ensure_dataset, write_result
    from bench.sizes import parse_size

    size = parse_size(args.size)
    url = args.database_url or dbs.database_url(args.db, size.name)
    setup_django(url)
    if args.generated and not args.database_url:
        raise SystemExit("--generated needs --database-url (a database bench.generate filled)")
    if not args.database_url:
        ensure_dataset(args.db, size, seed=args.seed, regenerate=False)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    # in the process, without collectstatic's manifest: plain static URLs (as the test settings do)
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    connection.close()
    from zhiyuan.accounts.models import User
    from zhiyuan.organizations.models import Organization
    from zhiyuan.records.models import HourEntry
    from zhiyuan.volunteers.models import Volunteer

    if args.generated:
        print("the generated ledger as it is: the heaviest volunteers and queue", file=sys.stderr, flush=True)
        filled = heaviest(volunteers=args.repeat)
        print(f"  volunteers with {min(filled['entries_of_volunteers'])}–{max(filled['entries_of_volunteers'])} "
              f"entries; organization {filled['organization']} with {filled['queue_length']:,} attendances "
              f"in its queue", file=sys.stderr)  # fmt: skip
        by_id = Volunteer.objects.select_related("user").in_bulk(filled["volunteers"])
        people = [by_id[v] for v in filled["volunteers"]]
    else:
        print(f"fill: up to {args.entries:,} ledger entries", file=sys.stderr, flush=True)
        filled = fill(entries=args.entries, pending=args.pending)
        vids = list(HourEntry.objects.filter(action="confirm").order_by("-id").values_list("volunteer_id", flat=True)[:5000])
        people = list(Volunteer.objects.filter(pk__in=sorted(set(vids))[: args.repeat]).select_related("user"))
    org = Organization.objects.get(pk=filled["organization"])
    admin = User.objects.get(pk=filled["admin"])
    results = {}

    def scenario(key, label, who, url_of):
        times = []
        for i in range(args.repeat):
            c = Client(SERVER_NAME="localhost")
            c.force_login(who(i))
            times += _timed(c, url_of(i), 1)
        results[key] = {
            "label": label,
            "n": len(times),
            "median_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1),
        }
        print(f"  {label:<48} median {results[key]['median_ms']:>7} ms  p95 {results[key]['p95_ms']:>7} ms", file=sys.stderr)

    vol = lambda i: people[i % len(people)].user  # noqa: E731
    scenario("my_hours_page", "GET /records/me/ (volunteer's hours page)", vol, lambda i: "/records/me/")
    scenario("my_entries_api", "GET /api/v1/records/me/entries", vol, lambda i: "/api/v1/records/me/entries")
    scenario("my_summary_api", "GET /api/v1/records/me/summary", vol, lambda i: "/api/v1/records/me/summary")
    scenario(
        "queue_page",
        "GET /records/org/<id>/queue/ (confirmation queue)",
        lambda i: admin,
        lambda i: f"/records/org/{org.pk}/queue/",
    )
    scenario(
        "queue_api", "GET /api/v1/records/organizations/<id>/queue", lambda i: admin,
        lambda i: f"/api/v1/records/organizations/{org.pk}/queue",
    )  # fmt: skip
    explained = plans(volunteer_id=people[0].pk, org=org)
    for key, text in explained.items():
        print(f"\nEXPLAIN {PLAN_QUERIES[key]}:\n{text}", file=sys.stderr)
    worst = max(r["p95_ms"] for r in results.values())
    print(f"\nworst p95 {worst} ms (target < {TARGET_MS} ms): {'ok' if worst < TARGET_MS else 'OVER'}")
    body = {
        "benchmark": "hours",
        "date": now_iso(),
        "machine": machine_info(),
        "database": database_info(connection),
        "dataset": {
            "size": size.as_dict(),
            "fill": filled,
            "generated": bool(args.generated),
            "ledger_entries": HourEntry.objects.count(),
        },
        "results": results,
        "plans": explained,
        "target_p95_ms": TARGET_MS,
    }
    write_result("hours", connection.vendor, size.name, body, args.json)
    return body


def add_parser(sub) -> None:
    p = sub.add_parser("hours", help="the volunteer's hours page and the confirmation queue at scale (p95)")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--size", default="small")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--database-url", help="an already generated database (default: the benchmark database of --size)")
    p.add_argument("--entries", type=int, default=200_000, help="fill the ledger up to this many entries")
    p.add_argument("--pending", type=int, default=200, help="undecided attendances in the queue")
    p.add_argument("--repeat", type=int, default=40)
    p.add_argument(
        "--generated", action="store_true",
        help="measure the database as generated (with --database-url): no fill; the heaviest volunteers and queue",
    )  # fmt: skip
    p.add_argument("--json")

"""Check-in benchmark (issue 10, ACT-4): check-ins per second against the production server
(``run.py``'s gunicorn), with the ratio to ``/api/v1/ping`` measured by the same client in the
same run, then a check that no acknowledged check-in was lost or written twice — also when a
gunicorn worker is killed with SIGKILL in the middle of the load.

    python -m bench.run checkin --db sqlite|postgres --size small [--concurrency 8] [--duration 10]
                                [--warmup 2] [--workers 2] [--shifts 4] [--no-kill]

What one request is: a signed-in volunteer's phone (session cookie + CSRF header, the session
refreshed as the scan page would have) posts ``/api/v1/activities/attendance/check-in`` with the
organizer's current QR token, a position inside the geofence and its own ``client_request_id``;
each request is a distinct (volunteer, shift) pair. A client whose request fails (connection
reset, 5xx) retries the same request with the same id until it is answered — the server must
then answer the stored result (200, ``replayed``) for a check-in it had already written.

The dataset is the generator's (volunteers, organizations) in its own database
(``zy_bench_checkin_<size>``, so other benchmarks' databases are not touched); each run adds an
activity with ``--shifts`` running shifts and every volunteer accepted on each of them.
"""

import http.client
import itertools
import json
import multiprocessing
import os
import secrets
import signal
import sys
import threading
import time
from array import array
from collections import Counter
from pathlib import Path

from bench import dbs
from bench.sizes import parse_size
from bench.stats import summarize

CHECK_IN = "/api/v1/activities/attendance/check-in"


def add_parser(sub) -> None:
    p = sub.add_parser("checkin", help="check-ins per second vs ping, none lost or duplicated (also under SIGKILL)")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--size", default="small")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--workers", type=int, default=int(os.environ.get("ZHIYUAN_WORKERS", "2")))
    p.add_argument("--shifts", type=int, default=4, help="running shifts (half for the plain run, half for the kill run)")
    p.add_argument("--no-kill", action="store_true", help="skip the run with a worker killed")
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--json")


def database_url(db: str, size_name: str) -> str:
    return dbs.database_url(db, f"checkin_{size_name}")


# --- the client -----------------------------------------------------------------------------


def _thread(host, port, jobs, method, measure_from, stop_at, out):
    """One keep-alive connection working through ``jobs`` (headers, body) until ``stop_at``; a
    job that fails is retried, same body, until answered (idempotent by client_request_id)."""
    lat = array("d")
    statuses: Counter = Counter()
    acked, replayed, retries, refused = [], 0, 0, []
    conn = None
    for headers, body in jobs:
        if time.time() >= stop_at:
            break
        while True:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=30)
            w0 = time.time()
            t0 = time.perf_counter()
            try:
                conn.request(method, CHECK_IN if body else "/api/v1/ping", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                status = 0
            elapsed = time.perf_counter() - t0
            statuses[status] += 1
            if status == 0 or status >= 500:
                retries += 1
                time.sleep(0.05)
                continue  # the same request again
            if w0 >= measure_from and w0 + elapsed <= stop_at and status < 400:
                lat.append(elapsed)
            if body:
                if status in (200, 201):
                    answer = json.loads(data)
                    acked.append(json.loads(body)["client_request_id"])
                    replayed += bool(answer.get("replayed"))
                else:
                    refused.append((status, data[:200].decode("utf-8", "replace")))
            break
    if conn is not None:
        conn.close()
    out.append({"lat": lat, "statuses": statuses, "acked": acked, "replayed": replayed, "retries": retries, "refused": refused})


def _process(host, port, job_lists, method, measure_from, stop_at, queue):
    out: list = []
    threads = [
        threading.Thread(target=_thread, args=(host, port, jobs, method, measure_from, stop_at, out)) for jobs in job_lists
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(out)


def run_load(base: str, jobs_per_conn: list, *, method: str, duration: float, warmup: float, processes: int = 2,
             during=None) -> dict:  # fmt: skip
    """Drive ``len(jobs_per_conn)`` connections from ``processes`` client processes. ``during``
    (optional) is called once, half-way through the measured window (the SIGKILL)."""
    host, port = base.replace("http://", "").split(":")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + 0.5
    measure_from, stop_at = start + warmup, start + warmup + duration
    groups = [jobs_per_conn[i::processes] for i in range(processes)]
    procs = [ctx.Process(target=_process, args=(host, int(port), g, method, measure_from, stop_at, queue)) for g in groups if g]
    for p in procs:
        p.start()
    event = None
    if during is not None:
        time.sleep(max(0.0, measure_from + duration / 2 - time.time()))
        event = during()
    parts = []
    for _ in procs:
        parts.extend(queue.get(timeout=600))
    for p in procs:
        p.join()
    lat = array("d")
    statuses: Counter = Counter()
    acked: list = []
    refused: list = []
    replayed = retries = 0
    for part in parts:
        lat.extend(part["lat"])
        statuses.update(part["statuses"])
        acked.extend(part["acked"])
        refused.extend(part["refused"])
        replayed += part["replayed"]
        retries += part["retries"]
    result = summarize(lat, seconds=duration, errors=sum(n for s, n in statuses.items() if s == 0 or s >= 400))
    result.update(
        statuses={str(k): v for k, v in sorted(statuses.items())},
        acked=len(acked),
        replayed=replayed,
        retries=retries,
        refused=len(refused),
        refused_sample=refused[:3],
        connections=len(jobs_per_conn),
    )
    if event is not None:
        result["event"] = event
    result["_acked_ids"] = acked
    return result


# --- the data -------------------------------------------------------------------------------


def prepare(*, shifts: int) -> dict:
    """A new activity of a generated organization with ``shifts`` running shifts, every active
    volunteer accepted on each, a signed-in session per volunteer (refreshed just now, as the
    scan page leaves it)."""
    import datetime as dt
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from zhiyuan.activities.models import Enrollment, EnrollmentStatus, Slot
    from zhiyuan.activities.tests.factories import published_activity
    from zhiyuan.organizations.models import Organization
    from zhiyuan.volunteers.models import Volunteer

    org = Organization.objects.filter(status="active").order_by("id").first()
    if org is None:
        raise RuntimeError("the dataset has no active organization")
    volunteers = list(Volunteer.objects.filter(status="active").select_related("user").order_by("id"))
    now = timezone.now().replace(microsecond=0)
    windows = [(now - dt.timedelta(minutes=5 + i), now + dt.timedelta(hours=3)) for i in range(shifts)]
    activity = published_activity(org, shifts=windows, positions=[{"name": "压测岗位", "slots": len(volunteers)}])
    store_cls = import_module(settings.SESSION_ENGINE).SessionStore
    cookies = {}
    with transaction.atomic():
        for shift in activity.shifts.all():
            slot = shift.slots.get()
            Enrollment.objects.bulk_create(
                [
                    Enrollment(
                        slot=slot,
                        volunteer=v,
                        shift=shift,
                        activity=activity,
                        organization=org,
                        region_code=activity.region_code,
                        starts_at=shift.starts_at,
                        ends_at=shift.ends_at,
                        status=EnrollmentStatus.ACCEPTED,
                        decided_at=now,
                    )
                    for v in volunteers
                ],
                batch_size=2000,
            )
            Slot.objects.filter(pk=slot.pk).update(accepted=len(volunteers))
        rows = []
        expire = now + dt.timedelta(hours=2)
        for v in volunteers:
            key = secrets.token_hex(16)
            data = {
                SESSION_KEY: str(v.user.pk),
                BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: v.user.get_session_auth_hash(),
                "_zy_refreshed": int(time.time()),  # refreshed now: no session write during the run
            }
            rows.append(Session(session_key=key, session_data=store_cls().encode(data), expire_date=expire))
            cookies[v.pk] = key
        Session.objects.bulk_create(rows, batch_size=2000)
    return {
        "activity": activity,
        "shifts": list(activity.shifts.order_by("id")),
        "volunteers": [v.pk for v in volunteers],
        "cookies": cookies,
        "point": (float(activity.latitude), float(activity.longitude)),
    }


def jobs_for(data: dict, shifts, *, run: str, connections: int) -> list[list]:
    """Every (volunteer, shift) of ``shifts`` as a request, dealt round-robin to the connections."""
    from django.conf import settings

    from zhiyuan.activities.attendance import qr_token_for

    csrf = secrets.token_hex(16)
    lat, lon = data["point"]
    jobs: list[list] = [[] for _ in range(connections)]
    i = 0
    for shift in shifts:
        token, _ = qr_token_for(shift.pk)
        for vid in data["volunteers"]:
            headers = {
                "Content-Type": "application/json",
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={data['cookies'][vid]}; {settings.CSRF_COOKIE_NAME}={csrf}",
                "X-CSRFToken": csrf,
            }
            body = json.dumps({"method": "qr", "token": token, "client_request_id": f"{run}-{shift.pk}-{vid}",
                               "latitude": lat + 0.0005, "longitude": lon})  # fmt: skip
            jobs[i % connections].append((headers, body))
            i += 1
    return jobs


def verify(shifts, acked: list[str], *, run: str) -> dict:
    """Every acknowledged check-in has exactly one attendance and one stored request; nothing was
    stored that the client was not told about (every sent request was retried until answered)."""
    from django.db.models import Count

    from zhiyuan.activities.models import Attendance, CheckEvent

    stored = set(CheckEvent.objects.filter(client_request_id__startswith=f"{run}-").values_list("client_request_id", flat=True))
    acked_set = set(acked)
    attendance = Attendance.objects.filter(shift__in=shifts)
    doubles = attendance.values("enrollment_id").annotate(n=Count("id")).filter(n__gt=1).count()
    result = {
        "acknowledged": len(acked_set),
        "acknowledged_twice": len(acked) - len(acked_set),
        "stored_requests": len(stored),
        "attendance_rows": attendance.count(),
        "lost": len(acked_set - stored),
        "stored_not_acknowledged": len(stored - acked_set),
        "duplicated_attendance": doubles,
    }
    result["ok"] = (
        result["lost"] == 0
        and result["duplicated_attendance"] == 0
        and result["attendance_rows"] == len(acked_set) == len(stored)
    )
    return result


def kill_a_worker(master_pid: int) -> dict:
    """SIGKILL one gunicorn worker (a child of the master this benchmark started)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:
                children.append(int(entry.name))
    if not children:
        return {"killed": None}
    victim = sorted(children)[0]
    os.kill(victim, signal.SIGKILL)
    return {"killed": victim, "at": time.time()}


# --- the benchmark --------------------------------------------------------------------------


def bench_checkin(args) -> dict:
    from bench.generate import marker_path, setup_django
    from bench.machine import database_info, load_average, machine_info, now_iso
    from bench.run import PY, child_env, print_table, production_server, sh, write_result
    from bench.stats import compare

    size = parse_size(args.size)
    url = database_url(args.db, size.name)
    marker = marker_path(url)
    if args.regenerate or not marker.exists() or not dbs.exists(url):
        marker.unlink(missing_ok=True)
        sh(PY, "-m", "bench.generate", "--database-url", url, "--size", size.name, "--seed", args.seed, "--fresh",
           env=child_env(url))  # fmt: skip
    os.environ.setdefault("ZHIYUAN_ATTENDANCE_QR_TTL_SECONDS", "60")  # tokens outlive a phase of the run
    setup_django(url)
    from django.db import connection

    load_before = load_average()
    log = dbs.BENCH_VAR / f"gunicorn-checkin-{args.db}-{size.name}.log"
    results: dict = {}
    checks: dict = {}
    with production_server(url, workers=args.workers, log=log) as (base, proc, argv):
        data = prepare(shifts=max(2, args.shifts))
        connection.close()
        half = len(data["shifts"]) // 2
        ping_jobs = [itertools.repeat(({}, None)) for _ in range(args.concurrency)]
        print(f"load: ping, {args.concurrency} connections, {args.duration:g} s", file=sys.stderr, flush=True)
        results["ping"] = run_load(base, ping_jobs, method="GET", duration=args.duration, warmup=args.warmup)
        del ping_jobs
        run = f"b{int(time.time())}"
        jobs = jobs_for(data, data["shifts"][:half], run=f"{run}a", connections=args.concurrency)
        print(f"load: check-in, {args.concurrency} connections, {args.duration:g} s", file=sys.stderr, flush=True)
        results["checkin"] = run_load(base, jobs, method="POST", duration=args.duration, warmup=args.warmup)
        checks["checkin"] = verify(data["shifts"][:half], results["checkin"].pop("_acked_ids"), run=f"{run}a")
        if not args.no_kill:
            jobs = jobs_for(data, data["shifts"][half:], run=f"{run}k", connections=args.concurrency)
            print("load: check-in with a worker killed half-way", file=sys.stderr, flush=True)
            results["checkin_kill"] = run_load(
                base, jobs, method="POST", duration=args.duration, warmup=args.warmup, during=lambda: kill_a_worker(proc.pid)
            )
            checks["checkin_kill"] = verify(data["shifts"][half:], results["checkin_kill"].pop("_acked_ids"), run=f"{run}k")
        results["ping"].pop("_acked_ids", None)
        load_after = load_average()
    labels = {"ping": "GET /api/v1/ping", "checkin": "POST check-in (QR)", "checkin_kill": "POST check-in, worker SIGKILL"}
    print_table([(labels[k], r) for k, r in results.items()])
    ratio = compare(results["checkin"], results["ping"])
    print(f"\ncheck-in / ping: throughput x{ratio['throughput']}, median latency x{ratio['median_latency']}")
    for k, c in checks.items():
        print(f"{k}: {json.dumps(c)}")
    if "checkin_kill" in results:
        r = results["checkin_kill"]
        print(f"checkin_kill: retries {r['retries']}, replayed answers {r['replayed']}, event {r.get('event')}")
    print(f"load average before {load_before}, after {load_after}")
    body = {
        "benchmark": "checkin",
        "date": now_iso(),
        "machine": {**machine_info(), "load_average_before": load_before, "load_average_after": load_after},
        "database": database_info(connection),
        "dataset": {
            "size": size.as_dict(),
            "seed": args.seed,
            "volunteers": len(data["volunteers"]),
            "shifts": len(data["shifts"]),
        },
        "server": {"argv": [Path(argv[0]).name, *argv[1:]], "workers": args.workers},
        "client": {
            "tool": "python (bench/checkin_bench.py)",
            "concurrency": args.concurrency,
            "duration": args.duration,
            "warmup": args.warmup,
        },
        "results": results,
        "ratios": {"checkin/ping": ratio},
        "checks": checks,
    }
    write_result("checkin", connection.vendor, size.name, body, args.json)
    if not all(c["ok"] for c in checks.values()):
        print("FAILED: a check-in was lost or duplicated", file=sys.stderr)
    return body

"""Enrollment under load (issue 10 "Performance": ACT-3).

Against the production server that ``run.py`` starts (gunicorn, ``--workers``), on a generated
dataset in its own database (``zy_bench_enroll_<size>``, so other benchmarks' databases are left
alone):

1. ``GET /api/v1/ping`` with ``--concurrency`` connections (wrk) — the server's ceiling.
2. Sign-ups: ``POST /api/v1/activities/{id}/enrollments`` with ``--concurrency`` connections,
   **every request a distinct volunteer** signed in with their own session (sessions are
   written just before the load, as the login page would store them; CSRF cookie + header as a
   browser sends them), spread over ``--activities`` published activities of one organization
   (one shift, one position each, room for everyone). Sign-ups per second and the ratio to ping.
3. 500 sign-ups at once (``--burst``) on one 10-place position: exactly 10 accepted, the rest
   waitlisted, the kept counts equal to the rows, no answer other than 201.

    python -m bench.run enroll --db sqlite|postgres --size small [--concurrency 8] [--duration 5]
                               [--warmup 1] [--workers 2] [--activities 40] [--burst 500]

Every sign-up is checked afterwards: each 201 is one enrollment row; kept counts match.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

BENCH_TITLE = "压测报名活动"
CSRF = "benchcsrf0123456789abcdefABCDEF0"  # 32 characters: Django's unmasked secret form

WRK_SCRIPT = r"""
local lines = {}
local threads = {}
local counter = 0

setup = function(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  local file, total = args[1], tonumber(args[2])
  local i = 0
  requests = {}
  for line in io.lines(file) do
    if i % total == tid then
      local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Cookie"] = cookie, ["X-CSRFToken"] = "CSRF", ["Content-Type"] = "application/json",
        ["Content-Length"] = tostring(#body)}, body)
    end
    i = i + 1
  end
  n = 0
  created, refused, failed, exhausted = 0, 0, 0, 0
end

request = function()
  n = n + 1
  local r = requests[n]
  if r == nil then
    exhausted = exhausted + 1
    return wrk.format("GET", "/api/v1/ping")
  end
  return r
end

response = function(status, headers, body)
  if status == 201 then created = created + 1
  elseif status >= 500 then failed = failed + 1
  elseif status ~= 200 then refused = refused + 1 end
end

done = function(summary, latency, requests)
  local c, r, f, e = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); r = r + t:get("refused"); f = f + t:get("failed"); e = e + t:get("exhausted")
  end
  io.write(string.format("BENCHJSON {\"requests\": %d, \"duration_us\": %d, \"created\": %d, \"refused\": %d,"
    .. " \"failed\": %d, \"exhausted\": %d, \"socket\": %d, \"median_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f}\n",
    summary.requests, summary.duration, c, r, f, e,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def database_url(db: str, size_name: str) -> str:
    from bench import dbs

    return dbs.database_url(db, f"enroll_{size_name}")


def ensure_dataset(url: str, size, *, seed: int, regenerate: bool) -> None:
    from bench import dbs
    from bench.generate import marker_path
    from bench.run import PY, child_env, sh

    marker = marker_path(url)
    current = json.loads(marker.read_text()) if marker.exists() and dbs.exists(url) else None
    if regenerate or not current or current.get("size") != size.name or current.get("seed") != seed:
        marker.unlink(missing_ok=True)
        sh(PY, "-m", "bench.generate", "--database-url", url, "--size", size.name, "--seed", seed, "--fresh", "--quiet",
           env=child_env(url))  # fmt: skip
    else:
        print(f"reusing {url} ({size.name}, seed {seed})", file=sys.stderr)


# --- the activities and the people ---------------------------------------------------------------


def prepare_activities(n: int, *, capacity: int, burst_capacity: int = 10) -> tuple[list[tuple], tuple]:
    """``n`` published activities (one shift in a week, one position of ``capacity`` places) and
    one 10-place activity for the burst, of one active organization; earlier benchmark
    activities and their enrollments are removed first. Returns ``([(activity, shift, position)],
    burst (activity, shift, position, slot))``."""
    from django.db import transaction
    from django.utils import timezone

    from zhiyuan.activities.models import Activity, Enrollment, Position, Shift, Slot
    from zhiyuan.organizations.models import Organization

    with transaction.atomic():
        old = list(Activity.objects.filter(title__startswith=BENCH_TITLE).values_list("pk", flat=True))
        Enrollment.objects.filter(activity_id__in=old).delete()
        Slot.objects.filter(shift__activity_id__in=old).delete()
        Activity.objects.filter(pk__in=old).delete()
        org = Organization.objects.filter(status="active").order_by("id").first()
        if org is None:
            raise RuntimeError("the dataset has no active organization")
        start = timezone.now().replace(microsecond=0) + dt.timedelta(days=7)
        made = []
        for i in range(n + 1):
            cap = capacity if i < n else burst_capacity
            a = Activity.objects.create(
                organization=org, region_code=org.region_code, title=f"{BENCH_TITLE}{i + 1}", category="community",
                content="压测", address="惠州市", starts_at=start, ends_at=start + dt.timedelta(hours=3),
                status="published", published_at=timezone.now(), slots_total=cap, slots_open=cap,
            )  # fmt: skip
            shift = Shift.objects.create(activity=a, starts_at=a.starts_at, ends_at=a.ends_at)
            position = Position.objects.create(activity=a, name="引导员", slots=cap, minors_allowed=True)
            slot = Slot.objects.create(shift=shift, position=position, capacity=cap)
            made.append((a.pk, shift.pk, position.pk, slot.pk))
    return [m[:3] for m in made[:n]], made[n]


def eligible_users(limit: int) -> list:
    from zhiyuan.volunteers.models import Volunteer

    return list(
        Volunteer.objects.filter(status="active", restricted_at__isnull=True)
        .order_by("id")
        .values_list("user_id", "user__password")[:limit]
    )


def make_sessions(users: list) -> list[str]:
    """One session per user, stored as the login would store it (auth keys, the idle-refresh
    stamp of now so the first request does not rewrite it)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string, salted_hmac

    from zhiyuan.accounts.middleware import SessionIdleRefreshMiddleware

    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore()
    now = int(time.time())
    expire = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys, rows = [], []
    for user_id, password in users:
        auth_hash = salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", password, algorithm="sha256"
        ).hexdigest()
        data = {
            SESSION_KEY: str(user_id),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: auth_hash,
            SessionIdleRefreshMiddleware.KEY: now,
        }
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        keys.append(key)
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


def write_requests(path: Path, keys: list[str], targets: list[tuple]) -> None:
    from django.conf import settings

    name = settings.SESSION_COOKIE_NAME
    with open(path, "w") as fh:
        for i, key in enumerate(keys):
            activity, shift, position = targets[i % len(targets)]
            body = json.dumps({"shift_id": shift, "position_id": position})
            fh.write(f"/api/v1/activities/{activity}/enrollments\t{name}={key}; csrftoken={CSRF}\t{body}\n")


# --- load --------------------------------------------------------------------------------------


def wrk_signups(base: str, requests_file: Path, *, concurrency: int, seconds: float) -> dict:
    threads = max(1, min(concurrency, os.cpu_count() or 1))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT.replace('"CSRF"', json.dumps(CSRF)))
        script = fh.name
    try:
        cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", script,
               base, "--", str(requests_file), str(threads)]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 300).stdout
    finally:
        os.unlink(script)
    line = next((x for x in out.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    raw = json.loads(line[len("BENCHJSON ") :])
    secs = raw["duration_us"] / 1e6
    return {
        "requests": raw["created"],
        "refused": raw["refused"],
        "errors": raw["failed"] + raw["socket"],
        "exhausted": raw["exhausted"],
        "seconds": round(secs, 3),
        "rps": round(raw["created"] / secs, 1),
        "median_ms": round(raw["median_us"] / 1000, 3),
        "p90_ms": round(raw["p90_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "client": "wrk",
        "concurrency": concurrency,
    }


def burst(port: int, keys: list[str], target: tuple) -> dict:
    """All at once: one thread per sign-up, released together."""
    from django.conf import settings

    activity, shift, position, _slot = target
    body = json.dumps({"shift_id": shift, "position_id": position})
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    gate = threading.Barrier(len(keys))

    def one(key):
        conn = HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={key}; csrftoken={CSRF}", "X-CSRFToken": CSRF,
                   "Content-Type": "application/json"}  # fmt: skip
        try:
            conn.connect()
            gate.wait()
            conn.request("POST", f"/api/v1/activities/{activity}/enrollments", body=body, headers=headers)
            status = conn.getresponse().status
        except OSError:
            status = 0
        finally:
            conn.close()
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"statuses": {str(k): v for k, v in sorted(statuses.items())}, "seconds": round(time.perf_counter() - t0, 3)}


def verify(targets: list[tuple], burst_target: tuple, created: int) -> dict:
    from zhiyuan.activities.enrollment import slot_counts_check
    from zhiyuan.activities.models import Activity, Enrollment, Slot

    ids = [t[0] for t in targets]
    rows = Enrollment.objects.filter(activity_id__in=ids).count()
    bad = [c for a in [*ids, burst_target[0]] for c in slot_counts_check(a)]
    slot = Slot.objects.get(pk=burst_target[3])
    burst_rows = Enrollment.objects.filter(slot_id=slot.pk)
    activity = Activity.objects.get(pk=burst_target[0])
    return {
        "signup_rows": rows,
        "signup_rows_match_201": rows >= created,  # the warm-up's and the measured run's
        "kept_counts_mismatches": bad,
        "burst_accepted": burst_rows.filter(status="accepted").count(),
        "burst_waitlisted": burst_rows.filter(status="waitlisted").count(),
        "burst_slot": {"capacity": slot.capacity, "accepted": slot.accepted, "waitlisted": slot.waitlisted},
        "burst_activity_slots_open": activity.slots_open,
    }


def bench_enroll(args) -> dict:
    from bench import run as harness
    from bench.generate import setup_django
    from bench.http_load import load, wrk_available
    from bench.machine import database_info, load_average, machine_info, now_iso
    from bench.sizes import parse_size
    from bench.stats import compare

    if not wrk_available():
        raise SystemExit("wrk is needed (apt-get install wrk): per-request bodies and cookies come from its Lua script")
    size = parse_size(args.size)
    url = database_url(args.db, size.name)
    setup_django(url)
    ensure_dataset(url, size, seed=args.seed, regenerate=args.regenerate)
    from django.db import connection

    connection.close()
    log = Path(harness.dbs.BENCH_VAR) / f"gunicorn-enroll-{args.db}-{size.name}.log"
    load_before = load_average()
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    with harness.production_server(url, workers=args.workers, log=log) as (base, _proc, argv):
        port = int(base.rsplit(":", 1)[1])
        targets, burst_target = prepare_activities(args.activities, capacity=100_000)
        expected = int(args.expect_rps * (args.duration + args.warmup + 2))
        users = eligible_users(expected + args.burst)
        if len(users) < args.burst + 50:
            raise RuntimeError(f"only {len(users)} eligible volunteers: generate a larger --size")
        burst_users, users = users[: args.burst], users[args.burst :]
        print(f"sessions for {len(users):,} + {len(burst_users)} volunteers", file=sys.stderr, flush=True)
        keys = make_sessions(users)
        burst_keys = make_sessions(burst_users)
        warm = int(len(keys) * args.warmup / (args.warmup + args.duration)) if args.warmup > 0 else 0
        with tempfile.TemporaryDirectory() as tmp:
            warm_file, run_file = Path(tmp) / "warm.tsv", Path(tmp) / "run.tsv"
            write_requests(warm_file, keys[:warm], targets)
            write_requests(run_file, keys[warm:], targets)
            print(f"load: ping, {args.concurrency} connections, {args.duration:g} s", file=sys.stderr, flush=True)
            ping = load(base + "/api/v1/ping", client="wrk", concurrency=args.concurrency, duration=args.duration,
                        warmup=args.warmup)  # fmt: skip
            print(f"load: sign-ups, {args.concurrency} connections, {args.duration:g} s", file=sys.stderr, flush=True)
            if args.warmup > 0:
                wrk_signups(base, warm_file, concurrency=args.concurrency, seconds=args.warmup)
            signups = wrk_signups(base, run_file, concurrency=args.concurrency, seconds=args.duration)
        print(f"burst: {len(burst_keys)} sign-ups at once on a 10-place position", file=sys.stderr, flush=True)
        burst_result = burst(port, burst_keys, burst_target)
        connection.close()
        checks = verify(targets, burst_target, signups["requests"])
    ratio = compare(signups, ping)
    ok = (
        checks["burst_accepted"] == min(10, len(burst_keys))
        and checks["burst_waitlisted"] == max(0, len(burst_keys) - 10)
        and not checks["kept_counts_mismatches"]
        and burst_result["statuses"] == {"201": len(burst_keys)}
        and signups["errors"] == 0
    )
    harness.print_table([("GET /api/v1/ping", ping), ("POST sign-up (distinct volunteers)", signups)])
    print(f"\nsign-ups / ping: throughput x{ratio['throughput']}; refused {signups['refused']}, exhausted {signups['exhausted']}")
    kept = "ok" if not checks["kept_counts_mismatches"] else "WRONG"
    print(f"burst: {burst_result['statuses']} in {burst_result['seconds']} s -> {checks['burst_accepted']} accepted, "
          f"{checks['burst_waitlisted']} waitlisted; kept counts {kept}")  # fmt: skip
    print(f"load before: {uptime_before}\nchecks: {'PASS' if ok else 'FAIL'}")
    body = {
        "benchmark": "enroll",
        "date": now_iso(),
        "machine": {**machine_info(), "load_average_before": load_before, "uptime_before": uptime_before},
        "database": database_info(connection),
        "dataset": {"size": size.as_dict(), "seed": args.seed},
        "server": {"argv": [Path(argv[0]).name, *argv[1:]], "workers": args.workers},
        "client": {"tool": "wrk", "concurrency": args.concurrency, "duration": args.duration, "warmup": args.warmup},
        "activities": args.activities,
        "results": {"ping": ping, "signups": signups, "burst": burst_result},
        "ratios": {"signups/ping": ratio},
        "checks": {**checks, "pass": ok},
    }
    harness.write_result("enroll", connection.vendor, size.name, body, args.json)
    if not ok:
        raise SystemExit("enrollment checks failed (see above)")
    return body


def add_parser(sub) -> None:
    p = sub.add_parser("enroll", help="sign-ups per second (distinct volunteers) vs ping; 500 at once on 10 places")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--size", default="small")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--workers", type=int, default=int(os.environ.get("ZHIYUAN_WORKERS", "2")))
    p.add_argument("--activities", type=int, default=40, help="activities the sign-ups are spread over")
    p.add_argument("--burst", type=int, default=500, help="sign-ups fired at once on one 10-place position")
    p.add_argument("--expect-rps", type=float, default=1500, help="sessions prepared: this rate for the whole run")
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--json")

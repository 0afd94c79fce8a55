"""The public activity square at scale (issue 10 item 2): anonymous reads of
``GET /api/v1/activities/square`` and the page, against the production server, on a database of
its own filled with ``--activities`` activities spread over 惠州 (the generator's activities
stage is another area's; this bench needs only activity rows).

    python -m bench.run square --db sqlite|postgres [--activities 100000] [--repeat 20]
                               [--concurrency 8] [--duration 5] [--name square] [--reuse]

Each scenario is requested ``--repeat`` times in a row after one warm-up (median, p95); then the
default page of the API, the nearest-first page and ``/api/v1/ping`` are loaded with
``--concurrency`` connections for ``--duration`` seconds each (requests per second, ratio to
ping). Every answer must be 200 with items, or the run fails.
"""

import json
import random
import sys
import time
from urllib.parse import urlencode

from bench.stats import percentile

CENTER = (23.1118, 114.4162)  # 惠城区
CATEGORIES = ["community", "environment", "education_support", "smart_elderly", "health", "civilized_traffic"]
ADMIN_MOBILE = "13900000777"


def fill(n: int, *, seed: int = 1) -> dict:
    """``n`` activities of one organization: 70 % published (a third of them past), the rest
    finished, draft or cancelled; towns of 惠州; points within ~50 km of 惠城; 5 % members-only."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from zhiyuan.activities.models import Activity
    from zhiyuan.organizations.models import Organization
    from zhiyuan.regions.models import Region

    rng = random.Random(seed)
    towns = list(Region.objects.filter(code__startswith="4413", level=4).values_list("code", flat=True))
    org = Organization.objects.create(
        name="基准测试志愿服务队", kind="team", sponsor_type="community", sponsor_name="社区", team_category="practice",
        region_code=towns[0], address="惠州", contact_name="测试", contact_phone="13800000000", status="active",
    )  # fmt: skip
    now = timezone.now()
    t0 = time.perf_counter()
    batch = []
    for i in range(n):
        r = rng.random()
        status = "published" if r < 0.7 else "finished" if r < 0.85 else "draft" if r < 0.95 else "cancelled"
        offset = rng.uniform(-60, 120) if status == "published" else rng.uniform(-365, 0)
        start = (now + dt.timedelta(days=offset)).replace(minute=0, second=0, microsecond=0)
        total = rng.choice((5, 10, 20, 50))
        batch.append(
            Activity(
                organization=org,
                region_code=rng.choice(towns),
                title=f"志愿服务活动{i}",
                category=rng.choice(CATEGORIES),
                content="社区服务。",
                address=f"惠州市测试路{i % 997}号",
                latitude=round(CENTER[0] + rng.uniform(-0.45, 0.45), 6),
                longitude=round(CENTER[1] + rng.uniform(-0.5, 0.5), 6),
                starts_at=start,
                ends_at=start + dt.timedelta(hours=3),
                status=status,
                visibility="members" if rng.random() < 0.05 else "public",
                published_at=now,
                slots_total=total,
                slots_open=rng.randint(0, total),
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                Activity.objects.bulk_create(batch)
            batch = []
    with transaction.atomic():
        Activity.objects.bulk_create(batch)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE activities_activity")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    return {"activities": n, "fill_seconds": round(time.perf_counter() - t0, 1)}


def scenarios() -> list[tuple[str, str]]:
    near = {"lat": CENTER[0], "lng": CENTER[1]}
    return [
        ("ping", "/api/v1/ping"),
        ("api: default (soonest first)", "/api/v1/activities/square"),
        ("api: category", "/api/v1/activities/square?" + urlencode({"category": "health"})),
        ("api: region (county range)", "/api/v1/activities/square?" + urlencode({"region": "441303000000"})),
        ("api: dates (one week)", "/api/v1/activities/square?" + urlencode({"date_from": _day(10), "date_to": _day(17)})),
        ("api: open slots + search", "/api/v1/activities/square?" + urlencode({"open": "1", "q": "测试路12"})),
        ("api: near me 5 km, nearest first", "/api/v1/activities/square?" + urlencode({**near, "radius": 5, "sort": "distance"})),
        (
            "api: near me 20 km, nearest first",
            "/api/v1/activities/square?" + urlencode({**near, "radius": 20, "sort": "distance"}),
        ),
        ("api: near me 50 km, by time", "/api/v1/activities/square?" + urlencode({**near, "radius": 50})),
        ("page: /activities/square/", "/activities/square/"),
        ("page: near me 20 km", "/activities/square/?" + urlencode({**near, "radius": 20, "sort": "distance"})),
    ]


def _day(days: int) -> str:
    import datetime as dt

    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def run_sequential(port: int, path: str, *, repeat: int) -> dict:
    from bench.run import get

    lat, statuses, text = [], [], ""
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        status, _h, text = get(port, path)
        if i:
            lat.append((time.perf_counter() - t0) * 1000)
        statuses.append(status)
    items = None
    if path.startswith("/api/v1/activities"):
        items = len(json.loads(text)["items"])
    return {
        "path": path, "requests": len(lat), "statuses": sorted(set(statuses)), "items": items,
        "median_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1), "max_ms": round(max(lat), 1),
    }  # fmt: skip


def bench_square(args) -> dict:
    from pathlib import Path

    from bench import dbs
    from bench import run as harness
    from bench.generate import migrate, setup_django
    from bench.http_load import load
    from bench.machine import database_info, load_average, machine_info, now_iso

    url = dbs.database_url(args.db, args.name)
    fresh = not (args.reuse and dbs.exists(url))
    if fresh:
        dbs.recreate(url)
    setup_django(url)
    from django.db import connection

    data: dict = {}
    if fresh:
        from zhiyuan.regions.services import region_import_shipped

        print(f"square benchmark: migrating {connection.vendor}, {args.activities:,} activities ...", file=sys.stderr, flush=True)
        migrate()
        region_import_shipped(province_prefix="44")
        data = fill(args.activities, seed=args.seed)
    from zhiyuan.activities.models import Activity

    data["activities"] = Activity.objects.count()
    data["published"] = Activity.objects.filter(status="published").count()
    connection.close()
    load_before = load_average()
    log = dbs.BENCH_VAR / f"gunicorn-square-{dbs.vendor_of(url)}.log"
    results, loads = {}, {}
    with harness.production_server(url, workers=args.workers, log=log) as (base, _proc, argv):
        port = int(base.rsplit(":", 1)[1])
        for key, path in scenarios():
            print(f"{key} ...", file=sys.stderr, flush=True)
            results[key] = r = run_sequential(port, path, repeat=args.repeat)
            if r["statuses"] != [200] or r["items"] == 0:
                raise RuntimeError(f"{key}: statuses {r['statuses']}, items {r['items']} (see {log})")
        # a deep page: follow the cursor 25 pages into the default order
        from bench.run import get

        path = "/api/v1/activities/square?page_size=20"
        for _ in range(25):
            _s, _h, text = get(port, path)
            path = "/api/v1/activities/square?" + urlencode({"page_size": 20, "cursor": json.loads(text)["next_cursor"]})
        results["api: page 26 (cursor)"] = run_sequential(port, path, repeat=args.repeat)
        if args.duration > 0:
            for key in ("ping", "api: default (soonest first)", "api: near me 20 km, nearest first"):
                print(f"load: {key}, {args.concurrency} connections, {args.duration:g} s", file=sys.stderr, flush=True)
                loads[key] = load(base + results[key]["path"], client=args.client, concurrency=args.concurrency,
                                  duration=args.duration, warmup=args.warmup)  # fmt: skip
    print(f"\n{'scenario':<40}{'n':>4}{'items':>6}{'p50 ms':>9}{'p95 ms':>9}")
    for key, r in results.items():
        print(
            f"{key:<40}{r['requests']:>4}{r['items'] if r['items'] is not None else '':>6}"
            f"{r['median_ms']:>9.1f}{r['p95_ms']:>9.1f}"
        )
    if loads:
        ping = loads["ping"]["rps"] or 1
        print(f"\n{'load (anonymous)':<40}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'/ping':>7}")
        for key, r in loads.items():
            print(f"{key:<40}{r['concurrency']:>6}{r['rps']:>9,.1f}{r.get('median_ms', 0):>9.1f}{r.get('p99_ms', 0):>9.1f}"
                  f"{r['rps'] / ping:>7.2f}")  # fmt: skip
    body = {
        "benchmark": "square",
        "date": now_iso(),
        "machine": {**machine_info(), "load_average_before": load_before, "load_average_after": load_average()},
        "database": database_info(connection),
        "dataset": {**data, "seed": args.seed},
        "server": {"argv": [Path(argv[0]).name, *argv[1:]], "workers": args.workers},
        "sequential": {"repeat": args.repeat, "results": results},
        "load": {"concurrency": args.concurrency, "duration": args.duration, "client": args.client, "results": loads},
    }
    harness.write_result("square", connection.vendor, str(data["activities"]), body, args.json)
    return body


def add_parser(sub) -> None:
    p = sub.add_parser("square", help="the public activity square (API and page), anonymous, at 10⁵ activities")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--activities", type=int, default=100_000)
    p.add_argument("--name", default="square", help="database zy_bench_<name>")
    p.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=5, help="seconds of load per scenario (0: none)")
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--json")

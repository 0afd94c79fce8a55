"""Run one benchmark against one database and dataset size; print the figures and write a JSON
result (machine, versions, dataset) to bench/results/.

    python -m bench.run http     --db sqlite|postgres --size smoke|small|medium|large|N
                                 [--concurrency 16] [--duration 10] [--warmup 2] [--client auto|wrk|python]
                                 [--page /] [--workers 2] [--settings zhiyuan.settings]
    python -m bench.run generate --db sqlite|postgres --size ...        (same as python -m bench.generate)
    python -m bench.run import   --db sqlite|postgres [--rows 100000] [--path both|job|memory]
                                 [--strings inline|shared] [--name import]   (bulk import, VOL-10)
    python -m bench.run lists    --db sqlite|postgres --size ... [--repeat 10] [--concurrency 8]
                                 [--duration 5] [--database-url URL]   (lists and directory, bench/lists_bench.py)
    python -m bench.run exports  --db sqlite|postgres --size ... [--rows 50000] [--job-rows 200000]
                                 [--database-url URL]   (sync export and background job, bench/exports_bench.py)
    python -m bench.run square   --db sqlite|postgres [--activities 100000] [--reuse]
                                 (the public activity square, bench/square_bench.py)
    python -m bench.run checkin  --db sqlite|postgres --size small [--concurrency 8] [--duration 10]
                                 [--no-kill]   (check-ins/s vs ping, none lost under SIGKILL, bench/checkin_bench.py)
    python -m bench.run hours    --db sqlite|postgres --size ... [--entries 200000] [--repeat 40]
                                 [--database-url URL]   (hours page and confirmation queue, bench/hours_bench.py)
    python -m bench.run enroll   --db sqlite|postgres --size small [--concurrency 8] [--duration 5]
                                 (sign-ups per second vs ping, 500 at once on 10 places; bench/enroll_bench.py)

The dataset is generated on first use (python -m bench.generate --fresh) and reused while its
marker in var/bench/ matches the size and seed; ``--regenerate`` forces a new one.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from html import escape
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench import dbs
from bench.sizes import parse_size

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("ZHIYUAN_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
PY = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def sh(*args, env=None, quiet=False):
    print("+", " ".join(str(a) for a in args), file=sys.stderr, flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL if quiet else None)


SETTINGS = "zhiyuan.settings"


def child_env(url: str) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    return env


def ensure_dataset(db: str, size, *, seed: int, regenerate: bool) -> str:
    """The benchmark database for ``size``, generated unless a matching one exists."""
    from bench.generate import marker_path

    url = dbs.database_url(db, size.name)
    marker = marker_path(url)
    current = None
    if marker.exists() and dbs.exists(url):
        current = json.loads(marker.read_text())
        if current and schema_changed():
            print("the schema changed since the dataset was generated: regenerating", file=sys.stderr)
            current = None
    if regenerate or not current or current.get("size") != size.name or current.get("seed") != seed:
        marker.unlink(missing_ok=True)
        sh(PY, "-m", "bench.generate", "--db", db, "--size", size.name, "--seed", seed, "--fresh", env=child_env(url))
    else:
        print(f"reusing {url} ({size.name}, seed {seed})", file=sys.stderr)
    return url


def schema_changed() -> bool:
    """Unapplied migrations mean new columns or tables the generated data knows nothing of."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def production_server(url: str, *, workers: int, log: Path):
    """The server as README's ``python3 run.py`` starts it (run.py ``up()``): migrate,
    createcachetable, collectstatic, then gunicorn with the same arguments, on a free port.
    The demo data is not loaded (the generated dataset replaces it) and the access log goes to
    ``log`` instead of the terminal."""
    env = child_env(url)
    sh(PY, "manage.py", "migrate", "--noinput", "-v", "0", env=env)
    sh(PY, "manage.py", "createcachetable", env=env)
    sh(PY, "manage.py", "collectstatic", "--noinput", "-v", "0", env=env, quiet=True)
    port = free_port()
    sys.path.insert(0, str(ROOT))
    from run import web_command  # the same command line as run.py (ZHIYUAN_THREADS included)

    argv = web_command(GUNICORN, str(port), workers=str(workers))
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(port, proc)
            yield base, proc, argv
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until_up(port: int, proc, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see its log")
        try:
            status, _, _ = get(port, "/api/v1/ping")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /api/v1/ping in time")


def get(port: int, path: str, headers: dict | None = None, *, method="GET", body=None):
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _cookies(headers) -> dict:
    jar = {}
    for k, v in headers:
        if k.lower() == "set-cookie":
            c = SimpleCookie()
            c.load(v)
            jar.update({name: morsel.value for name, morsel in c.items()})
    return jar


def pick_user() -> tuple:
    """A plain generated volunteer (no role, so no second factor)."""
    from zhiyuan.volunteers.models import Volunteer

    v = Volunteer.objects.select_related("user").filter(status="active").order_by("id").first()
    if v is None:
        raise RuntimeError("the dataset has no volunteers")
    return v.user


def login(port: int, user, password: str) -> tuple[str, str]:
    """Sign ``user`` in as a browser would: GET the login page, POST the form with its CSRF
    token. If the login page cannot do that yet, create the session with Django's session
    engine directly (what the login view would store) — the result says which was used."""
    from django.conf import settings

    name = settings.SESSION_COOKIE_NAME
    try:
        status, headers, html = get(port, "/accounts/login/")
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if status == 200 and m:
            jar = _cookies(headers)
            form = {"csrfmiddlewaretoken": m.group(1), "mobile": user.mobile, "username": user.mobile, "password": password}
            status, headers, _ = get(
                port,
                "/accounts/login/",
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
                    "Referer": f"http://127.0.0.1:{port}/accounts/login/",
                },
                method="POST",
                body=urlencode(form),
            )
            session = _cookies(headers).get(name)
            if status in (302, 303) and session:
                return f"{name}={session}", "login-form"
    except OSError:
        pass
    return f"{name}={session_for(user)}", "session-engine"


def session_for(user) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def print_table(rows: list[tuple[str, dict]]) -> None:
    print(f"\n{'scenario':<34}{'requests':>10}{'errors':>8}{'req/s':>10}{'median ms':>11}{'p99 ms':>9}")
    for name, r in rows:
        print(
            f"{name:<34}{r['requests']:>10,}{r['errors']:>8}{r['rps']:>10,.0f}"
            f"{r.get('median_ms', float('nan')):>11.2f}{r.get('p99_ms', float('nan')):>9.2f}"
        )


def write_result(kind: str, vendor: str, size_name: str, body: dict, path: str | None) -> Path:
    RESULTS.mkdir(exist_ok=True)
    out = Path(path) if path else RESULTS / f"{kind}-{vendor}-{size_name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    print(f"\nresult: {out}", file=sys.stderr)
    return out


def bench_http(args) -> dict:
    """Benchmark 1 (issue 3): a trivial JSON endpoint and an authenticated page on the
    production server, load from other processes; the page relative to the endpoint."""
    from bench.generate import setup_django
    from bench.http_load import load, wrk_available
    from bench.machine import database_info, load_average, machine_info, now_iso, tool_version
    from bench.stats import compare

    global SETTINGS
    SETTINGS = args.settings
    size = parse_size(args.size)
    setup_django(dbs.database_url(args.db, size.name))  # configures only; connects on first use
    url = ensure_dataset(args.db, size, seed=args.seed, regenerate=args.regenerate)
    from django.db import connection

    connection.close()  # the generator may have recreated the database

    from bench.stages.people import PASSWORD

    user = pick_user()
    load_before = load_average()
    log = dbs.BENCH_VAR / f"gunicorn-{args.db}-{size.name}.log"
    client = args.client if args.client != "auto" else ("wrk" if wrk_available() else "python")
    with production_server(url, workers=args.workers, log=log) as (base, _proc, argv):
        port = int(base.rsplit(":", 1)[1])
        cookie, login_method = login(port, user, PASSWORD)
        status, _, html = get(port, args.page, {"Cookie": cookie})
        if status != 200 or escape(user.display_name) not in html:
            raise RuntimeError(f"{args.page} does not show the signed-in user (status {status}): not signed in?")
        scenarios = [
            ("ping", "GET /api/v1/ping (trivial JSON)", "/api/v1/ping", {}),
            ("page", f"GET {args.page} (signed-in user)", args.page, {"Cookie": cookie}),
        ]
        results = {}
        for key, label, path, headers in scenarios:
            print(f"load: {label}, {args.concurrency} connections, {args.duration:g} s ({client})", file=sys.stderr, flush=True)
            results[key] = load(
                base + path, client=client, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup,
                headers=headers,
            )  # fmt: skip
            results[key].update(label=label, path=path)
    print_table([(r["label"], r) for r in results.values()])
    ratio = compare(results["page"], results["ping"])
    print(
        f"\nauthenticated page / ping: throughput x{ratio['throughput']}, median latency x{ratio['median_latency']},"
        f" p99 latency x{ratio['p99_latency']}"
    )
    body = {
        "benchmark": "http",
        "date": now_iso(),
        "machine": {**machine_info(), "load_average_before": load_before},
        "database": database_info(connection),
        "dataset": {"size": size.as_dict(), "seed": args.seed, "tables": _table_counts()},
        "server": {"argv": [Path(argv[0]).name, *argv[1:]], "workers": args.workers},
        "client": {
            "tool": client,
            "version": tool_version(["wrk", "-v"]) if client == "wrk" else None,
            "concurrency": args.concurrency,
            "duration": args.duration,
            "warmup": args.warmup,
        },
        "settings": SETTINGS,
        "login": login_method,
        "results": results,
        "ratios": {"page/ping": ratio},
    }
    write_result("http", connection.vendor, size.name, body, args.json)
    return body


def _table_counts() -> dict:
    from django.apps import apps

    counts = {}
    for label in ("regions.Region", "accounts.User", "volunteers.Volunteer"):
        model = apps.get_model(label)
        counts[label] = model.objects.count()
    return counts


def bench_import(args) -> dict:
    """Volunteers bulk import (VOL-10): generated template rows through zhiyuan/volunteers/imports.py,
    rows per second (bench/import_bench.py)."""
    from bench.import_bench import bench_import as run

    return run(args)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="benchmark", required=True)

    http = sub.add_parser("http", help="HTTP throughput: trivial JSON endpoint vs authenticated page")
    http.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    http.add_argument("--size", default="smoke")
    http.add_argument("--seed", type=int, default=1)
    http.add_argument("--concurrency", type=int, default=16)
    http.add_argument("--duration", type=float, default=10)
    http.add_argument("--warmup", type=float, default=2)
    http.add_argument("--workers", type=int, default=int(os.environ.get("ZHIYUAN_WORKERS", "2")))
    http.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    http.add_argument("--page", default="/", help="the authenticated page (default /); it must show the user's name")
    http.add_argument("--regenerate", action="store_true")
    http.add_argument(
        "--settings", default="zhiyuan.settings", help="DJANGO_SETTINGS_MODULE of the server (default the production one)"
    )
    http.add_argument("--json")

    sub.add_parser("generate", help="the data generator (arguments as python -m bench.generate)", add_help=False)

    imp = sub.add_parser("import", help="volunteers bulk import (VOL-10), rows per second and peak memory")
    imp.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    imp.add_argument("--rows", type=int, default=100_000)
    imp.add_argument("--path", choices=["both", "job", "memory"], default="both", help="the import job + worker, or in memory")
    imp.add_argument("--strings", choices=["inline", "shared"], default="inline", help="as openpyxl writes, or as Excel")
    imp.add_argument("--name", default="import", help="database zy_bench_<name>")
    imp.add_argument("--seed", type=int, default=1)
    imp.add_argument("--json")

    from bench.lists_bench import add_parser as add_lists

    add_lists(sub)
    from bench.exports_bench import add_parser as add_exports

    add_exports(sub)
    from bench.square_bench import add_parser as add_square

    add_square(sub)
    from bench.checkin_bench import add_parser as add_checkin

    add_checkin(sub)
    from bench.hours_bench import add_parser as add_hours

    add_hours(sub)
    from bench.enroll_bench import add_parser as add_enroll

    add_enroll(sub)

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "generate":
        from bench.generate import main as generate_main

        return generate_main(argv[1:])
    args = parser.parse_args(argv)
    if args.benchmark == "http":
        return bench_http(args)
    if args.benchmark == "import":
        return bench_import(args)
    if args.benchmark == "lists":
        from bench.lists_bench import bench_lists

        return bench_lists(args)
    if args.benchmark == "exports":
        from bench.exports_bench import bench_exports

        return bench_exports(args)
    if args.benchmark == "square":
        from bench.square_bench import bench_square

        return bench_square(args)
    if args.benchmark == "checkin":
        from bench.checkin_bench import bench_checkin

        return bench_checkin(args)
    if args.benchmark == "hours":
        from bench.hours_bench import bench_hours

        return bench_hours(args)
    if args.benchmark == "enroll":
        from bench.enroll_bench import bench_enroll

        return bench_enroll(args)
    parser.error("unknown benchmark")


if __name__ == "__main__":
    main()

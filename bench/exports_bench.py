"""Exports at scale (issue #7 item 3): the synchronous .xlsx stream and the background job.

    python -m bench.run exports --db sqlite|postgres --size medium [--database-url URL]
                                [--rows 50000] [--job-rows 200000] [--repeat 3] [--workers 2]
                                [--skip-job] [--skip-sync]

* ``sync`` — against the production server (gunicorn as run.py starts it), signed in as the
  province manager (region ``44``, the whole dataset in scope; ``lists_bench.ensure_managers``),
  ``GET /api/v1/volunteers/export.xlsx`` and the page's ``/volunteers/manage/export.xlsx`` with
  ``registered_from`` chosen so that at most ``--rows`` volunteers match (the newest ones):
  time to the response headers, to the first body byte and to the last, ``--repeat`` times
  each after one warm-up. The rows in the file are counted (the sheet's ``<row>`` elements).
* ``direct`` — the same export in the benchmark process (``core.exports.export_stream``): first
  chunk, whole file and CPU seconds, with no server and no 30 s worker timeout.
* ``job`` — the background export of at most ``--job-rows`` rows (the same way: the newest),
  created with ``core.export_jobs.export_job_create`` and run by one real ``manage.py
  db_worker --batch`` process; its wall time, rows per second, the file size and the worker's
  peak RSS (VmHWM polled from /proc every 0.2 s, and the child's rusage).

The result JSON goes to bench/results/exports-<vendor>-<size>-<time>.json.
"""

import datetime as dt
import os
import subprocess
import sys
import time
import zipfile
from http.client import HTTPConnection, IncompleteRead
from urllib.parse import urlencode

from bench.stats import percentile


def _vmhwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def newest_filter(actor, rows: int) -> tuple[dict, int]:
    """``{"registered_from": day}`` such that at most ``rows`` volunteers in the actor's export
    scope match (the newest), and how many do."""
    from zhiyuan.core.exports import export_query, rows_estimate
    from zhiyuan.volunteers.lists import VOLUNTEERS

    qs = export_query(actor=actor, spec=VOLUNTEERS, params=None).queryset
    total = rows_estimate(qs, rows)
    if total <= rows:
        return {}, total
    at = qs.order_by("-registered_at", "-id").values_list("registered_at", flat=True)[rows]
    from django.utils import timezone

    day = timezone.localtime(at).date() + dt.timedelta(days=1)
    params = {"registered_from": day.isoformat()}
    return params, export_query(actor=actor, spec=VOLUNTEERS, params=params).queryset.count()


def fetch_timed(port: int, path: str, cookie: str) -> dict:
    """One download: seconds to the headers, the first body byte and the last; the body."""
    conn = HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "zh-hans"})
    resp = conn.getresponse()
    t_head = time.perf_counter() - t0
    first = resp.read(1)
    t_first = time.perf_counter() - t0
    try:
        body = first + resp.read()
        status = resp.status
    except IncompleteRead as exc:  # the server cut the stream (gunicorn's 30 s worker timeout)
        body, status = first + exc.partial, "incomplete"
    t_total = time.perf_counter() - t0
    conn.close()
    return {"status": status, "headers_s": t_head, "first_byte_s": t_first, "total_s": t_total, "body": body}


def sheet_rows(body: bytes) -> int:
    """Data rows of the sheet (``<row>`` elements less the header), read as a stream."""
    import io

    n = 0
    tail = b""
    with zipfile.ZipFile(io.BytesIO(body)) as zf, zf.open("xl/worksheets/sheet1.xml") as fh:
        while chunk := fh.read(1 << 20):
            data = tail + chunk
            n += data.count(b"<row>")
            tail = data[-4:]
    return n - 1


def bench_sync(port: int, cookie: str, params: dict, *, repeat: int) -> dict:
    out = {}
    query = urlencode(params)
    for key, path in (("api", "/api/v1/volunteers/export.xlsx"), ("page", "/volunteers/manage/export.xlsx")):
        url = path + (f"?{query}" if query else "")
        print(f"sync {key}: {url}", file=sys.stderr, flush=True)
        fetch_timed(port, url, cookie)  # warm-up
        runs = [fetch_timed(port, url, cookie) for _ in range(repeat)]
        bad = [r["status"] for r in runs if r["status"] not in (200, "incomplete")]
        if bad:
            raise RuntimeError(f"{url}: status {bad}")
        whole = [r for r in runs if r["status"] == 200]
        out[key] = {
            "path": url,
            "runs": repeat,
            "complete_runs": len(whole),  # the others were cut by gunicorn's worker timeout (30 s)
            "rows": sheet_rows(whole[-1]["body"]) if whole else None,
            "bytes": len(whole[-1]["body"]) if whole else max(len(r["body"]) for r in runs),
            "headers_ms_median": round(percentile([r["headers_s"] * 1000 for r in runs], 50), 1),
            "first_byte_ms_median": round(percentile([r["first_byte_s"] * 1000 for r in runs], 50), 1),
            "total_s_median": round(percentile([r["total_s"] for r in runs], 50), 2),
            "total_s_max": round(max(r["total_s"] for r in runs), 2),
        }
    return out


def bench_direct(actor, params: dict, *, repeat: int) -> dict:
    """The same export in this process (no server, no timeout): the service's first chunk, the
    whole file, and the CPU seconds it took — a figure less at the mercy of the machine's load."""
    from django.utils import translation

    from zhiyuan.core.exports import export_stream
    from zhiyuan.volunteers.lists import VOLUNTEERS

    translation.activate("zh-hans")
    runs = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        chunks = export_stream(actor=actor, spec=VOLUNTEERS, params=params or None)
        first = next(chunks)
        t_first = time.perf_counter() - t0
        body = first + b"".join(chunks)
        runs.append({"first_s": t_first, "total_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "body": body})
    return {
        "rows": sheet_rows(runs[-1]["body"]),
        "bytes": len(runs[-1]["body"]),
        "first_chunk_ms_median": round(percentile([r["first_s"] * 1000 for r in runs], 50), 1),
        "total_s_median": round(percentile([r["total_s"] for r in runs], 50), 2),
        "cpu_s_median": round(percentile([r["cpu_s"] for r in runs], 50), 2),
        "runs": repeat,
    }


def bench_job(actor, params: dict, *, url: str) -> dict:
    from bench.run import PY, ROOT, child_env
    from zhiyuan.core.export_jobs import export_job_create
    from zhiyuan.core.models import ExportJob
    from zhiyuan.core.workers import tasks_recover

    tasks_recover()  # jobs of an interrupted earlier run would count against the per-user limit
    ExportJob.objects.filter(owner=actor, status__in=("queued", "running")).update(status="failed", message="bench")
    job = export_job_create(actor=actor, list_name="volunteer", params=params)
    cmd = [PY, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--max-tasks", "1", "-v", "0"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(url))
    hwm, last_print = 0, 0.0
    while True:
        done, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if done:
            break
        hwm = max(hwm, _vmhwm_kib(proc.pid))
        if time.perf_counter() - last_print > 2:
            last_print = time.perf_counter()
            j = ExportJob.objects.get(pk=job.pk)
            print(f"  {j.status} {j.rows_done:,}/{j.rows_total or 0:,} rss {hwm / 1024:.0f} MB", file=sys.stderr, flush=True)
        time.sleep(0.2)
    worker_s = time.perf_counter() - t0
    job.refresh_from_db()
    if os.waitstatus_to_exitcode(status) != 0 or job.status != ExportJob.Status.DONE:
        raise RuntimeError(f"export job {job.pk}: {job.status} {job.message}")
    run_s = (job.finished_at - job.started_at).total_seconds()
    return {
        "rows": job.rows_done,
        "filters": params,
        "file_bytes": job.file_size,
        "worker_seconds": round(worker_s, 2),
        "job_seconds": round(run_s, 2),
        "rows_per_second": round(job.rows_done / max(run_s, 1e-9)),
        "worker_peak_rss_mb": round(hwm / 1024, 1),  # VmHWM of the worker process, polled
        "worker_maxrss_mb": round(usage.ru_maxrss / 1024, 1),  # its rusage
    }


def bench_exports(args) -> dict:
    from pathlib import Path

    from bench import dbs
    from bench import run as harness
    from bench.generate import setup_django
    from bench.lists_bench import MANAGERS, ensure_managers, login_manager
    from bench.machine import database_info, load_average, machine_info, now_iso
    from bench.sizes import parse_size

    size = parse_size(args.size)
    url = args.database_url or dbs.database_url(args.db, size.name)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    call_command("migrate", interactive=False, verbosity=0)
    from bench.stages.people import PASSWORD

    managers = ensure_managers()
    user, secret = managers["province"]
    load_before = load_average()
    body: dict = {
        "benchmark": "exports",
        "date": now_iso(),
        "database": database_info(connection),
        "dataset": {"size": size.as_dict(), "url_name": url.rsplit("/", 1)[-1]},
        "manager": dict((k, c) for k, c, _m in MANAGERS)["province"],
    }
    if not args.skip_sync:
        params, rows = newest_filter(user, args.rows)
        print(f"direct: {rows:,} rows {params}", file=sys.stderr, flush=True)
        body["direct"] = bench_direct(user, params, repeat=args.repeat)
        log = dbs.BENCH_VAR / f"gunicorn-exports-{dbs.vendor_of(url)}-{size.name}.log"
        with harness.production_server(url, workers=args.workers, log=log) as (base, _proc, argv):
            port = int(base.rsplit(":", 1)[1])
            user.refresh_from_db()
            cookie = login_manager(port, user, PASSWORD, secret)
            body["sync"] = {"matching_rows": rows, "filters": params, **bench_sync(port, cookie, params, repeat=args.repeat)}
            body["server"] = {"argv": [Path(argv[0]).name, *argv[1:]], "workers": args.workers}
    if not args.skip_job:
        params, rows = newest_filter(user, args.job_rows)
        print(f"job: {rows:,} rows {params}", file=sys.stderr, flush=True)
        body["job"] = bench_job(user, params, url=url)
    body["machine"] = {**machine_info(), "load_average_before": load_before, "load_average_after": load_average()}
    print_report(body)
    harness.write_result("exports", connection.vendor, size.name, body, args.json)
    return body


def print_report(body: dict) -> None:
    print(f"\nexports — {body['database'].get('vendor', '')} {body['dataset']['url_name']}")
    if "direct" in body:
        d = body["direct"]
        print(f"  in-process {d['rows']:>9,} rows {d['bytes'] / 1e6:>6.1f} MB  "
              f"first chunk {d['first_chunk_ms_median']:>7.1f} ms  "
              f"total {d['total_s_median']:>6.2f} s  CPU {d['cpu_s_median']:.2f} s")  # fmt: skip
    for key in ("api", "page"):
        r = (body.get("sync") or {}).get(key)
        if r is None:
            continue
        if r.get("rows") is None:
            print(f"  sync {key:<5} cut at {r['total_s_median']:.1f} s in {r['runs']} of {r['runs']} runs "
                  f"(first byte {r['first_byte_ms_median']:.1f} ms)")  # fmt: skip
        else:
            print(
                f"  sync {key:<5} {r['rows']:>9,} rows {r['bytes'] / 1e6:>6.1f} MB  headers {r['headers_ms_median']:>7.1f} ms  "
                f"first byte {r['first_byte_ms_median']:>7.1f} ms  total {r['total_s_median']:>6.2f} s "
                f"(max {r['total_s_max']:.2f})"
            )
    if "job" in body:
        j = body["job"]
        print(f"  job        {j['rows']:>9,} rows {j['file_bytes'] / 1e6:>6.1f} MB  {j['job_seconds']:.1f} s "
              f"({j['rows_per_second']:,} rows/s)  worker peak RSS {j['worker_peak_rss_mb']} MB")  # fmt: skip


def add_parser(sub) -> None:
    p = sub.add_parser("exports", help="the synchronous .xlsx export and the background export job")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--size", default="medium")
    p.add_argument("--database-url", help="an already generated database (default: the benchmark database of --size)")
    p.add_argument("--rows", type=int, default=50_000, help="rows of the synchronous export (at most)")
    p.add_argument("--job-rows", type=int, default=200_000, help="rows of the background job (at most)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--skip-sync", action="store_true")
    p.add_argument("--skip-job", action="store_true")
    p.add_argument("--json")

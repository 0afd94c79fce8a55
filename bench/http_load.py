"""HTTP load from other processes: ``wrk`` when installed (Debian: ``apt-get install wrk``), else a
pure-Python client (worker processes × threads, each a keep-alive ``http.client`` connection).

Both measure the same thing: requests completed inside the measuring window (after a warm-up),
their latency (median, p90, p99) and throughput. A response outside 2xx/3xx, or a connection
error, counts as an error and not as a request.

    python -m bench.http_load http://127.0.0.1:8000/api/v1/ping --concurrency 16 --duration 10
"""

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from array import array
from collections import Counter
from urllib.parse import urlsplit

from bench.stats import summarize


def _thread_loop(host, port, path, headers, measure_from, stop_at, out):
    lat = array("d")
    errors = 0
    statuses: Counter = Counter()
    conn = None
    while True:
        w0 = time.time()
        if w0 >= stop_at:
            break
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=30)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            if resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = None
            status = 0
        elapsed = time.perf_counter() - t0
        statuses[status] += 1
        if w0 >= measure_from and w0 + elapsed <= stop_at:
            if 200 <= status < 400:
                lat.append(elapsed)
            else:
                errors += 1
    if conn is not None:
        conn.close()
    out.append((lat, errors, statuses))


def _worker(url, headers, threads, start_at, measure_from, stop_at, queue):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    out: list = []
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    workers = [
        threading.Thread(target=_thread_loop, args=(parts.hostname, parts.port or 80, path, headers, measure_from, stop_at, out))
        for _ in range(threads)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    lat = array("d")
    errors, statuses = 0, Counter()
    for part_lat, part_err, part_status in out:
        lat.extend(part_lat)
        errors += part_err
        statuses.update(part_status)
    queue.put((lat.tobytes(), errors, dict(statuses)))


def python_load(url: str, *, concurrency: int, duration: float, warmup: float = 1.0, headers: dict | None = None,
                processes: int | None = None) -> dict:  # fmt: skip
    """Pure-Python load: ``processes`` worker processes (default: one per CPU, at most
    ``concurrency``) sharing ``concurrency`` keep-alive connections."""
    processes = max(1, min(concurrency, processes or os.cpu_count() or 1))
    per = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 0.5 + 0.15 * processes  # let every process start first
    measure_from = start_at + warmup
    stop_at = measure_from + duration
    procs = [
        ctx.Process(target=_worker, args=(url, headers or {}, n, start_at, measure_from, stop_at, queue), daemon=True)
        for n in per
        if n
    ]
    for p in procs:
        p.start()
    lat = array("d")
    errors, statuses = 0, Counter()
    for _ in procs:
        raw, err, st = queue.get(timeout=duration + warmup + 120)
        part = array("d")
        part.frombytes(raw)
        lat.extend(part)
        errors += err
        statuses.update(st)
    for p in procs:
        p.join(timeout=10)
    result = summarize(lat, seconds=duration, errors=errors)
    result.update(
        client="python", concurrency=concurrency, processes=len(procs), statuses={str(k): v for k, v in statuses.items()}
    )
    return result


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCHJSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"status\\": %d, \\"connect\\": %d,"
    .. " \\"read\\": %d, \\"write\\": %d, \\"timeout\\": %d, \\"median_us\\": %.1f, \\"p90_us\\": %.1f,"
    .. " \\"p99_us\\": %.1f, \\"mean_us\\": %.1f, \\"max_us\\": %.1f}\\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _wrk(url, *, concurrency, seconds, headers, script) -> dict:
    threads = max(1, min(concurrency, os.cpu_count() or 1))
    cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", script]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 120).stdout
    m = re.search(r"^BENCHJSON (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    return json.loads(m.group(1))


def wrk_load(url: str, *, concurrency: int, duration: float, warmup: float = 1.0, headers: dict | None = None) -> dict:
    """wrk for ``warmup`` seconds (discarded), then for ``duration`` seconds (wrk counts whole seconds)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT)
        script = fh.name
    try:
        if warmup > 0:
            _wrk(url, concurrency=concurrency, seconds=warmup, headers=headers, script=script)
        raw = _wrk(url, concurrency=concurrency, seconds=duration, headers=headers, script=script)
    finally:
        os.unlink(script)
    seconds = raw["duration_us"] / 1e6
    errors = raw["status"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    ok = raw["requests"] - raw["status"]
    return {
        "requests": ok,
        "errors": errors,
        "seconds": round(seconds, 3),
        "rps": round(ok / seconds, 1),
        "median_ms": round(raw["median_us"] / 1000, 3),
        "p90_ms": round(raw["p90_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "max_ms": round(raw["max_us"] / 1000, 3),
        "client": "wrk",
        "concurrency": concurrency,
    }


def load(url: str, *, client: str = "auto", **kw) -> dict:
    if client == "auto":
        client = "wrk" if wrk_available() else "python"
    if client == "wrk":
        return wrk_load(url, **kw)
    if client == "python":
        return python_load(url, **kw)
    raise ValueError(f"unknown client {client!r}: auto, wrk or python")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.http_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--client", default="auto", choices=["auto", "wrk", "python"])
    parser.add_argument("--header", action="append", default=[], help="'Name: value' (repeatable)")
    args = parser.parse_args(argv)
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    result = load(args.url, client=args.client, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup,
                  headers=headers)  # fmt: skip
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()

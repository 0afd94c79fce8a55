"""Issue #11 item 2: under ``python3 run.py`` one crash does not take the site down. Real
processes: the supervisor runs in a subprocess with two children; one is killed with SIGKILL,
the other keeps serving and the dead one comes back; a child that keeps crashing is started
again with a growing back-off and, in the end, given up."""

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Each start appends "pid time" to a file, so the test sees every (re)start.
LOG_START = "import os, sys, time; open(sys.argv[1], 'a').write(f'{os.getpid()} {time.time()}\\n'); "
WEB = LOG_START + (
    "import http.server; http.server.test(http.server.SimpleHTTPRequestHandler, port=int(sys.argv[2]), bind='127.0.0.1')"
)
WORKER = LOG_START + "time.sleep(600)"
CRASH = LOG_START + "sys.exit(3)"


def supervisor(children: dict, **options) -> subprocess.Popen:
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); import run; "
        f"sys.exit(run.supervise(json.loads(sys.argv[1]), **json.loads(sys.argv[2])))"
    )
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(children), json.dumps(options)], cwd=ROOT)


def starts(path: Path) -> list[tuple[int, float]]:
    if not path.exists():
        return []
    return [(int(p), float(t)) for p, t in (line.split() for line in path.read_text().splitlines() if line)]


def wait_for(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serves(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_child_comes_back_and_the_other_keeps_serving(tmp_path):
    port = free_port()
    web_log, worker_log = tmp_path / "web", tmp_path / "worker"
    sup = supervisor(
        {"web": [sys.executable, "-c", WEB, str(web_log), str(port)], "worker": [sys.executable, "-c", WORKER, str(worker_log)]},
        grace=2, stable=5, backoff=0.5,
    )  # fmt: skip
    try:
        wait_for(lambda: serves(port) and starts(worker_log))
        (web_pid, _t), (worker_pid, _t2) = starts(web_log)[0], starts(worker_log)[0]
        os.kill(worker_pid, signal.SIGKILL)
        for _ in range(10):  # the web server answers throughout
            assert serves(port)
            time.sleep(0.05)
        wait_for(lambda: len(starts(worker_log)) == 2)
        assert starts(web_log) == [(web_pid, _t)] and alive(web_pid)
        # and the other way round
        os.kill(web_pid, signal.SIGKILL)
        wait_for(lambda: len(starts(web_log)) == 2 and serves(port))
        assert len(starts(worker_log)) == 2 and alive(starts(worker_log)[1][0])
    finally:
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(timeout=20) == 0
    assert not any(alive(pid) for pid, _t in starts(web_log) + starts(worker_log))  # Ctrl+C stops them all


def test_a_crash_loop_backs_off_and_is_given_up(tmp_path):
    crash_log, worker_log = tmp_path / "crash", tmp_path / "worker"
    sup = supervisor(
        {"crash": [sys.executable, "-c", CRASH, str(crash_log)], "worker": [sys.executable, "-c", WORKER, str(worker_log)]},
        grace=2, stable=30, backoff=0.4, give_up_after=4,
    )  # fmt: skip
    assert sup.wait(timeout=60) == 3  # the crashing child's exit code
    times = [t for _p, t in starts(crash_log)]
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 0.4 and gaps[1] >= 0.8 and gaps[2] >= 1.6  # doubling
    assert not alive(starts(worker_log)[0][0])  # the rest was stopped

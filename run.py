#!/usr/bin/env python3
"""Zhiyuan's two commands, for a fresh machine with only Python 3.11+ (standard library only).

    python3 run.py          install (virtualenv + pinned packages), migrate, load the demo data,
                            and serve http://127.0.0.1:8000 with gunicorn, plus the background
                            task worker (manage.py db_worker: bulk imports); either one that dies
                            is started again (with a back-off), Ctrl+C stops both
    python3 run.py test     run the whole test suite (pytest; browser tests too when Chromium
                            is installed) — extra arguments go to pytest

Environment: DATABASE_URL (default SQLite under var/), ZHIYUAN_PORT (8000), ZHIYUAN_WORKERS (2),
ZHIYUAN_THREADS (threads per worker, 4; 1 = sync workers), ZHIYUAN_TASK_WORKER (1; 0 when the worker runs
elsewhere, e.g. its own systemd unit).
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
REQ = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"


def sh(*args, **kw):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kw)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Zhiyuan needs Python 3.11 or newer.")
    if not PY.exists():
        print("Creating virtual environment in .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(REQ.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", REQ)
        STAMP.write_text(digest)


def manage(*args) -> None:
    sh(PY, "manage.py", *args)


def up() -> None:
    ensure_venv()
    manage("migrate", "--noinput", "-v", "0")
    manage("createcachetable")
    manage("collectstatic", "--noinput", "-v", "0")
    os.environ.setdefault("ZHIYUAN_DEMO", "1")  # this command is the demo set-up (README)
    os.environ.setdefault("ZHIYUAN_HOME_REGION", "441300000000")  # the demo city, 惠州市: where public pickers open
    os.environ.setdefault("ZHIYUAN_MAP_CENTER", "23.11,114.42,11")  # maps open over 惠州 (no tiles: offline)
    manage("demo_seed")  # seconds when this version is already loaded
    # Jobs whose worker died with the last run stay "running" until a sweep fails them: one now,
    # before the new worker starts (it also runs after every job; schedule it hourly as well).
    manage("volunteers_import_sweep")
    port = os.environ.get("ZHIYUAN_PORT", "8000")
    web = web_command(str(BIN / "gunicorn"), port)
    children = {"web": web}
    if os.environ.get("ZHIYUAN_TASK_WORKER", "1") != "0":
        children["worker"] = [str(PY), "manage.py", "db_worker", "--no-reload", "--interval", "1"]
    print(f"\nZhiyuan is running at http://127.0.0.1:{port}/  (API docs: http://127.0.0.1:{port}/api/v1/docs)")
    print("Press Ctrl+C to stop.\n", flush=True)
    sys.exit(supervise(children))


def web_command(gunicorn: str, port: str, *, workers: str | None = None, threads: str | None = None) -> list[str]:
    """The gunicorn command line (also what bench/run.py measures): ZHIYUAN_WORKERS processes of
    ZHIYUAN_THREADS threads each (``gthread``; 1 = the plain sync worker). Threads let a worker
    serve other requests while one waits for its commit to reach the disk, so concurrent commits
    share one flush (docs/decisions/0003-gthread-workers.md)."""
    workers = workers or os.environ.get("ZHIYUAN_WORKERS", "2")
    threads = threads or os.environ.get("ZHIYUAN_THREADS", "4")
    cmd = [gunicorn, "zhiyuan.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", workers]
    if int(threads) > 1:
        cmd += ["--worker-class", "gthread", "--threads", threads]
    return [*cmd, "--access-logfile", "-", "--graceful-timeout", "10"]


class Child:
    """One supervised command: its process, when it started, how often it crashed in a row."""

    def __init__(self, name: str, cmd: list[str]):
        self.name, self.cmd = name, cmd
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.quick_failures = 0
        self.restart_at = 0.0

    def start(self) -> None:
        # Own session: a Ctrl+C reaches the child once, from here, not twice.
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, start_new_session=True)
        self.started = time.monotonic()


def supervise(
    commands: dict[str, list[str]],
    *,
    grace: float = 10.0,
    stable: float = 60.0,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    give_up_after: int = 10,
) -> int:
    """Run the commands side by side until we are told to stop (Ctrl+C, SIGTERM). A child that
    ends is started again while the others keep running (the web server keeps serving while the
    task worker restarts, and the other way round), after a back-off against crash loops: 1 s,
    doubling up to ``max_backoff`` while it keeps dying within ``stable`` seconds of its start,
    reset once it has run that long. After ``give_up_after`` quick failures in a row everything
    stops and its exit code is returned (e.g. the port is taken: restarting will not help).

    Stopping: politely (SIGTERM), again after ``grace`` seconds (the task worker's "stop now"),
    then for good. Returns 0 when told to stop."""
    children = [Child(name, cmd) for name, cmd in commands.items()]
    for child in children:
        child.start()
    stop = []

    def on_signal(signum, _frame):
        stop.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    code = 0
    try:
        while not stop:
            now = time.monotonic()
            for child in children:
                if child.proc is None:
                    if now >= child.restart_at:
                        print(f"{child.name}: starting again", flush=True)
                        child.start()
                    continue
                returncode = child.proc.poll()
                if returncode is None:
                    continue
                child.quick_failures = child.quick_failures + 1 if now - child.started < stable else 1
                if child.quick_failures >= give_up_after:
                    print(f"{child.name} keeps stopping (exit code {returncode}); stopping the rest", flush=True)
                    code = returncode or 1
                    stop.append("give up")
                    break
                delay = min(max_backoff, backoff * 2 ** (child.quick_failures - 1))
                print(f"{child.name} stopped (exit code {returncode}); starting it again in {delay:g} s", flush=True)
                child.proc, child.restart_at = None, now + delay
            time.sleep(0.2)
    finally:
        procs = [c.proc for c in children if c.proc is not None]
        for attempt in ("term", "term", "kill"):
            alive = [p for p in procs if p.poll() is None]
            if not alive:
                break
            for p in alive:
                if attempt == "kill":
                    p.kill()
                else:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and any(p.poll() is None for p in alive):
                time.sleep(0.2)
    return code


def test(args: list[str]) -> None:
    ensure_venv()
    cmd = [str(PY), "-m", "pytest", *args] if args else [str(PY), "-m", "pytest", "-q"]
    print("+", " ".join(cmd), flush=True)
    sys.exit(subprocess.call(cmd, cwd=ROOT))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    if command == "up":
        up()
    elif command == "test":
        test(sys.argv[2:])
    elif command == "install":
        ensure_venv()
    else:
        sys.exit(__doc__)

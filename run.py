#!/usr/bin/env python3
"""Zhiyuan's two commands, for a fresh machine with only Python 3.11+ (standard library only).

    python3 run.py          install (virtualenv + pinned packages), migrate, load the demo data,
                            and serve http://127.0.0.1:8000 with gunicorn
    python3 run.py test     run the whole test suite (pytest; browser tests too when Chromium
                            is installed) — extra arguments go to pytest

Environment: DATABASE_URL (default SQLite under var/), ZHIYUAN_PORT (8000), ZHIYUAN_WORKERS (2).
"""

import hashlib
import os
import subprocess
import sys
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
    manage("demo_seed")
    port = os.environ.get("ZHIYUAN_PORT", "8000")
    workers = os.environ.get("ZHIYUAN_WORKERS", "2")
    print(f"\nZhiyuan is running at http://127.0.0.1:{port}/  (API docs: http://127.0.0.1:{port}/api/v1/docs)")
    print("Press Ctrl+C to stop.\n", flush=True)
    os.chdir(ROOT)
    os.execv(
        str(BIN / "gunicorn"),
        [
            "gunicorn",
            "zhiyuan.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ],
    )


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

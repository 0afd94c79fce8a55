"""Issue #11 item 3: ``rotate_keys`` beside concurrent writers gives them no errors (no 5xx) and
finishes every row. Runs ``bench.rotate_load`` at a small size in its own process and database
(the in-memory SQLite test database cannot hold concurrent writers), on the vendor the suite runs on."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_rotation_beside_concurrent_writers_gives_them_no_errors():
    db = "postgres" if connection.vendor == "postgresql" else "sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZHIYUAN_KEY_FILE", "ZHIYUAN_VAR_DIR")}
    if db == "postgres":
        settings_db = connection.settings_dict
        env["ZHIYUAN_BENCH_PG"] = f"postgres://{settings_db['USER']}@{settings_db['HOST']}:{settings_db['PORT']}"
    args = ["--db", db, "--rows", "3000", "--writers", "6", "--batch-size", "100", "--warmup", "1",
            "--pg-name", f"zy_rotate_test_{os.getpid()}"]  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "bench.rotate_load", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout[out.stdout.index("{") :])
    assert result["errors"] == 0, result["error_samples"]
    assert result["rows_left_under_old_key"] == 0
    assert result["during"]["writes"] > 0 and result["during"]["max_stall_ms"] < 20_000  # under SQLite's busy timeout

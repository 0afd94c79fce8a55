"""python -m bench.run enroll at smoke size, so the enrollment benchmark never rots: its own
generated SQLite database, the production server, ping and sign-up load through wrk, a burst of
20 at once on a 10-place position (10 accepted), every check passing."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the enrollment benchmark needs wrk")
def test_enroll_harness_end_to_end_on_smoke_size(tmp_path):
    out = tmp_path / "enroll.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["ZHIYUAN_VAR_DIR"] = str(tmp_path / "var")
    env["ZHIYUAN_BENCH_RESULTS"] = str(tmp_path / "results")
    cmd = [sys.executable, "-m", "bench.run", "enroll", "--db", "sqlite", "--size", "smoke", "--duration", "1",
           "--warmup", "0", "--concurrency", "2", "--activities", "3", "--burst", "20", "--expect-rps", "50",
           "--json", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    result = json.loads(out.read_text())
    assert result["benchmark"] == "enroll" and result["checks"]["pass"]
    assert result["results"]["signups"]["requests"] > 0 and result["results"]["signups"]["errors"] == 0
    assert result["checks"]["burst_accepted"] == 10 and result["checks"]["burst_waitlisted"] == 10
    assert result["results"]["burst"]["statuses"] == {"201": 20}
    assert result["ratios"]["signups/ping"]["throughput"] > 0

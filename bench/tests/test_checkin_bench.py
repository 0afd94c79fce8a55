"""python -m bench.run checkin at smoke size, end to end: the production server, ping and
check-in loads, a worker killed half-way, and the check that nothing was lost or duplicated."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_checkin_benchmark_end_to_end_on_smoke_size(tmp_path):
    out = tmp_path / "checkin.json"
    # no warm-up: at smoke size each run has only a few hundred distinct (volunteer, shift) check-ins,
    # which a quiet machine finishes inside any warm-up, leaving nothing to measure
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["ZHIYUAN_VAR_DIR"] = str(tmp_path / "var")
    env["ZHIYUAN_BENCH_RESULTS"] = str(tmp_path / "results")
    cmd = [sys.executable, "-m", "bench.run", "checkin", "--db", "sqlite", "--size", "smoke", "--duration", "1",
           "--warmup", "0", "--concurrency", "2", "--json", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["benchmark"] == "checkin" and result["database"]["vendor"] == "sqlite"
    for key in ("ping", "checkin", "checkin_kill"):
        assert result["results"][key]["requests"] > 0, result["results"][key]
    assert result["results"]["checkin"]["refused"] == 0, result["results"]["checkin"]["refused_sample"]
    assert result["results"]["checkin_kill"]["event"]["killed"]
    for check in result["checks"].values():
        assert check["ok"] and check["lost"] == 0 and check["duplicated_attendance"] == 0, check
        assert check["acknowledged"] == check["attendance_rows"] > 0
    assert result["ratios"]["checkin/ping"]["throughput"] > 0

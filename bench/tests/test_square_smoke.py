"""python -m bench.run square, small: the activities are written, every scenario answers 200 with
items (the deep page follows the cursor), the load runs (issue 10 item 2)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_square_benchmark_end_to_end_small(tmp_path):
    out = tmp_path / "square.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["ZHIYUAN_VAR_DIR"] = str(tmp_path / "var")
    env["ZHIYUAN_BENCH_RESULTS"] = str(tmp_path / "results")
    cmd = [sys.executable, "-m", "bench.run", "square", "--db", "sqlite", "--activities", "3000", "--repeat", "1",
           "--duration", "0.5", "--warmup", "0.2", "--concurrency", "2", "--client", "python", "--json", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["dataset"]["activities"] == 3000
    seq = result["sequential"]["results"]
    assert "api: page 26 (cursor)" in seq and all(r["statuses"] == [200] for r in seq.values())
    assert all(r["items"] for r in seq.values() if r["items"] is not None)
    assert set(result["load"]["results"]) == {"ping", "api: default (soonest first)", "api: near me 20 km, nearest first"}

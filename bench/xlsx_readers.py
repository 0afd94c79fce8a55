"""Reading an import upload: openpyxl (read-only, as ``imports.read.Sheet`` streams it) against
python-calamine (issue #8) — rows per second and peak RSS, and the hostile files.

    python -m bench.xlsx_readers [--rows 100000] [--seed 1]

Writes the 100,000-row template file twice (inline strings as openpyxl writes them, a
shared-strings table as Excel and WPS do; ``bench.import_bench.write_xlsx``), then reads every
row of each, once per reader, each in a fresh child process (peak RSS from its rusage). Then each
reader meets the hostile files of ``zhiyuan.volunteers.tests.hostile_xlsx`` in a child limited to
20 s and 2 GB of address space (templates: 600 s). Peak RSS is the child's VmHWM. Nothing touches a database.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_S = 20
LIMIT_AS = 2 << 30


def _setup_openpyxl() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyuan.settings")
    import django

    django.setup()


def _read_openpyxl(path: str) -> int:
    from zhiyuan.volunteers import imports

    n = 0
    with open(path, "rb") as fh, imports.sheet_rows(fh, limit=10**7) as rows:
        for _row in rows:
            n += 1
    return n


def _setup_calamine() -> None:
    import python_calamine  # noqa: F401


def _read_calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    sheet = wb.get_sheet_by_index(0)
    n = 0
    for _row in sheet.iter_rows():
        n += 1
    return max(n - 1, 0)


READERS = {"openpyxl": (_setup_openpyxl, _read_openpyxl), "calamine": (_setup_calamine, _read_calamine)}


def _peak_rss_mb() -> int:
    """VmHWM of this process: rusage's ru_maxrss would include the parent's memory at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return -1


def _child(reader: str, path: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))
    setup, read = READERS[reader]
    setup()
    t0 = time.perf_counter()
    try:
        rows = read(path)
        out = {"rows": rows, "seconds": round(time.perf_counter() - t0, 3)}
    except Exception as exc:  # the refusal is the result for a hostile file
        out = {"error": type(exc).__name__, "message": str(exc)[:80], "seconds": round(time.perf_counter() - t0, 3)}
    out["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(out, ensure_ascii=False), flush=True)


def run_child(reader: str, path: str, limit_s: float) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.xlsx_readers", "--child", reader, path],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    t0 = time.perf_counter()
    while True:
        pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - t0 > limit_s:
            proc.kill()
            os.wait4(proc.pid, 0)
            return {"error": "timeout", "seconds": limit_s}
        time.sleep(0.05)
    line = proc.stdout.read().decode().strip().splitlines()
    return json.loads(line[-1]) if line else {"error": f"exit {os.waitstatus_to_exitcode(status)}"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.xlsx_readers")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"))
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyuan.settings")
    import django

    django.setup()
    from bench.import_bench import make_rows, write_xlsx
    from zhiyuan.volunteers.tests import hostile_xlsx

    rows = make_rows(args.rows, seed=args.seed, towns=["441302001000", "441303001000"])
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for kind, shared in (("inline", False), ("shared", True)):
            files[f"template-{kind}"] = Path(tmp, f"{kind}.xlsx")
            files[f"template-{kind}"].write_bytes(write_xlsx(rows, shared_strings=shared))
        for name, body in hostile_xlsx.ALL.items():
            files[f"hostile-{name}"] = Path(tmp, f"{name}.xlsx")
            files[f"hostile-{name}"].write_bytes(body())
        for label, path in files.items():
            for reader in READERS:
                result = run_child(reader, str(path), LIMIT_S if label.startswith("hostile") else 600)
                if "rows" in result and label.startswith("template"):
                    result["rows_per_second"] = round(result["rows"] / max(result["seconds"], 1e-9))
                print(json.dumps({"file": label, "bytes": path.stat().st_size, "reader": reader, **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()

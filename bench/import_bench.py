"""Benchmark 3: the volunteers bulk import (VOL-10) — rows per second and peak memory.

    python -m bench.run import --db sqlite|postgres [--rows 100000] [--path both|job|memory]
                               [--strings inline|shared] [--name import] [--seed 1] [--json PATH]

The database ``zy_bench_<name>`` (var/bench/zy_bench_<name>.sqlite3 or PostgreSQL) is created
afresh for each path, migrated and given the regions of 广东省 and one platform admin. An .xlsx
file in the import template's layout is generated once with ``--rows`` adults: checksum-valid
GB 11643 resident IDs (``idcards.generate_resident_id``; 惠州 county address codes, unique birth
date + sequence), unique mobiles, residence towns of 惠州市 — with inline strings as openpyxl
writes them, or ``--strings shared`` as Excel and WPS do. Then, all-or-nothing:

* ``job`` — the production path. ``import_jobs.import_job_submit`` (what the upload request
  does: hash, header check and row scan, encrypted store; timed as ``submit``) queues the job;
  a real ``manage.py db_worker --batch`` process runs it (check pass, then import pass, 1,000-row
  chunks); rows/s = rows ÷ the job's run time; peak RSS of the worker process.
* ``memory`` — the same engine on a file read whole into memory, in a child process:
  ``imports.import_parse`` then ``imports.import_volunteers(dry_run=False)``; rows/s = rows ÷
  (parse + check + import); peak RSS of that process (it holds every row).

Writing the file is reported but not counted. The run fails unless every row was created. The
result JSON goes to bench/results/import-<vendor>-<rows>-<time>.json.
"""

import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from bench import dbs

ADMIN_MOBILE = "13600000000"

COUNTIES = ("441302", "441303", "441322", "441323", "441324")  # 惠城 惠阳 博罗 惠东 龙门


def make_rows(n: int, *, seed: int = 1, towns: list[str]) -> list[list]:
    """``n`` template rows of distinct adults (born 1950–1999); deterministic for a seed."""
    from zhiyuan.volunteers.idcards import generate_resident_id

    rng = random.Random(seed)
    rows = []
    base = dt.date(1950, 1, 1)
    surnames = "陈李张黄王林刘吴何罗梁郑谢钟"
    given = "志伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    for i in range(n):
        # birth day and sequence together make each number unique: 1000 sequences per day, and
        # k -> 97k mod 18000 is one-to-one, so up to 1.8e7 rows get distinct days in 1950-1999
        birth = base + dt.timedelta(days=(i // 1000) * 97 % 18000)
        number = generate_resident_id(rng.choice(COUNTIES), birth, i % 1000)
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))
        rows.append([name, "111", number, "", "", rng.choice(towns), f"158{i:08d}", ""])
    return rows


def write_xlsx(rows: list[list], *, shared_strings: bool = False) -> bytes:
    """The rows under the template's header. openpyxl writes every text as an inline string;
    ``shared_strings=True`` writes what Excel and WPS write instead — a shared-strings table
    and a ``<dimension>`` — with a small writer of its own (openpyxl cannot)."""
    from zhiyuan.volunteers import imports

    header = [f"{h}*" if req else str(h) for _k, h, req in imports.COLUMNS[:8]]
    if shared_strings:
        return _write_shared_strings_xlsx(imports.SHEET_TITLE, [header, *rows])
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(imports.SHEET_TITLE)
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _write_shared_strings_xlsx(title: str, rows: list[list]) -> bytes:
    import zipfile
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}
    width = max(len(r) for r in rows)
    letters = [chr(ord("A") + i) for i in range(width)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{escape(title)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(f'<worksheet xmlns="{_NS}"><dimension ref="A1:{letters[-1]}{len(rows)}"/><sheetData>'.encode())
            for n, r in enumerate(rows, start=1):
                cells = []
                for letter, value in zip(letters, r, strict=False):
                    if value in (None, ""):
                        continue
                    index = strings.setdefault(str(value), len(strings))
                    cells.append(f'<c r="{letter}{n}" t="s"><v>{index}</v></c>')
                out.write(f'<row r="{n}">{"".join(cells)}</row>'.encode())
            out.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w") as out:
            out.write(f'<sst xmlns="{_NS}" uniqueCount="{len(strings)}">'.encode())
            for text in strings:
                out.write(f"<si><t>{escape(text)}</t></si>".encode())
            out.write(b"</sst>")
    return buf.getvalue()


def huizhou_towns() -> list[str]:
    from zhiyuan.regions.models import Level, Region

    towns = list(
        Region.objects.filter(code__startswith="4413", level=Level.TOWN, code__regex=r"^(441302|441303|441322|441323|441324)")
        .values_list("code", flat=True)
        .order_by("code")
    )
    if not towns:
        raise RuntimeError("no towns of 惠州市 in the database: load the regions first")
    return towns


def measure(*, actor, rows: int, seed: int = 1, body: bytes | None = None) -> dict:
    """Generate (unless ``body`` is given), parse and import ``rows`` rows into the configured
    database as ``actor``, in this process — the ``memory`` path."""
    from zhiyuan.volunteers import imports
    from zhiyuan.volunteers.models import Volunteer

    write_s = 0.0
    if body is None:
        t0 = time.perf_counter()
        body = write_xlsx(make_rows(rows, seed=seed, towns=huizhou_towns()))
        write_s = time.perf_counter() - t0
    before = Volunteer.objects.count()

    t0 = time.perf_counter()
    parsed = imports.import_parse(io.BytesIO(body), max_rows=rows)
    parse_s = time.perf_counter() - t0
    if parsed.file_errors:
        raise RuntimeError(f"the generated file was refused: {parsed.file_errors}")
    t0 = time.perf_counter()
    report = imports.import_volunteers(actor=actor, parsed=parsed, dry_run=False)
    import_s = time.perf_counter() - t0
    created = Volunteer.objects.count() - before
    if report.errors or report.file_errors or created != rows:
        raise RuntimeError(f"import incomplete: created {created} of {rows}; first errors {report.as_dict()['errors'][:5]}")
    total = parse_s + import_s
    return {
        "rows": rows,
        "file_bytes": len(body),
        "write_xlsx_seconds": round(write_s, 3),
        "parse_seconds": round(parse_s, 3),
        "import_seconds": round(import_s, 3),
        "total_seconds": round(total, 3),
        "rows_per_second": round(rows / max(total, 1e-9)),
        "import_rows_per_second": round(rows / max(import_s, 1e-9)),
        "parse_rows_per_second": round(rows / max(parse_s, 1e-9)),
        "created": created,
    }


def _wait(pid: int, *, every: float = 5.0, tick=None) -> tuple[int, int]:
    """Wait for a child; (exit status, peak RSS in KiB) from its own rusage."""
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), usage.ru_maxrss
        if tick is not None:
            tick()
        time.sleep(every)


def measure_job(*, actor, body: bytes, rows: int, url: str) -> dict:
    """The production path: submit as the upload request does, then one real db_worker."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bench.run import PY, ROOT, child_env
    from zhiyuan.volunteers import imports
    from zhiyuan.volunteers.models import ImportJob, Volunteer
    from zhiyuan.volunteers.services.import_jobs import import_job_submit

    t0 = time.perf_counter()
    job, _created = import_job_submit(
        actor=actor, upload=SimpleUploadedFile("bench.xlsx", body), mode=imports.ALL_OR_NOTHING, client_id=f"bench-{time.time()}"
    )
    submit_s = time.perf_counter() - t0
    if job.status != ImportJob.Status.QUEUED:
        raise RuntimeError(f"the job did not go to the worker: {job.status} (ZHIYUAN_IMPORT_INLINE_ROWS?)")
    cmd = [PY, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--max-tasks", "1", "-v", "0"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(url))
    seen: dict[str, float] = {}  # first time a status / phase was seen

    def tick():
        current = ImportJob.objects.get(pk=job.pk)
        seen.setdefault(current.status, time.perf_counter())
        seen.setdefault(current.phase, time.perf_counter())
        print(f"  {current.status} {current.phase} {current.progress}% (checked {current.rows_done:,}, "
              f"imported {current.rows_created:,})", file=sys.stderr, flush=True)  # fmt: skip

    code, peak_kib = _wait(proc.pid, every=2.0, tick=tick)
    worker_s = time.perf_counter() - t0
    job.refresh_from_db()
    created = Volunteer.objects.count()
    if code != 0 or job.status != ImportJob.Status.DONE or job.rows_created != rows or created != rows:
        raise RuntimeError(f"job {job.pk}: {job.status} {job.message} {job.file_errors}; created {job.rows_created} of {rows}")
    run_s = (job.finished_at - job.started_at).total_seconds()
    return {
        "rows": rows,
        "file_bytes": len(body),
        "submit_seconds": round(submit_s, 3),
        "worker_seconds": round(worker_s, 3),
        "job_seconds": round(run_s, 3),
        # from polling every 2 s: when the job was first seen running, then importing
        "check_seconds_approx": round(seen.get("importing", t0 + worker_s) - seen.get("running", t0), 1),
        "rows_per_second": round(rows / max(run_s, 1e-9)),
        "worker_peak_rss_mb": round(peak_kib / 1024, 1),
        "created": created,
    }


def _memory_child(argv: list[str]) -> None:
    """``python -m bench.import_bench memory FILE ROWS``: the memory path in its own process,
    so its peak RSS is its own; prints the figures as JSON."""
    path, rows = argv[0], int(argv[1])
    from bench.generate import setup_django

    setup_django(None)
    from zhiyuan.accounts.models import User

    body = Path(path).read_bytes()
    print(json.dumps(measure(actor=User.objects.get(mobile=ADMIN_MOBILE), rows=rows, body=body)))


def _fresh_database(url: str):
    """Drop and recreate, migrate, regions of 广东省, one platform admin."""
    from django.db import connections

    connections.close_all()
    dbs.recreate(url)
    from bench.generate import migrate
    from zhiyuan.accounts.models import RoleAssignment, User
    from zhiyuan.accounts.roles import Role
    from zhiyuan.regions.services import region_import_shipped

    migrate()
    region_import_shipped(province_prefix="44")
    admin = User.objects.create_user(ADMIN_MOBILE, None, display_name="bench admin")
    RoleAssignment.objects.create(user=admin, role=Role.PLATFORM_ADMIN)
    return admin


def bench_import(args) -> dict:
    from bench.generate import setup_django
    from bench.machine import database_info, load_average, machine_info, now_iso
    from bench.run import PY, ROOT, child_env, write_result

    url = dbs.database_url(args.db, args.name)
    dbs.recreate(url)
    setup_django(url)
    from django.db import connection

    paths = ["job", "memory"] if args.path == "both" else [args.path]
    shared = args.strings == "shared"
    print(f"import benchmark: {args.rows:,} rows ({args.strings} strings) into {connection.vendor} "
          f"{connection.settings_dict['NAME']}; paths: {', '.join(paths)}", file=sys.stderr)  # fmt: skip
    load_before = load_average()
    figures: dict = {}
    file_path = dbs.BENCH_VAR / f"import-{args.rows}-{args.strings}-{args.seed}.xlsx"
    for path in paths:
        admin = _fresh_database(url)
        if not file_path.exists():
            t0 = time.perf_counter()
            body = write_xlsx(make_rows(args.rows, seed=args.seed, towns=huizhou_towns()), shared_strings=shared)
            dbs.BENCH_VAR.mkdir(parents=True, exist_ok=True)
            file_path.write_bytes(body)
            figures["write_xlsx_seconds"] = round(time.perf_counter() - t0, 3)
        body = file_path.read_bytes()
        print(f"\n[{path}] {len(body) / 1e6:.1f} MB xlsx", file=sys.stderr, flush=True)
        if path == "job":
            figures["job"] = result = measure_job(actor=admin, body=body, rows=args.rows, url=url)
            print(f"[job] submit {result['submit_seconds']:.1f} s; worker: check ≈ {result['check_seconds_approx']:.0f} s, "
                  f"job {result['job_seconds']:.1f} s -> {result['rows_per_second']:,} rows/s; "
                  f"worker peak RSS {result['worker_peak_rss_mb']:.0f} MB", file=sys.stderr)  # fmt: skip
        else:
            cmd = [PY, "-m", "bench.import_bench", "memory", str(file_path), str(args.rows)]
            out_r, out_w = os.pipe()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(url), stdout=out_w)
            os.close(out_w)
            code, peak_kib = _wait(proc.pid, every=1.0)
            with os.fdopen(out_r) as out:
                lines = out.read().strip().splitlines()
            if code != 0 or not lines:
                raise RuntimeError(f"the memory path failed (exit {code})")
            figures["memory"] = result = {**json.loads(lines[-1]), "peak_rss_mb": round(peak_kib / 1024, 1)}
            print(f"[memory] parse {result['parse_seconds']:.1f} s, check+import {result['import_seconds']:.1f} s -> "
                  f"{result['rows_per_second']:,} rows/s; peak RSS {result['peak_rss_mb']:.0f} MB", file=sys.stderr)  # fmt: skip
    body = {
        "benchmark": "import",
        "date": now_iso(),
        "machine": {**machine_info(), "load_average_before": load_before, "load_average_after": load_average()},
        "database": database_info(connection),
        "seed": args.seed,
        "strings": args.strings,
        "results": figures,
    }
    write_result("import", connection.vendor, str(args.rows), body, args.json)
    return body


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:2] == ["memory"]:
        _memory_child(sys.argv[2:])
    else:
        from bench.run import main

        main(["import", *sys.argv[1:]])

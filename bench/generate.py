"""Fill a database with a seeded, realistic dataset.

    python -m bench.generate --size smoke|small|medium|large|N [--seed 1] [--province 44|all]
                             [--db sqlite|postgres | --database-url URL] [--fresh] [--json PATH]

``--db`` picks the benchmark database for the size (var/bench/zy_bench_<size>.sqlite3 or
PostgreSQL ``zy_bench_<size>``); ``--database-url`` any database; neither: ``DATABASE_URL`` as
the project reads it. ``--fresh`` drops and recreates the database first. The database is
migrated, then the stages run in order (bench/stages/), each printing progress; at the end a
table of rows, seconds and rows per second, and a JSON result in bench/results/.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.sizes import Size, parse_size

RESULTS = Path(os.environ.get("ZHIYUAN_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
SQLITE_CACHE_KIB = 2_000_000  # 2 GB of page cache while generating (the machines have 24 GB)


def generate(*, size: Size, seed: int = 1, province: str | None = "44", quiet: bool = False, workers: int = 1) -> dict:
    """Run every stage against the configured default database. Returns the report (also the
    body of the JSON result). Call inside a configured Django (tests, the CLI below).
    ``workers``: producer processes a stage may fork on PostgreSQL (the attendance and ledger
    stages, by volunteer partition); the data do not depend on it."""
    from django.db import connection

    from bench.stages import Context, Progress, Skip, load_stages
    from bench.stages.pending import Missing

    if connection.vendor == "sqlite":
        # Random-key index inserts (blind index, mobile) thrash the 20 MB page cache the project
        # configures; a bulk load wants the indexes in memory.
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    progress = Progress(quiet=quiet)
    ctx = Context(size=size, seed=seed, province=province, progress=progress, workers=workers)
    stages, tables = [], {}
    started = time.perf_counter()
    for stage in load_stages():
        t0 = time.perf_counter()
        entry = {"stage": stage.name, "models": list(stage.models)}
        try:
            counts = stage.run(ctx)
        except Skip as exc:
            entry.update(status="skipped", message=str(exc))
            progress.say(f"  [{stage.name}] skipped: {exc}")
        except Missing as exc:
            entry.update(status="missing", message=str(exc))
            progress.say(f"  [{stage.name}] MISSING: {exc}")
        else:
            seconds = time.perf_counter() - t0
            rows = sum(counts.values())
            entry.update(status="done", rows=counts, seconds=round(seconds, 3), rows_per_second=round(rows / max(seconds, 1e-9)))
            for label, count in counts.items():  # two stages may fill one table (role assignments)
                tables[label] = tables.get(label, 0) + count
            progress.say(f"  [{stage.name}] {rows:,} rows in {seconds:,.1f} s ({rows / max(seconds, 1e-9):,.0f} rows/s)")
        stages.append(entry)
    generated = time.perf_counter() - started
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    analyze = time.perf_counter() - t0
    total_rows = sum(tables.values())
    return {
        "size": size.as_dict(),
        "seed": seed,
        "province": province,
        "workers": workers,
        "vendor": connection.vendor,
        "stages": stages,
        "tables": tables,
        "rows": total_rows,
        "seconds": round(generated, 3),
        "rows_per_second": round(total_rows / max(generated, 1e-9)),
        "analyze_seconds": round(analyze, 3),
    }


def print_report(report: dict, stream=sys.stdout) -> None:
    print(f"\n{'stage':<15}{'status':<9}{'rows':>13}{'seconds':>10}{'rows/s':>12}", file=stream)
    for s in report["stages"]:
        if s["status"] == "done":
            rows = sum(s["rows"].values())
            print(f"{s['stage']:<15}{'done':<9}{rows:>13,}{s['seconds']:>10.1f}{s['rows_per_second']:>12,}", file=stream)
        else:
            print(f"{s['stage']:<15}{s['status']:<9}  {s['message']}", file=stream)
    print(
        f"{'total':<15}{'':<9}{report['rows']:>13,}{report['seconds']:>10.1f}{report['rows_per_second']:>12,}"
        f"   (+ ANALYZE {report['analyze_seconds']:.1f} s)",
        file=stream,
    )


def setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyuan.settings")
    import django

    django.setup()


def migrate() -> float:
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    return time.perf_counter() - t0


def marker_path(database_url: str) -> Path:
    """Where the harness records what a benchmark database holds (to reuse it)."""
    from bench import dbs

    name = database_url.rstrip("/").rsplit("/", 1)[-1].replace(".sqlite3", "")
    return dbs.BENCH_VAR / f"{dbs.vendor_of(database_url)}-{name}.json"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="smoke", help="smoke, small, medium, large or a number of volunteers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--province", default="44", help="2-digit province code, or 'all' (default 44 广东省)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--db", choices=["sqlite", "postgres"], help="the benchmark database for this size")
    target.add_argument("--database-url", help="any database URL (default: DATABASE_URL)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--json", help="write the result here (default bench/results/generate-…json)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1,
        help="producer processes per stage on PostgreSQL (default: the CPUs); the data do not depend on it",
    )  # fmt: skip
    args = parser.parse_args(argv)

    from bench import dbs
    from bench.machine import database_info, machine_info, now_iso

    size = parse_size(args.size)
    url = dbs.database_url(args.db, size.name) if args.db else args.database_url or os.environ.get("DATABASE_URL")
    if args.fresh:
        if not url:
            parser.error("--fresh needs --db or --database-url")
        dbs.recreate(url)
    setup_django(url)
    from django.db import connection

    province = None if args.province == "all" else args.province
    print(f"Generating {size.name} ({size.volunteers:,} volunteers, seed {args.seed}) into {connection.vendor} "
          f"{connection.settings_dict['NAME']}", file=sys.stderr)  # fmt: skip
    migrate_seconds = migrate()
    report = generate(size=size, seed=args.seed, province=province, quiet=args.quiet, workers=args.workers)
    report.update(
        benchmark="generate",
        date=now_iso(),
        machine=machine_info(),
        database=database_info(connection),
        migrate_seconds=round(migrate_seconds, 3),
    )
    print_report(report)
    RESULTS.mkdir(exist_ok=True)
    out = (
        Path(args.json)
        if args.json
        else RESULTS / f"generate-{connection.vendor}-{size.name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    )
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if url:
        mp = marker_path(url)
        mp.parent.mkdir(parents=True, exist_ok=True)
        mp.write_text(json.dumps({"size": size.name, "seed": args.seed, "province": province, "tables": report["tables"]}))
    print(f"result: {out}", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()

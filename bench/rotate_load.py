"""Key rotation beside live writers (issue #11 item 3): ``manage.py rotate_keys`` re-seals every
sealed value while W writer processes keep writing; counts the writers' errors and their longest
stall, before and during the rotation.

    python -m bench.rotate_load --db sqlite|postgres --rows 100000 --writers 20

A fresh database (a temporary SQLite file, or PostgreSQL ``zy_bench_rotate``) and key file are
made for the run; the rows are users with a sealed TOTP secret (``accounts.User.totp_secret_sealed``,
a registered sealed column). Each write is one transaction: a new user with a sealed secret
plus an update of a random existing user, like a registration beside a profile edit; a writer
waits ``--think`` seconds between writes (0: flat out). Prints one
JSON object (machine, figures); ``--out`` also writes it to a file.
"""

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.dbs import PG_SERVER, recreate
from bench.machine import load_average, machine_info


def _setup(db: str, var_dir: Path, pg_name: str) -> str:
    url = f"sqlite:///{var_dir / 'rotate.sqlite3'}" if db == "sqlite" else f"{PG_SERVER.rstrip('/')}/{pg_name}"
    if db != "sqlite":
        recreate(url)
    os.environ.update(
        DATABASE_URL=url,
        ZHIYUAN_VAR_DIR=str(var_dir),
        ZHIYUAN_KEY_FILE=str(var_dir / "keys.json"),
        DJANGO_SETTINGS_MODULE="zhiyuan.settings",
    )
    os.environ.pop("ZHIYUAN_REQUIRE_KEY_FILE", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def _fill(rows: int) -> None:
    from zhiyuan.accounts.models import User
    from zhiyuan.core.crypto import seal

    batch = []
    for i in range(rows):
        batch.append(User(mobile=f"13{i:09d}", password="!", totp_secret_sealed=seal(f"SECRET{i:026d}", purpose="accounts.totp")))
        if len(batch) == 2000:
            User.objects.bulk_create(batch)
            batch = []
    User.objects.bulk_create(batch)


def _writer(n: int, rows: int, think: float, stop, results) -> None:
    from django.db import connections, transaction

    from zhiyuan.accounts.models import User
    from zhiyuan.core.crypto import seal

    connections.close_all()
    rng = random.Random(n)
    lat, errors, i = [], [], 0
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            with transaction.atomic():
                secret = seal("NEW", purpose="accounts.totp")
                User.objects.create(mobile=f"17{n:02d}{i:07d}", password="!", totp_secret_sealed=secret)
                User.objects.filter(mobile=f"13{rng.randrange(rows):09d}").update(display_name=f"w{n}-{i}")
        except Exception as exc:  # every failure a user would see as a 5xx
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        lat.append((t0, time.monotonic() - t0))
        i += 1
        if think:
            time.sleep(think)
    results.put((lat, errors))


def _phase(samples, start: float, end: float) -> dict:
    xs = sorted(d for t0, d in samples if start <= t0 < end)
    if not xs:
        return {"writes": 0}
    return {
        "writes": len(xs),
        "writes_per_s": round(len(xs) / max(end - start, 1e-9), 1),
        "median_ms": round(statistics.median(xs) * 1000, 1),
        "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000, 1),
        "max_stall_ms": round(xs[-1] * 1000, 1),
    }


def run(*, db: str, rows: int, writers: int, batch_size: int, pause: float, warmup: float, think: float, pg_name: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="zy-rotate-") as tmp:
        var_dir = Path(tmp)
        _setup(db, var_dir, pg_name)
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection, connections

        from zhiyuan.core import keys, sealed

        t = time.monotonic()
        _fill(rows)
        fill_s = time.monotonic() - t
        # keys_rotate id: a new current key; the writers start after it, as restarted servers would.
        call_command("keys_rotate", "id", verbosity=0)
        settings.KEYS = keys.load_keys(var_dir)
        vendor = connection.vendor
        connections.close_all()
        ctx = mp.get_context("fork")
        stop, results = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(n, rows, think, stop, results)) for n in range(writers)]
        load_before = load_average()
        for p in procs:
            p.start()
        time.sleep(warmup)
        r0 = time.monotonic()
        from io import StringIO

        call_command("rotate_keys", "--batch-size", str(batch_size), "--pause", str(pause), stdout=StringIO())
        r1 = time.monotonic()
        time.sleep(min(warmup, 2))
        stop.set()
        samples, errors = [], []
        for _ in procs:
            lat, errs = results.get()
            samples += lat
            errors += errs
        for p in procs:
            p.join()
        left = sealed.rows_left()
        connections.close_all()
    if db != "sqlite":
        import psycopg

        with psycopg.connect(f"{PG_SERVER.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return {
        "benchmark": "rotate_keys beside writers",
        "command": " ".join(["python -m bench.rotate_load", *sys.argv[1:]]),
        "database": vendor,
        "rows": rows,
        "writers": writers,
        "batch_size": batch_size,
        "pause_s": pause,
        "writer_think_s": think,
        "fill_s": round(fill_s, 1),
        "rotation_s": round(r1 - r0, 2),
        "rotation_rows_per_s": round(rows / max(r1 - r0, 1e-9)),
        "rows_left_under_old_key": left,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "before": _phase(samples, r0 - warmup, r0),
        "during": _phase(samples, r0, r1),
        "machine": machine_info(),
        "load_before": load_before,
        "load_after": load_average(),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.02)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of writes measured before the rotation")
    parser.add_argument("--think", type=float, default=0.01, help="seconds each writer waits between writes (0: flat out)")
    parser.add_argument("--pg-name", default="zy_bench_rotate")
    parser.add_argument("--out", help="also write the JSON result here")
    args = parser.parse_args(argv)
    result = run(db=args.db, rows=args.rows, writers=args.writers, batch_size=args.batch_size, pause=args.pause,
                 warmup=args.warmup, think=args.think, pg_name=args.pg_name)  # fmt: skip
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

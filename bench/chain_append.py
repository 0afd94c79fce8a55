"""Audit-style chain appends per second from several processes (ARCHITECTURE rule 10).

    DATABASE_URL=postgres://…/scratch python -m bench.chain_append --procs 2 --seconds 10

runs the processes twice: all appending to ONE partition (every append locks the same head row,
as the single audit chain did before partitioning) and each to ITS OWN partition. Each append is
one ``core.chain.chain_append`` of an ``AuditEntry`` in its own transaction. Needs a migrated
database (``DATABASE_URL``); rows are left in the ``bench-*`` partitions, so use a scratch database.
"""

import argparse
import multiprocessing
import os
import time


def worker(partition: str, seconds: float, start, out) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyuan.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from zhiyuan.core.chain import chain_append
    from zhiyuan.core.models import AuditEntry

    connection.ensure_connection()
    start.wait()
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        chain_append(AuditEntry(partition=partition, at=timezone.now(), action="bench.append"))
        n += 1
    out.put(n)


def run(procs: int, seconds: float, same: bool) -> float:
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(procs), ctx.Queue()
    tag = f"bench-{time.time_ns()}"
    ps = [ctx.Process(target=worker, args=(tag if same else f"{tag}-{i}", seconds, start, out)) for i in range(procs)]
    for p in ps:
        p.start()
    total = sum(out.get() for _ in ps)
    for p in ps:
        p.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for r in range(args.runs):
        one = run(args.procs, args.seconds, same=True)
        own = run(args.procs, args.seconds, same=False)
        print(f"run {r + 1}: one partition {one:,.0f} appends/s; own partitions {own:,.0f} appends/s; ratio {own / one:.2f}")


if __name__ == "__main__":
    main()

"""``manage.py chain_verify [--model app.model …] [--workers N]``: check every hash chain (ARCHITECTURE rule 10).

Every concrete ``core.models.ChainedEntry`` subclass is a chain (the audit log, the hour ledger);
each partition is checked and the first broken entry of each broken partition is named. Exit
code 0 when every chain is intact, 1 when one is not (for cron and monitoring)."""

import multiprocessing

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from zhiyuan.core.chain import PROBLEMS_KEPT, chain_name, chain_verify, chained_models

_SHARD_JOB = None


def _shard(index: int):
    model, batch, workers = _SHARD_JOB
    try:
        return chain_verify(model, batch=batch, shard=(index, workers))
    finally:
        connection.close()


def _verify(model, batch: int, workers: int):
    """One table's report; with ``workers`` > 1 (PostgreSQL) its partitions shared by forked
    processes, each with its own connection, and their reports added up."""
    global _SHARD_JOB
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return chain_verify(model, batch=batch)
    connection.close()  # nothing shared across fork; each process opens its own
    _SHARD_JOB = (model, batch, workers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_shard, range(workers), chunksize=1)
    finally:
        _SHARD_JOB = None
    report = parts[0]
    for other in parts[1:]:
        report.entries += other.entries
        report.partitions += other.partitions
        report.problem_count += other.problem_count
        report.problems += other.problems[: max(0, PROBLEMS_KEPT - len(report.problems))]
    return report


class Command(BaseCommand):
    help = "Verify every hash chain (or the --model ones); exit 1 and name the first broken entry of each broken partition."

    def add_arguments(self, parser):
        parser.add_argument("--model", action="append", default=[], help="app_label.model, e.g. core.auditentry (repeatable)")
        parser.add_argument("--batch", type=int, default=5000, help="rows read per query (default 5000)")
        parser.add_argument(
            "--workers", type=int, default=1,
            help="processes sharing each table's partitions (PostgreSQL; default 1)",
        )  # fmt: skip

    def handle(self, *args, model: list[str], batch: int, workers: int = 1, **options):
        models = chained_models()
        if model:
            try:
                wanted = [apps.get_model(label) for label in model]
            except (LookupError, ValueError) as e:
                raise CommandError(str(e)) from e
            unknown = [chain_name(m) for m in wanted if m not in models]
            if unknown:
                raise CommandError(f"not a chained model: {', '.join(unknown)}")
            models = wanted
        broken = False
        for m in models:
            report = _verify(m, max(1, batch), workers)
            self.stdout.write(f"{report.chain}: checked {report.entries} entries in {report.partitions} partitions")
            if report.ok:
                self.stdout.write(self.style.SUCCESS(f"{report.chain}: chain OK"))
                continue
            broken = True
            for p in report.problems:
                where = f"partition {p.partition}" if p.partition else "table"
                at = f"entry {p.entry.chain_label()}" if p.entry is not None else "the end"
                self.stdout.write(self.style.ERROR(f"{report.chain}: BROKEN in {where} at {at}: {p.why}"))
            if report.problem_count > len(report.problems):
                self.stdout.write(self.style.ERROR(f"… and {report.problem_count - len(report.problems)} more"))
        if broken:
            raise SystemExit(1)

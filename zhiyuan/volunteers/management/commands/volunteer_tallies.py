"""``manage.py volunteer_tallies [--check]``: recount the volunteer totals per region and status
(``volunteers/tallies.py``) from the volunteers, print each difference and store the right
numbers; with ``--check`` only report, and exit with status 1 if anything differs."""

from django.core.management.base import BaseCommand, CommandError

from zhiyuan.volunteers.tallies import tally_rebuild


class Command(BaseCommand):
    help = "Recount the volunteer totals per region and status and report any difference."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report differences without fixing them (exit 1 if any)")

    def handle(self, *args, check=False, **options):
        diffs = tally_rebuild(fix=not check)
        for d in diffs[:1000]:
            self.stdout.write(f"{d['region_code']} {d['status']}: stored {d['stored']}, actual {d['actual']}")
        if len(diffs) > 1000:
            self.stdout.write(f"… and {len(diffs) - 1000} more")
        verb = "found" if check else "fixed"
        self.stdout.write(f"volunteer tallies: {len(diffs)} difference(s) {verb}")
        if check and diffs:
            raise CommandError(f"{len(diffs)} volunteer tally row(s) differ")

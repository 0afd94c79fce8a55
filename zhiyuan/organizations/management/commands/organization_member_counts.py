"""``manage.py organization_member_counts [--check]``: recount every organization's public member
count from its memberships (``organizations/counts.py``), print each difference and store the
right count; with ``--check`` only report, and exit with status 1 if anything differs."""

from django.core.management.base import BaseCommand, CommandError

from zhiyuan.organizations.counts import member_counts_rebuild


class Command(BaseCommand):
    help = "Recount the organizations' member counts from the memberships and report any difference."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report differences without fixing them (exit 1 if any)")

    def handle(self, *args, check=False, **options):
        diffs = member_counts_rebuild(fix=not check)
        for d in diffs:
            self.stdout.write(f"organization {d['id']}: stored {d['stored']}, actual {d['actual']}")
        verb = "found" if check else "fixed"
        self.stdout.write(f"member counts: {len(diffs)} difference(s) {verb}")
        if check and diffs:
            raise CommandError(f"{len(diffs)} member count(s) differ")

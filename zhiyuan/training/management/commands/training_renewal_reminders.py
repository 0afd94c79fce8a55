"""``manage.py training_renewal_reminders [--days N] [--dry-run]``: remind holders of training
certificates that expire within N days (default ``ZHIYUAN_TRAINING_RENEWAL_DAYS``); each
certificate once. Run daily (docs/operations.md)."""

from django.core.management.base import BaseCommand

from zhiyuan.training.services.records import certificate_renewal_remind


class Command(BaseCommand):
    help = "List and mark training certificates due for renewal."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, days=None, dry_run=False, **options):
        due = certificate_renewal_remind(days=days, dry_run=dry_run)
        for c in due:
            self.stdout.write(f"{c.certificate_no}\t{c.volunteer.volunteer_no}\t{c.title}\t{c.expires_on.isoformat()}")
        self.stdout.write(f"{len(due)} certificate(s) {'due' if dry_run else 'reminded'}")

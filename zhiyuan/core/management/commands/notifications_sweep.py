"""``manage.py notifications_sweep [--keep-days N]``: delete read notices read more than
``ZHIYUAN_NOTIFICATION_KEEP_DAYS`` days ago (unread ones stay). Run daily."""

from django.core.management.base import BaseCommand

from zhiyuan.core.notifications import notifications_sweep


class Command(BaseCommand):
    help = "Delete read notifications older than ZHIYUAN_NOTIFICATION_KEEP_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, default=None)

    def handle(self, *args, keep_days=None, **options):
        self.stdout.write(f"{notifications_sweep(keep_days=keep_days)} read notification(s) deleted")

"""``manage.py attendance_close``: close forgotten check-outs (SPEC ACT-5) — every attendance
still open ``ZHIYUAN_ATTENDANCE_CHECKOUT_AFTER_MINUTES`` after its shift ended gets check-out =
the shift's end, method ``auto_close`` and the flag ``auto_closed`` (for review; never credited
silently). Run every 10 minutes (docs/operations.md "Periodic jobs"); safe to repeat."""

from django.core.management.base import BaseCommand

from zhiyuan.activities.attendance import attendance_close_overdue


class Command(BaseCommand):
    help = "Close check-outs forgotten past their shift's end (flagged auto_closed)."

    def handle(self, *args, **options):
        closed = attendance_close_overdue()
        self.stdout.write(f"{closed} attendance record(s) closed at shift end")

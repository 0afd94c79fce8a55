"""``manage.py audit_verify``: walk the audit chain (SPEC ACC-3) and name the first broken entry.

Exit code 0 when the chain is intact, 1 when it is not (for cron and monitoring)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from zhiyuan.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exit 1 and name the first broken entry if it was tampered with."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000, help="entries read per query (default 5000)")

    def handle(self, *args, batch: int, **options):
        checked, broken, why = audit_verify(batch=max(1, batch))
        self.stdout.write(f"checked: {checked} entries")
        if not why:
            self.stdout.write(self.style.SUCCESS("audit chain OK"))
            return
        if broken is not None:
            at = timezone.localtime(broken.at).isoformat(timespec="seconds")
            self.stdout.write(self.style.ERROR(f"BROKEN at entry #{broken.id} ({at}, {broken.action}): {why}"))
        else:
            self.stdout.write(self.style.ERROR(f"BROKEN after entry #{checked}: {why}"))
        raise SystemExit(1)

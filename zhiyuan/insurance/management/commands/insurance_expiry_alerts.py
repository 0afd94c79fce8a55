"""List the policies in force that end within ``ZHIYUAN_INSURANCE_EXPIRY_ALERT_DAYS`` days (FUN-4
expiry alerts), grouped by holder, and tell each policy's managers through the notification
centre (``services.policy_expiry_notify``: once per person, policy and end date, so the daily
cron repeats nothing). The same list shows on the managers' policy page. Exit status 0;
``--days`` and ``--on`` override; ``--dry-run`` lists without notifying."""

import datetime as dt

from django.core.management.base import BaseCommand

from zhiyuan.insurance.selectors import expiry_days, policies_expiring
from zhiyuan.insurance.services import policy_expiry_notify


class Command(BaseCommand):
    help = "List insurance policies that expire soon (FUN-4) and notify their managers."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="window in days (default: the setting)")
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="as of this date (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="list only, notify nobody")

    def handle(self, *args, days=None, on=None, dry_run=False, **options):
        days = expiry_days() if days is None else days
        rows = list(policies_expiring(within_days=days, on=on))
        for p in rows:
            self.stdout.write(
                f"{p.ends_on:%Y-%m-%d}\t{p.holder_name}\t{p.region_code}\t{p.insurer}\t{p.policy_no}\t{p.insured_count}"
            )
        self.stdout.write(f"{len(rows)} policy(ies) end within {days} days")
        if not dry_run:
            self.stdout.write(f"{policy_expiry_notify(policies=rows)} notice(s) sent")

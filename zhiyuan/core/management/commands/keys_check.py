"""``manage.py keys_check``: do the keys in the key file open this database's data? (issue #11
item 4; ``core.keycheck``). Run it after every restore; the servers run the same check at start."""

from django.core.management.base import BaseCommand, CommandError

from zhiyuan.core import keycheck


class Command(BaseCommand):
    help = (
        "Check that the key file opens this database's data: one canary per key id and the newest value of "
        "every sealed and blind-index column. Exits non-zero with the reason when it does not; otherwise "
        "records canaries for keys new to the database."
    )
    requires_system_checks = []  # this is the check; it must run when the others would refuse

    def handle(self, *args, **options):
        problems = keycheck.key_problems()
        if problems:
            raise CommandError(keycheck.refusal_message(problems))
        added = keycheck.keys_enroll()
        self.stdout.write(f"keys open the data ({added} new key canary(ies) recorded)")

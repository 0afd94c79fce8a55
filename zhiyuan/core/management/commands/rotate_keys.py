"""``manage.py rotate_keys``: re-encrypt every sealed value under the current key (SPEC VOL-2).

The columns come from ``core.sealed`` (each app registers its own): volunteers' document numbers
and correction requests, managers' TOTP secrets, and whatever later apps seal."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhiyuan.core import crypto, sealed


class Command(BaseCommand):
    help = (
        "Re-encrypt every sealed value (document numbers, correction requests, TOTP secrets — every "
        "column registered with core.sealed) under the current key of the key ring, so an old key "
        "can be retired.\n\n"
        'Procedure: (1) add a new 32-byte key to "id_keys" in the key ring file named by '
        'ZHIYUAN_KEY_FILE (default var/keys.json), e.g. "k2": "<base64 of 32 random bytes>" '
        "(python -c 'import base64,os;print(base64.b64encode(os.urandom(32)).decode())'); "
        '(2) set "id_key_current" to it; (3) restart every server process so new rows are '
        "sealed with it; (4) run this command; (5) keep the old key until this command reports "
        "0 rows left under other keys, then remove it from the file. The blind-index key "
        "(duplicate detection) is not rotated by this command: changing it requires recomputing "
        "every index from the decrypted numbers. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--dry-run", action="store_true", help="decrypt and re-seal in memory, write nothing")
        parser.add_argument("--check", action="store_true", help="only count rows not yet under the current key")

    def handle(self, *args, batch_size, dry_run, check, **options):
        current = settings.KEYS.id_key_current
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if not check:
            try:
                done = sealed.rotate(batch_size=batch_size, dry_run=dry_run)
            except crypto.DecryptionError as exc:
                raise CommandError(f"a row could not be decrypted ({exc}); is its old key still in the key ring?") from exc
            for label, n in done.items():
                verb = "would re-seal" if dry_run else "re-sealed"
                self.stdout.write(f"{label}: {verb} {n} row(s) under key {current}")
        else:
            for col in sealed.sealed_columns():
                self.stdout.write(f"{col.label}: {sealed.rows_not_under(col, current).count()} row(s) under other keys")
        self.stdout.write(f"rows left under other keys: {sealed.rows_left(current)}")

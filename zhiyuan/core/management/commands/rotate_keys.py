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
        'Procedure: (1) manage.py keys_rotate id adds a new key to "id_keys" in the key file '
        '(ZHIYUAN_KEY_FILE) and sets "id_key_current" to it; (2) restart every server process so new '
        "rows are sealed with it; (3) run this command: small committed batches that yield to other "
        "writers, so it runs beside live users; interrupted, run it again to continue; (4) when it "
        "reports 0 rows left under other keys, manage.py keys_rotate id --retire removes the old keys. "
        "The blind-index key is rotated with keys_rotate blind-index and reindex_blind. See "
        "docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200, help="rows per committed batch (default 200)")
        parser.add_argument(
            "--pause", type=float, default=0.02, help="seconds to wait between batches so other writers go first (default 0.02)"
        )
        parser.add_argument("--dry-run", action="store_true", help="decrypt and re-seal in memory, write nothing")
        parser.add_argument("--check", action="store_true", help="only count rows not yet under the current key")

    def handle(self, *args, batch_size, pause, dry_run, check, **options):
        current = settings.KEYS.id_key_current
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if not check:
            try:
                done = sealed.rotate(batch_size=batch_size, pause=max(pause, 0), dry_run=dry_run, stdout=self.stdout)
            except crypto.DecryptionError as exc:
                raise CommandError(f"a row could not be decrypted ({exc}); is its old key still in the key ring?") from exc
            for label, n in done.items():
                verb = "would re-seal" if dry_run else "re-sealed"
                self.stdout.write(f"{label}: {verb} {n} row(s) under key {current}")
        else:
            for col in sealed.sealed_columns():
                self.stdout.write(f"{col.label}: {sealed.rows_not_under(col, current).count()} row(s) under other keys")
        self.stdout.write(f"rows left under other keys: {sealed.rows_left(current)}")

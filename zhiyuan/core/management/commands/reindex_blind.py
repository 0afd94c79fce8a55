"""``manage.py reindex_blind``: recompute every blind index under the current blind-index key
(issue #11 item 9; ``core.sealed.reindex``)."""

from django.core.management.base import BaseCommand, CommandError

from zhiyuan.core import crypto, sealed


class Command(BaseCommand):
    help = (
        "Recompute every blind-index column registered with core.sealed (document-number duplicate "
        "detection and look-up) under the current blind-index key, in small committed batches beside "
        "live users; look-ups match the old and the new index meanwhile. Procedure: manage.py "
        "keys_rotate blind-index, restart the servers, run this, then keys_rotate blind-index --retire. "
        "See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--pause", type=float, default=0.02)
        parser.add_argument("--dry-run", action="store_true", help="count what would change, write nothing")

    def handle(self, *args, batch_size, pause, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            done = sealed.reindex(batch_size=batch_size, pause=max(pause, 0), dry_run=dry_run, stdout=self.stdout)
        except crypto.DecryptionError as exc:
            raise CommandError(f"a row could not be decrypted ({exc}); is its key still in the key ring?") from exc
        for label, n in done.items():
            self.stdout.write(f"{label}: {'would recompute' if dry_run else 'recomputed'} {n} index(es)")

"""Re-encrypt sealed document numbers under the current key (SPEC VOL-2: "key outside the DB,
rotatable")."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhiyuan.core import crypto
from zhiyuan.volunteers.documents import ID_PURPOSE
from zhiyuan.volunteers.models import ProfileCorrectionRequest, Volunteer
from zhiyuan.volunteers.services.profile import CORRECTION_PURPOSE

# (model, sealed column, purpose)
SEALED_COLUMNS = [
    (Volunteer, "id_number_sealed", ID_PURPOSE),
    (ProfileCorrectionRequest, "requested_sealed", CORRECTION_PURPOSE),
]


def rows_not_under(model, column: str, key_id: str):
    return model.objects.exclude(**{f"{column}__startswith": f"{key_id}:"}).exclude(**{column: ""})


def rotate(*, batch_size: int = 1000, dry_run: bool = False, stdout=None) -> dict[str, int]:
    """Re-seal every row whose token names another key than ``id_key_current``. Each batch is
    its own transaction, locked, so the command can be interrupted and re-run safely.
    Returns rows re-sealed per column ("<model>.<column>")."""
    current = settings.KEYS.id_key_current
    done: dict[str, int] = {}
    for model, column, purpose in SEALED_COLUMNS:
        label = f"{model._meta.label}.{column}"
        done[label] = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    rows_not_under(model, column, current)
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .select_for_update()
                    .only("pk", column)[:batch_size]
                )
                if not batch:
                    break
                for row in batch:
                    plain = crypto.unseal(getattr(row, column), purpose=purpose)
                    setattr(row, column, crypto.seal(plain, purpose=purpose, key_id=current))
                if not dry_run:
                    model.objects.bulk_update(batch, [column], batch_size=batch_size)
                else:
                    transaction.set_rollback(True)
                last_pk = batch[-1].pk
                done[label] += len(batch)
            if stdout is not None:
                stdout.write(f"{label}: {done[label]} row(s) re-sealed so far")
    return done


class Command(BaseCommand):
    help = (
        "Re-encrypt every sealed document number (volunteers) and sealed correction value under the "
        "current key of the key ring, so an old key can be retired.\n\n"
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
                done = rotate(batch_size=batch_size, dry_run=dry_run)
            except crypto.DecryptionError as exc:
                raise CommandError(f"a row could not be decrypted ({exc}); is its old key still in the key ring?") from exc
            for label, n in done.items():
                verb = "would re-seal" if dry_run else "re-sealed"
                self.stdout.write(f"{label}: {verb} {n} row(s) under key {current}")
        left = sum(rows_not_under(m, c, current).count() for m, c, _p in SEALED_COLUMNS)
        self.stdout.write(f"rows left under other keys: {left}")

"""Registry of sealed columns and their re-encryption under the current key (SPEC VOL-2: "key
outside the DB, rotatable").

Every column that holds ``crypto.seal`` tokens is sealed with the same key ring, so rotating a key
must re-seal all of them before the old key can be retired — a column left out stays readable only
while the old key is in the ring. core owns the mechanism; each app registers its own columns in
``AppConfig.ready()`` (docs/architecture.md "Hooks instead of upward imports")::

    register_sealed_column("accounts.User", "totp_secret_sealed", purpose=TOTP_PURPOSE)

``manage.py rotate_keys`` re-seals every registered column. A test checks that every model field
named ``*_sealed`` is registered, so a new sealed column cannot be forgotten silently.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction

from zhiyuan.core import crypto


@dataclass(frozen=True)
class SealedColumn:
    model_label: str  # "app_label.ModelName"
    column: str
    purpose: str

    @property
    def label(self) -> str:
        return f"{self.model_label}.{self.column}"

    @property
    def model(self):
        return apps.get_model(self.model_label)


_REGISTRY: dict[tuple[str, str], SealedColumn] = {}


def register_sealed_column(model_label: str, column: str, *, purpose: str) -> None:
    """Declare that ``model_label.column`` holds tokens sealed for ``purpose``. Idempotent."""
    _REGISTRY[(model_label, column)] = SealedColumn(model_label, column, purpose)


def sealed_columns() -> list[SealedColumn]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


@dataclass(frozen=True)
class BlindIndexColumn:
    """A column of ``crypto.blind_index`` values: ``value_of(row)`` rebuilds the indexed value from
    the row's ``fields`` (typically by unsealing one), so the index can be recomputed under a new
    blind-index key (``manage.py reindex_blind``)."""

    model_label: str
    column: str
    purpose: str
    fields: tuple[str, ...]
    value_of: Callable

    @property
    def label(self) -> str:
        return f"{self.model_label}.{self.column}"

    @property
    def model(self):
        return apps.get_model(self.model_label)


_BLIND: dict[tuple[str, str], BlindIndexColumn] = {}


def register_blind_index(model_label: str, column: str, *, purpose: str, fields: tuple[str, ...], value_of: Callable) -> None:
    """Declare that ``model_label.column`` holds ``crypto.blind_index(value_of(row), purpose=purpose)``.
    Idempotent. A test checks that every model field named ``*_index`` is registered."""
    _BLIND[(model_label, column)] = BlindIndexColumn(model_label, column, purpose, tuple(fields), value_of)


def blind_index_columns() -> list[BlindIndexColumn]:
    return [_BLIND[k] for k in sorted(_BLIND)]


def rows_under(col: SealedColumn, key_id: str):
    return col.model.objects.filter(**{f"{col.column}__startswith": f"{key_id}:"})


def rows_not_under(col: SealedColumn, key_id: str):
    return col.model.objects.exclude(**{f"{col.column}__startswith": f"{key_id}:"}).exclude(**{col.column: ""})


def rows_left(key_id: str | None = None) -> int:
    """Sealed values, over every registered column, not yet under ``key_id`` (default: current)."""
    key_id = key_id or settings.KEYS.id_key_current
    return sum(rows_not_under(c, key_id).count() for c in sealed_columns())


def rotate(*, batch_size: int = 1000, dry_run: bool = False, stdout=None) -> dict[str, int]:
    """Re-seal every registered value whose token names another key than ``id_key_current``.

    Each batch is its own transaction, its rows locked, so the command can be interrupted and
    re-run safely. Raises ``crypto.DecryptionError`` when a value's key is no longer in the ring.
    Returns the rows re-sealed per column (``"<model label>.<column>"``)."""
    current = settings.KEYS.id_key_current
    done: dict[str, int] = {}
    for col in sealed_columns():
        done[col.label] = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    rows_not_under(col, current)
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .select_for_update()
                    .only("pk", col.column)[:batch_size]
                )
                if not batch:
                    break
                for row in batch:
                    plain = crypto.unseal(getattr(row, col.column), purpose=col.purpose)
                    setattr(row, col.column, crypto.seal(plain, purpose=col.purpose, key_id=current))
                if dry_run:
                    transaction.set_rollback(True)
                else:
                    col.model.objects.bulk_update(batch, [col.column], batch_size=batch_size)
                last_pk = batch[-1].pk
                done[col.label] += len(batch)
            if stdout is not None:
                stdout.write(f"{col.label}: {done[col.label]} row(s) re-sealed so far")
    return done

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

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When

from zhiyuan.core import crypto


@dataclass(frozen=True)
class SealedColumn:
    """A column of ``crypto.seal`` tokens; also the base of ``BlindIndexColumn``."""

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
class BlindIndexColumn(SealedColumn):
    """A column of ``crypto.blind_index`` values: ``value_of(row)`` rebuilds the indexed value from
    the row's ``fields`` (typically by unsealing one), so the index can be recomputed under a new
    blind-index key (``manage.py reindex_blind``)."""

    fields: tuple[str, ...]
    value_of: Callable


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


def _conditional_update(model, column: str, changes: list[tuple[int, str, str]]) -> int:
    """One UPDATE statement (its own short transaction): each row ``pk`` whose ``column`` still
    holds ``old`` gets ``new``; a row a user changed meanwhile is left as the user wrote it."""
    match = Q()
    for pk, old, _new in changes:
        match |= Q(pk=pk, **{column: old})
    field = model._meta.get_field(column)
    value = Case(*(When(pk=pk, then=Value(new)) for pk, _old, new in changes), default=F(column), output_field=field)
    with transaction.atomic():
        return model.objects.filter(match).update(**{column: value})


def rotate(*, batch_size: int = 200, pause: float = 0.02, dry_run: bool = False, stdout=None) -> dict[str, int]:
    """Re-seal every registered value whose token names another key than ``id_key_current``.

    Live users must not notice (issue #11 item 3): a batch is read without locks, decrypted and
    re-sealed outside any transaction, then written in one short transaction of conditional
    single-row updates (``WHERE pk = … AND column = <the old token>``: a value a user changed
    meanwhile is left alone, it is under the current key already); between batches the command
    sleeps ``pause`` seconds so waiting writers get SQLite's write lock. Every batch is committed,
    so an interrupted run loses nothing and a re-run continues with the rows still left.
    Raises ``crypto.DecryptionError`` when a value's key is no longer in the ring. Returns the
    rows re-sealed per column (``"<model label>.<column>"``)."""
    current = settings.KEYS.id_key_current
    done: dict[str, int] = {}
    for col in sealed_columns():
        done[col.label] = 0
        todo = rows_not_under(col, current).count()
        last_pk, reported = 0, time.monotonic()
        while True:
            batch = list(
                rows_not_under(col, current).filter(pk__gt=last_pk).order_by("pk").values_list("pk", col.column)[:batch_size]
            )
            if not batch:
                break
            fresh = [(pk, old, crypto.seal(crypto.unseal(old, purpose=col.purpose), purpose=col.purpose, key_id=current))
                     for pk, old in batch]  # fmt: skip
            if not dry_run:
                done[col.label] += _conditional_update(col.model, col.column, fresh)
            else:
                done[col.label] += len(fresh)
            last_pk = batch[-1][0]
            if stdout is not None and (time.monotonic() - reported > 1 or len(batch) < batch_size):
                stdout.write(f"{col.label}: {done[col.label]} of {todo} re-sealed (up to id {last_pk})")
                reported = time.monotonic()
            if pause:
                time.sleep(pause)
    return done


def _index_changes(col: BlindIndexColumn, rows, key_id: str) -> list[tuple[int, str, str]]:
    out = []
    for row in rows:
        new = crypto.blind_index(col.value_of(row), purpose=col.purpose, key_id=key_id)
        if new != getattr(row, col.column):
            out.append((row.pk, getattr(row, col.column), new))
    return out


def _index_batches(col: BlindIndexColumn, batch_size: int):
    last_pk = 0
    while True:
        rows = list(col.model.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", col.column, *col.fields)[:batch_size])
        if not rows:
            return
        yield rows
        last_pk = rows[-1].pk


def reindex(*, batch_size: int = 200, pause: float = 0.02, dry_run: bool = False, stdout=None) -> dict[str, int]:
    """Recompute every registered blind index under ``blind_index_key_current`` (issue #11 item 9),
    in the same way ``rotate`` re-seals: rows read without locks, new indexes computed outside any
    transaction, one short transaction of conditional updates per batch, a pause between batches;
    re-running continues (rows already under the current key are unchanged). While it runs,
    look-ups try every key in the ring (``crypto.blind_indexes``). Returns rows changed per column."""
    current = settings.KEYS.blind_index_key_current
    done: dict[str, int] = {}
    for col in blind_index_columns():
        done[col.label] = 0
        reported = time.monotonic()
        for rows in _index_batches(col, batch_size):
            changes = _index_changes(col, rows, current)
            if dry_run:
                done[col.label] += len(changes)
            elif changes:
                done[col.label] += _conditional_update(col.model, col.column, changes)
            if stdout is not None and (time.monotonic() - reported > 1 or len(rows) < batch_size):
                stdout.write(f"{col.label}: {done[col.label]} index(es) recomputed (up to id {rows[-1].pk})")
                reported = time.monotonic()
            if pause and changes:
                time.sleep(pause)
    return done


def index_rows_left(key_id: str | None = None) -> int:
    """Blind-index values not made with ``key_id`` (default: current). Decrypts every row."""
    key_id = key_id or settings.KEYS.blind_index_key_current
    return sum(len(_index_changes(c, rows, key_id)) for c in blind_index_columns() for rows in _index_batches(c, 1000))

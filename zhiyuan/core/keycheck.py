"""Do the keys open the data? (issue #11 item 4)

A database restored without its key file used to start with new keys: every check passed, then
the first manager TOTP login and personal-data download answered 500. Now:

* every key of the ring leaves a canary in ``core.KeyCanary`` (a known value sealed, indexed or
  — for a signing key — its public key), written by ``keys_enroll`` after a successful check;
* ``key_problems`` opens every canary whose key the ring holds, counts data still sealed under a
  key the ring lacks, and opens the newest value of every sealed and blind-index column (which
  also covers databases from before canaries existed);
* the server entry (``zhiyuan/wsgi.py``: gunicorn and runserver), ``manage.py migrate`` (a
  database-tagged system check) and ``manage.py keys_check`` refuse when anything fails.

A database without tables (a fresh install, or before ``migrate``) has nothing to check.
"""

import base64

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

from zhiyuan.core import crypto, sealed

CANARY = "zhiyuan key canary"
CANARY_PURPOSE = "core.key_canary"
NEWEST_ROWS = 1000


def _canary_model():
    from zhiyuan.core.models import KeyCanary

    return KeyCanary


def _expected(kind: str, key_id: str) -> str | None:
    """The canary value of ``key_id`` as the ring computes it (None: the ring lacks the key)."""
    ring = settings.KEYS
    Kind = _canary_model().Kind
    if kind == Kind.SEALING:
        return crypto.seal(CANARY, purpose=CANARY_PURPOSE, key_id=key_id) if key_id in ring.id_keys else None
    if kind == Kind.BLIND_INDEX:
        return crypto.blind_index(CANARY, purpose=CANARY_PURPOSE, key_id=key_id) if key_id in ring.blind_index_keys else None
    public = crypto.public_keys().get(key_id)
    return base64.b64encode(public).decode("ascii") if public else None


def _ring_keys() -> list[tuple[str, str]]:
    ring = settings.KEYS
    Kind = _canary_model().Kind
    return (
        [(Kind.SEALING, k) for k in ring.id_keys]
        + [(Kind.BLIND_INDEX, k) for k in ring.blind_index_keys]
        + [(Kind.SIGNING, k) for k in crypto.public_keys()]
    )


def _tables() -> set[str]:
    try:
        return set(connection.introspection.table_names())
    except DatabaseError:  # no database yet
        return set()


def _canary_problem(canary) -> str | None:
    Kind = _canary_model().Kind
    label = f"{canary.get_kind_display()} key {canary.key_id}"
    expected = _expected(canary.kind, canary.key_id)
    if canary.kind == Kind.SEALING:
        if expected is None:
            used = [c.label for c in sealed.sealed_columns() if sealed.rows_under(c, canary.key_id).exists()]
            return f"{label}: data are sealed under it ({', '.join(used)}) but the key file lacks it" if used else None
        try:
            ok = crypto.unseal(canary.value, purpose=CANARY_PURPOSE) == CANARY
        except crypto.DecryptionError:
            ok = False
        return None if ok else f"{label}: the key file holds a different key under this id"
    if expected is None:
        return None  # a retired blind-index key or a dropped signing key: nothing depends on it
    return None if expected == canary.value else f"{label}: the key file holds a different key under this id"


def _newest_values_problems(tables: set[str]) -> list[str]:
    """Open the newest value of each sealed and blind-index column (one bounded query each)."""
    problems = []
    for col in sealed.sealed_columns():
        if col.model._meta.db_table not in tables:
            continue
        # the newest non-empty value among the newest rows: bounded, so a users table where only
        # a few early managers hold a TOTP secret is not scanned at every start (canaries cover it)
        newest = col.model.objects.order_by("-pk").values_list(col.column, flat=True)[:NEWEST_ROWS]
        token = next((t for t in newest if t), None)
        if token is None:
            continue
        try:
            crypto.unseal(token, purpose=col.purpose)
        except crypto.DecryptionError:
            problems.append(f"{col.label}: its newest value (key {crypto.token_key_id(token)}) does not open")
    for col in sealed.blind_index_columns():
        if col.model._meta.db_table not in tables:
            continue
        row = col.model.objects.order_by("-pk").only("pk", col.column, *col.fields).first()
        if row is None:
            continue
        try:
            ok = getattr(row, col.column) in crypto.blind_indexes(col.value_of(row), purpose=col.purpose)
        except crypto.DecryptionError:
            continue  # reported above for its sealed column
        if not ok:
            problems.append(f"{col.label}: its newest index was made with a blind-index key the key file lacks")
    return problems


def key_problems() -> list[str]:
    """What in the database the key ring cannot open; empty when all is well or there is no data."""
    tables = _tables()
    model = _canary_model()
    problems = []
    if model._meta.db_table in tables:
        problems += [p for c in model.objects.order_by("kind", "key_id") if (p := _canary_problem(c))]
    return problems + _newest_values_problems(tables)


def keys_enroll() -> int:
    """Leave a canary for every key of the ring that has none yet. Call only after
    ``key_problems()`` came back empty. Returns the canaries written."""
    model = _canary_model()
    if model._meta.db_table not in _tables():
        return 0
    have = set(model.objects.values_list("kind", "key_id"))
    new = [model(kind=k, key_id=kid, value=_expected(k, kid)) for k, kid in _ring_keys() if (k, kid) not in have]
    model.objects.bulk_create(new, ignore_conflicts=True)  # two workers starting at once
    return len(new)


def keys_forget(kind: str, key_ids) -> None:
    """Drop the canaries of keys removed from the ring on purpose (``keys_rotate --retire``)."""
    _canary_model().objects.filter(kind=kind, key_id__in=list(key_ids)).delete()


def refusal_message(problems: list[str]) -> str:
    lines = "\n  ".join(problems)
    return (
        f"The key file {settings.KEYS.path} does not open this database's data:\n  {lines}\n"
        "Refusing to start: restore the key file that belongs to this database (ZHIYUAN_KEY_FILE), "
        "or restore the database that belongs to this key file. `manage.py keys_check` repeats "
        'this check; see docs/operations.md "Keys".'
    )


def refuse_unless_keys_open_data() -> None:
    """The server entry's check: raise ImproperlyConfigured (the process does not start) when
    the keys do not open the data; otherwise enroll new keys' canaries."""
    try:
        problems = key_problems()
        if problems:
            raise ImproperlyConfigured(refusal_message(problems))
        keys_enroll()
    finally:
        if not connection.in_atomic_block:  # (tests run inside one)
            connection.close()  # gunicorn forks and threads must not share this connection


@register(Tags.database)
def keys_open_data_check(app_configs=None, databases=None, **kwargs):
    """``manage.py migrate`` (and ``check --database default``) refuse a mismatched key file."""
    if not databases or "default" not in databases:
        return []
    problems = key_problems()
    return [Error(refusal_message(problems), id="core.E002")] if problems else []


def enroll_after_migrate(sender, **kwargs):
    """post_migrate: a fresh database gets its canaries at once (its key file was just made)."""
    if kwargs.get("using", "default") == "default" and not key_problems():
        keys_enroll()

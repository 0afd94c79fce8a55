"""The key ring: Django's secret key (and its fallbacks), AES-GCM keys for sealed personal data,
HMAC keys for blind indexes and Ed25519 signing keys — every kind but the secret key under a key id.

Keys live outside the database (ARCHITECTURE rule 4, SPEC VOL-2): in the JSON file named by
``ZHIYUAN_KEY_FILE`` (default ``var/keys.json``, mode 0600)::

    {"secret_key": "…", "secret_key_fallbacks": [],
     "id_keys": {"k1": "<base64 32 bytes>"}, "id_key_current": "k1",
     "blind_index_keys": {"b1": "<base64 32 bytes>"}, "blind_index_key_current": "b1",
     "signing_keys": {"s2": {"seed": "<base64 32 bytes>"}, "s1": {"public": "<base64 32 bytes>"}},
     "signing_key_current": "s2"}

A retired signing key keeps only its public half, so tokens and documents it signed still verify
(``crypto.public_key_set`` publishes them). Files of the first format (``blind_index_key``,
``signing_seed``) read as key ids ``b1`` and ``s1``.

A missing file is generated only when the database is empty (no tables): a key file generated
beside an existing database would seal new rows under keys that cannot open the old ones
(issue #11 item 4). ``ZHIYUAN_REQUIRE_KEY_FILE=1`` refuses to generate at all (production).
``manage.py keys_rotate`` edits the file; docs/operations.md "Keys" has the procedures.
"""

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from zhiyuan.core.env import env, env_bool

KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,8}$")


class KeyFileError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeyRing:
    path: Path
    secret_key: str
    id_keys: dict[str, bytes]  # key id -> 32-byte AES-256-GCM key
    id_key_current: str
    blind_index_keys: dict[str, bytes]  # key id -> 32-byte HMAC-SHA256 key
    blind_index_key_current: str
    signing_seeds: dict[str, bytes]  # key id -> Ed25519 private key seed (the current one at least)
    signing_key_current: str
    retired_public_keys: dict[str, bytes] = field(default_factory=dict)  # key id -> Ed25519 public key
    secret_key_fallbacks: tuple[str, ...] = ()

    @property
    def blind_index_key(self) -> bytes:
        return self.blind_index_keys[self.blind_index_key_current]

    @property
    def signing_seed(self) -> bytes:
        return self.signing_seeds[self.signing_key_current]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def random_key() -> str:
    """A new 32-byte key, base64 (as the key file holds it)."""
    return _b64(secrets.token_bytes(32))


def new_key_data() -> dict:
    return {
        "secret_key": secrets.token_urlsafe(50),
        "secret_key_fallbacks": [],
        "id_keys": {"k1": random_key()},
        "id_key_current": "k1",
        "blind_index_keys": {"b1": random_key()},
        "blind_index_key_current": "b1",
        "signing_keys": {"s1": {"seed": random_key()}},
        "signing_key_current": "s1",
    }


def upgrade_key_data(data: dict) -> dict:
    """The first file format (one blind-index key, one signing seed) in the current one."""
    data = dict(data)
    if "blind_index_keys" not in data:
        data["blind_index_keys"] = {"b1": data.pop("blind_index_key")}
        data["blind_index_key_current"] = "b1"
    if "signing_keys" not in data:
        data["signing_keys"] = {"s1": {"seed": data.pop("signing_seed")}}
        data["signing_key_current"] = "s1"
    data.setdefault("secret_key_fallbacks", [])
    return data


def write_key_file(path: Path, data: dict) -> None:
    """Write atomically, readable by the owner only (0600) from the first byte."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _keys32(path: Path, kind: str, raw: dict) -> dict[str, bytes]:
    out = {}
    for kid, value in raw.items():
        key = base64.b64decode(value)
        if len(key) != 32:
            raise KeyFileError(f"{path}: {kind} key {kid} must be 32 bytes")
        out[kid] = key
    return out


def parse_key_data(path: Path, data: dict) -> KeyRing:
    data = upgrade_key_data(data)
    id_keys = _keys32(path, "id", data["id_keys"])
    blind = _keys32(path, "blind-index", data["blind_index_keys"])
    seeds, public = {}, {}
    for kid, entry in data["signing_keys"].items():
        if not KID_RE.match(kid):
            raise KeyFileError(f"{path}: signing key id {kid!r} must be 1-8 letters, digits, - or _")
        if "seed" in entry:
            seeds[kid] = _keys32(path, "signing", {kid: entry["seed"]})[kid]
        else:
            public[kid] = _keys32(path, "signing public", {kid: entry["public"]})[kid]
    for name, current, ring in (
        ("id_key_current", data["id_key_current"], id_keys),
        ("blind_index_key_current", data["blind_index_key_current"], blind),
        ("signing_key_current", data["signing_key_current"], seeds),
    ):
        if current not in ring:
            raise KeyFileError(f"{path}: {name} names no key (a current signing key needs its seed)")
    return KeyRing(
        path=path,
        secret_key=env("ZHIYUAN_SECRET_KEY") or data["secret_key"],
        id_keys=id_keys,
        id_key_current=data["id_key_current"],
        blind_index_keys=blind,
        blind_index_key_current=data["blind_index_key_current"],
        signing_seeds=seeds,
        signing_key_current=data["signing_key_current"],
        retired_public_keys=public,
        secret_key_fallbacks=tuple(data["secret_key_fallbacks"]),
    )


def key_file_path(var_dir: Path) -> Path:
    return Path(env("ZHIYUAN_KEY_FILE") or (Path(var_dir) / "keys.json"))


def read_key_data(path: Path) -> dict:
    return upgrade_key_data(json.loads(Path(path).read_text(encoding="utf-8")))


def database_has_tables(url: str) -> bool:
    """Whether the database at ``url`` (a ``DATABASE_URL``) already holds Django's tables. A
    database that does not exist yet is empty; one that cannot be reached is an error, since
    generating keys beside a database we cannot see may orphan its data."""
    if url.startswith("sqlite"):
        import sqlite3

        import dj_database_url

        name = str(dj_database_url.parse(url)["NAME"])
        if not name or name == ":memory:" or not Path(name).exists():
            return False
        db = sqlite3.connect(Path(name).as_uri() + "?mode=ro", uri=True)
        try:
            return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'").fetchone() is not None
        finally:
            db.close()
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            return conn.execute("SELECT to_regclass('django_migrations') IS NOT NULL").fetchone()[0]
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return False
        msg = f"the key file is missing and the database cannot be reached to see whether it is empty: {exc}"
        raise KeyFileError(msg) from exc


def load_keys(var_dir: Path, *, database_url: str | None = None) -> KeyRing:
    path = key_file_path(var_dir)
    if not path.exists():
        if env_bool("ZHIYUAN_REQUIRE_KEY_FILE", False):
            raise KeyFileError(f"key file {path} is missing (ZHIYUAN_REQUIRE_KEY_FILE=1)")
        url = database_url or env("DATABASE_URL") or f"sqlite:///{Path(var_dir) / 'zhiyuan.sqlite3'}"
        if database_has_tables(url):
            raise KeyFileError(
                f"key file {path} is missing but the database already holds data: new keys could not "
                "open it. Restore the key file that belongs to this database (or point ZHIYUAN_KEY_FILE "
                'at it); see docs/operations.md "Keys".'
            )
        write_key_file(path, new_key_data())
    return parse_key_data(path, json.loads(path.read_text(encoding="utf-8")))


# --- rotation: pure edits of the key file's data (``manage.py keys_rotate`` writes them) -------


def _next_kid(prefix: str, existing) -> str:
    numbers = [int(k[len(prefix) :]) for k in existing if k.startswith(prefix) and k[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def add_id_key(data: dict) -> dict:
    """A new AES key becomes current; the old ones stay until ``rotate_keys`` has re-sealed."""
    data = upgrade_key_data(data)
    kid = _next_kid("k", data["id_keys"])
    return {**data, "id_keys": {**data["id_keys"], kid: random_key()}, "id_key_current": kid}


def add_blind_index_key(data: dict) -> dict:
    """A new blind-index key becomes current; the old one stays until ``reindex_blind`` is done."""
    data = upgrade_key_data(data)
    kid = _next_kid("b", data["blind_index_keys"])
    return {**data, "blind_index_keys": {**data["blind_index_keys"], kid: random_key()}, "blind_index_key_current": kid}


def rotate_signing_key(data: dict) -> dict:
    """A new Ed25519 key signs from now on; every old key keeps only its public half, so what it
    signed still verifies and it can no longer sign."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = upgrade_key_data(data)
    keys = {}
    for kid, entry in data["signing_keys"].items():
        if "seed" in entry:
            private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(entry["seed"]))
            raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            entry = {"public": _b64(raw)}
        keys[kid] = entry
    kid = _next_kid("s", keys)
    keys[kid] = {"seed": random_key()}
    return {**data, "signing_keys": keys, "signing_key_current": kid}


def rotate_secret_key(data: dict) -> dict:
    """A new Django secret key; the old one moves to ``SECRET_KEY_FALLBACKS`` so sessions,
    password-reset links and signed values made with it stay valid until it is dropped."""
    data = upgrade_key_data(data)
    fallbacks = [data["secret_key"], *data["secret_key_fallbacks"]]
    return {**data, "secret_key": secrets.token_urlsafe(50), "secret_key_fallbacks": fallbacks}


def retire_old_keys(data: dict, kind: str) -> dict:
    """Drop the non-current keys of ``kind`` (``id``, ``blind-index`` or ``secret``). The caller
    checks first that nothing still needs them."""
    data = upgrade_key_data(data)
    if kind == "id":
        return {**data, "id_keys": {data["id_key_current"]: data["id_keys"][data["id_key_current"]]}}
    if kind == "blind-index":
        cur = data["blind_index_key_current"]
        return {**data, "blind_index_keys": {cur: data["blind_index_keys"][cur]}}
    if kind == "secret":
        return {**data, "secret_key_fallbacks": []}
    raise ValueError(kind)

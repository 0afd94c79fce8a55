"""The key ring: Django's secret key, AES-GCM keys for document numbers, the blind-index key
and the Ed25519 signing key.

Keys live outside the database (ARCHITECTURE rule 4, SPEC VOL-2): in the JSON file named by
``ZHIYUAN_KEY_FILE`` (default ``var/keys.json``). A missing file is generated on first start
unless ``ZHIYUAN_REQUIRE_KEY_FILE=1`` (set that in production so a lost key file is an error,
not a silent new key that cannot decrypt old rows). See docs/operations.md for rotation.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from zhiyuan.core.env import env, env_bool


@dataclass(frozen=True)
class KeyRing:
    path: Path
    secret_key: str
    id_keys: dict[str, bytes]  # key id -> 32-byte AES-256-GCM key
    id_key_current: str
    blind_index_key: bytes
    signing_seed: bytes  # Ed25519 private key seed (32 bytes)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_key_data() -> dict:
    return {
        "secret_key": secrets.token_urlsafe(50),
        "id_keys": {"k1": _b64(secrets.token_bytes(32))},
        "id_key_current": "k1",
        "blind_index_key": _b64(secrets.token_bytes(32)),
        "signing_seed": _b64(secrets.token_bytes(32)),
    }


def write_key_file(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)


def parse_key_data(path: Path, data: dict) -> KeyRing:
    id_keys = {kid: base64.b64decode(v) for kid, v in data["id_keys"].items()}
    if data["id_key_current"] not in id_keys:
        raise ValueError(f"{path}: id_key_current names no key")
    for kid, key in id_keys.items():
        if len(key) != 32:
            raise ValueError(f"{path}: id key {kid} must be 32 bytes")
    return KeyRing(
        path=path,
        secret_key=env("ZHIYUAN_SECRET_KEY") or data["secret_key"],
        id_keys=id_keys,
        id_key_current=data["id_key_current"],
        blind_index_key=base64.b64decode(data["blind_index_key"]),
        signing_seed=base64.b64decode(data["signing_seed"]),
    )


def load_keys(var_dir: Path) -> KeyRing:
    path = Path(env("ZHIYUAN_KEY_FILE") or (Path(var_dir) / "keys.json"))
    if not path.exists():
        if env_bool("ZHIYUAN_REQUIRE_KEY_FILE", False):
            raise RuntimeError(f"key file {path} is missing (ZHIYUAN_REQUIRE_KEY_FILE=1)")
        write_key_file(path, new_key_data())
    return parse_key_data(path, json.loads(path.read_text(encoding="utf-8")))

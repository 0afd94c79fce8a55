"""Protection of personal data at rest (SPEC VOL-2, PIPL 28/51).

* ``seal``/``unseal``: AES-256-GCM with a random 96-bit nonce; the stored token is
  ``<key id>:<base64(nonce || ciphertext+tag)>`` so rows written under an older key stay readable
  until the rotation command re-encrypts them. The associated data binds a token to its purpose
  (e.g. ``"volunteer.id_number"``) so a token cannot be moved into another column.
* ``blind_index``: HMAC-SHA256 under a separate key, for uniqueness and look-up without
  decrypting; ``blind_indexes`` gives one per key in the ring for look-ups while re-indexing.
* ``sign``/``verify``: Ed25519 for QR tokens, certificates and record bundles, under a key id;
  ``public_key_set`` is the published JSON Web Key Set (current and retired keys).
"""

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(Exception):
    pass


def _ring():
    return settings.KEYS


def seal(plaintext: str, *, purpose: str, key_id: str | None = None) -> str:
    ring = _ring()
    kid = key_id or ring.id_key_current
    nonce = os.urandom(12)
    ct = AESGCM(ring.id_keys[kid]).encrypt(nonce, plaintext.encode("utf-8"), purpose.encode())
    return f"{kid}:{base64.b64encode(nonce + ct).decode('ascii')}"


def unseal(token: str, *, purpose: str) -> str:
    ring = _ring()
    try:
        kid, payload = token.split(":", 1)
        raw = base64.b64decode(payload)
        key = ring.id_keys[kid]
    except (ValueError, KeyError) as exc:
        raise DecryptionError("unknown key or malformed token") from exc
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc


def token_key_id(token: str) -> str:
    return token.split(":", 1)[0]


def blind_index(value: str, *, purpose: str, key_id: str | None = None) -> str:
    """The index to store: HMAC-SHA256 under the current blind-index key (or ``key_id``)."""
    ring = _ring()
    key = ring.blind_index_keys[key_id or ring.blind_index_key_current]
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def blind_indexes(value: str, *, purpose: str) -> list[str]:
    """The indexes to look up: one per blind-index key in the ring, the current one first. While
    ``manage.py reindex_blind`` moves the rows to a new key some still hold the old key's index,
    so a look-up matches either (docs/operations.md "Rotating the blind-index key")."""
    ring = _ring()
    kids = [ring.blind_index_key_current, *sorted(k for k in ring.blind_index_keys if k != ring.blind_index_key_current)]
    return [blind_index(value, purpose=purpose, key_id=kid) for kid in kids]


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def public_keys() -> dict[str, bytes]:
    """Every Ed25519 public key that may have signed something still in circulation, by key id:
    those whose seed the ring holds and the retired ones kept as public keys only."""
    ring = _ring()
    keys = dict(ring.retired_public_keys)
    for kid, seed in ring.signing_seeds.items():
        keys[kid] = _raw_public(Ed25519PrivateKey.from_private_bytes(seed))
    return keys


def public_key_bytes(key_id: str | None = None) -> bytes:
    return public_keys()[key_id or _ring().signing_key_current]


def signing_key_id() -> str:
    return _ring().signing_key_current


def sign(data: bytes) -> tuple[str, bytes]:
    """(key id, Ed25519 signature) under the current signing key. The key id travels with the
    signature so verification picks the right key after a rotation."""
    ring = _ring()
    return ring.signing_key_current, Ed25519PrivateKey.from_private_bytes(ring.signing_seed).sign(data)


def verify(data: bytes, signature: bytes, *, key_id: str) -> bool:
    """True when ``signature`` is ``key_id``'s signature of ``data``; a retired key still verifies,
    an unknown key id does not."""
    public = public_keys().get(key_id)
    if public is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_key_set() -> dict:
    """The signing keys as a JSON Web Key Set (RFC 8037 OKP keys), published at
    ``/.well-known/zhiyuan-keys.json`` so certificates, bundles and QR tokens verify offline.
    ``status`` (not part of RFC 7517) says which key signs now: ``current`` or ``retired``."""
    current = _ring().signing_key_current
    keys = sorted(public_keys().items(), key=lambda kv: (kv[0] != current, kv[0]))
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": kid,
                "x": b64url(public),
                "status": "current" if kid == current else "retired",
            }
            for kid, public in keys
        ]
    }


def mask(value: str, *, keep_start: int = 4, keep_end: int = 4) -> str:
    """``441302199001011234`` -> ``4413**********1234``.

    Values too short for the kept ends to stay a minority (under ``2 * (keep_start + keep_end) - 2``
    characters) are masked whole: a 9-character permit number must not show 8 of its characters."""
    if not value:
        return ""
    if len(value) < 2 * (keep_start + keep_end) - 2:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_mobile(value: str) -> str:
    """``13812345678`` -> ``138****5678`` (the usual display of a mainland mobile number)."""
    if len(value) != 11:
        return mask(value, keep_start=3, keep_end=4)
    return value[:3] + "****" + value[-4:]

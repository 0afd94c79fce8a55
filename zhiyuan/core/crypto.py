"""Protection of personal data at rest (SPEC VOL-2, PIPL 28/51).

* ``seal``/``unseal``: AES-256-GCM with a random 96-bit nonce; the stored token is
  ``<key id>:<base64(nonce || ciphertext+tag)>`` so rows written under an older key stay readable
  until the rotation command re-encrypts them. The associated data binds a token to its purpose
  (e.g. ``"volunteer.id_number"``) so a token cannot be moved into another column.
* ``blind_index``: HMAC-SHA256 under a separate key, for uniqueness and look-up without
  decrypting.
* ``sign``/``verify``: Ed25519 for QR tokens, certificates and record bundles.
"""

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
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


def blind_index(value: str, *, purpose: str) -> str:
    mac = hmac.new(_ring().blind_index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()


def _signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_ring().signing_seed)


def public_key_bytes() -> bytes:
    from cryptography.hazmat.primitives import serialization

    return (
        _signing_key()
        .public_key()
        .public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    )


def sign(data: bytes) -> bytes:
    return _signing_key().sign(data)


def verify(data: bytes, signature: bytes, public_key: bytes | None = None) -> bool:
    key = Ed25519PublicKey.from_public_bytes(public_key or public_key_bytes())
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


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

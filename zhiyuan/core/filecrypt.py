"""Files at rest with personal data, encrypted (ARCHITECTURE rule 4).

A file gets its own random AES-256-GCM key; only that key is sealed with the key ring
(``crypto.seal``), so ``manage.py rotate_keys`` re-seals the short key and never rewrites the
file. The file is encrypted in 1 MiB segments, each with its own nonce (an 8-byte random prefix
and the segment number) and with the purpose, the segment number and a last-segment flag as
associated data: segments cannot be reordered, swapped between files or cut off at the end
without ``DecryptionError``. Memory stays at one segment whatever the file's size.

Layout: ``b"ZYF1"`` + prefix (8 bytes), then per segment its length (4 bytes, big-endian) and
the ciphertext with its tag.
"""

import base64
import os
import sqlite3
import struct
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zhiyuan.core import crypto
from zhiyuan.core.crypto import DecryptionError

MAGIC = b"ZYF1"
SEGMENT = 1 << 20


def _aad(purpose: str, index: int, last: bool) -> bytes:
    return purpose.encode() + struct.pack(">I?", index, last)


def _segments(src):
    """(index, block, is_last) over ``src`` read in SEGMENT blocks (an empty file is one empty
    last segment)."""
    block = src.read(SEGMENT)
    index = 0
    while True:
        following = src.read(SEGMENT) if block else b""
        last = not following
        yield index, block, last
        if last:
            return
        block, index = following, index + 1


def encrypt_file(src, path: Path, *, purpose: str) -> str:
    """Write ``src`` (a binary file object, read from its current position) encrypted to
    ``path`` (created 0600, never overwritten). Returns the file key sealed for ``purpose``."""
    key = AESGCM.generate_key(bit_length=256)
    aes = AESGCM(key)
    prefix = os.urandom(8)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + prefix)
            for index, block, last in _segments(src):
                ct = aes.encrypt(prefix + struct.pack(">I", index), block, _aad(purpose, index, last))
                out.write(struct.pack(">I", len(ct)) + ct)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return crypto.seal(base64.b64encode(key).decode("ascii"), purpose=purpose)


def decrypt_file(path: Path, dst, *, sealed_key: str, purpose: str) -> None:
    """Write the plaintext of ``path`` to the binary file object ``dst``."""
    aes = AESGCM(base64.b64decode(crypto.unseal(sealed_key, purpose=purpose)))
    with open(path, "rb") as src:
        head = src.read(len(MAGIC) + 8)
        if len(head) != len(MAGIC) + 8 or not head.startswith(MAGIC):
            raise DecryptionError("not an encrypted file")
        prefix = head[len(MAGIC) :]
        index = 0
        while True:
            size_bytes = src.read(4)
            if len(size_bytes) != 4:
                raise DecryptionError("truncated file")
            (size,) = struct.unpack(">I", size_bytes)
            if size > SEGMENT + 16:
                raise DecryptionError("damaged file")
            ct = src.read(size)
            last = not src.peek(1)  # a BufferedReader: b"" only at the end of the file
            try:
                dst.write(aes.decrypt(prefix + struct.pack(">I", index), ct, _aad(purpose, index, last)))
            except InvalidTag as exc:
                raise DecryptionError("authentication failed") from exc
            if last:
                return
            index += 1


def private_temp_dir() -> Path:
    """``settings.FILE_UPLOAD_TEMP_DIR``: where plaintext that must touch the disk for a moment
    goes (Django's large uploads, the import worker's scratch files) instead of /tmp; created
    0700 on first use (settings creates it at start-up, but it may have been removed since)."""
    from django.conf import settings

    path = Path(settings.FILE_UPLOAD_TEMP_DIR)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
    return path


def private_scratch_db() -> sqlite3.Connection:
    """A scratch SQLite database on disk in ``private_temp_dir()`` rather than SQLite's default
    temporary directory (/tmp). The file is unlinked at once (no journal, so SQLite never
    reopens it by name) and vanishes when the connection closes."""
    path = private_temp_dir() / f"scratch-{uuid.uuid4().hex}.sqlite3"
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA temp_store=MEMORY")
    finally:
        path.unlink(missing_ok=True)
    return db

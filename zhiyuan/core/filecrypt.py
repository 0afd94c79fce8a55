"""Files at rest with personal data, encrypted (ARCHITECTURE rule 4).

A file gets its own random AES-256-GCM key; only that key is sealed with the key ring
(``crypto.seal``), so ``manage.py rotate_keys`` re-seals the short key and never rewrites the
file. The whole file is one AES-GCM message (``cryptography``'s ``AESGCM``, a standard
construction, no segmenting of our own): ``b"ZYF2"`` + a 12-byte random nonce + ciphertext and
tag, with the purpose and the version as associated data. A file is held in memory twice while
it is encrypted or decrypted, so files are capped at ``MAX_BYTES`` (64 MiB; the upload cap
``ZHIYUAN_IMPORT_MAX_UPLOAD_MB``, 20 by default, may not exceed it — a system check says so).

Files written before this format (``ZYF1``, 1 MiB segments) wait at most
``ZHIYUAN_IMPORT_FILE_DAYS`` for their job; ``_decrypt_v1`` still reads them and will be removed
once no such file can be left (docs/operations.md "Bulk import of volunteers").
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

MAGIC = b"ZYF2"
NONCE = 12
TAG = 16
MAX_BYTES = 64 * 1024 * 1024


class FileTooLarge(ValueError):
    pass


def _aad(purpose: str) -> bytes:
    return MAGIC + purpose.encode()


def encrypt_file(src, path: Path, *, purpose: str, max_bytes: int = MAX_BYTES) -> str:
    """Write ``src`` (a binary file object, read from its current position, at most
    ``max_bytes``) encrypted to ``path`` (created 0600, never overwritten). Returns the file key
    sealed for ``purpose``."""
    data = src.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(f"file over {max_bytes} bytes")
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE)
    sealed = AESGCM(key).encrypt(nonce, data, _aad(purpose))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + nonce + sealed)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return crypto.seal(base64.b64encode(key).decode("ascii"), purpose=purpose)


def decrypt_file(path: Path, dst, *, sealed_key: str, purpose: str) -> None:
    """Write the plaintext of ``path`` to the binary file object ``dst``."""
    aes = AESGCM(base64.b64decode(crypto.unseal(sealed_key, purpose=purpose)))
    with open(path, "rb") as src:
        head = src.read(len(MAGIC))
        if head == b"ZYF1":
            return _decrypt_v1(aes, src, dst, purpose=purpose)
        if head != MAGIC:
            raise DecryptionError("not an encrypted file")
        body = src.read(MAX_BYTES + NONCE + TAG + 1)
    if len(body) < NONCE + TAG or len(body) > MAX_BYTES + NONCE + TAG:
        raise DecryptionError("damaged file")
    try:
        dst.write(aes.decrypt(body[:NONCE], body[NONCE:], _aad(purpose)))
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc


def _decrypt_v1(aes: AESGCM, src, dst, *, purpose: str) -> None:
    """Read a file of the retired segmented format: an 8-byte nonce prefix, then per 1 MiB
    segment its length and ciphertext, nonce = prefix + segment number, associated data =
    purpose + segment number + last-segment flag."""
    prefix = src.read(8)
    if len(prefix) != 8:
        raise DecryptionError("truncated file")
    index = 0
    while True:
        size_bytes = src.read(4)
        if len(size_bytes) != 4:
            raise DecryptionError("truncated file")
        (size,) = struct.unpack(">I", size_bytes)
        if size > (1 << 20) + TAG:
            raise DecryptionError("damaged file")
        ct = src.read(size)
        last = not src.peek(1)  # a BufferedReader: b"" only at the end of the file
        aad = purpose.encode() + struct.pack(">I?", index, last)
        try:
            dst.write(aes.decrypt(prefix + struct.pack(">I", index), ct, aad))
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


# --- streamed files (exports) -------------------------------------------------------------------
# The same ZYF2 format, written and read piece by piece: AES-GCM is a stream cipher with one tag
# at the end, and ``cryptography``'s GCM encryptor/decryptor give exactly the bytes AESGCM would
# (``decrypt_file`` reads a streamed file too). Memory stays at one chunk however large the file.

STREAM_CHUNK = 1024 * 1024


def encrypt_stream(chunks, path: Path, *, purpose: str) -> tuple[str, int]:
    """Write the byte chunks of ``chunks`` encrypted to ``path`` (created 0600, never
    overwritten; removed if anything fails). Returns (the file key sealed for ``purpose``, the
    plaintext size)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE)
    enc = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(_aad(purpose))
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + nonce)
            for chunk in chunks:
                size += len(chunk)
                out.write(enc.update(chunk))
            out.write(enc.finalize() + enc.tag)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return crypto.seal(base64.b64encode(key).decode("ascii"), purpose=purpose), size


def _stream_parts(path: Path, sealed_key: str, purpose: str):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(crypto.unseal(sealed_key, purpose=purpose))
    total = os.path.getsize(path)
    if total < len(MAGIC) + NONCE + TAG:
        raise DecryptionError("damaged file")
    with open(path, "rb") as src:
        if src.read(len(MAGIC)) != MAGIC:
            raise DecryptionError("not an encrypted file")
        nonce = src.read(NONCE)
        src.seek(total - TAG)
        tag = src.read(TAG)
    dec = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(_aad(purpose))
    return dec, len(MAGIC) + NONCE, total - TAG


def _stream_decrypt(path: Path, sealed_key: str, purpose: str, *, keep: bool):
    dec, start, end = _stream_parts(path, sealed_key, purpose)
    with open(path, "rb") as src:
        src.seek(start)
        left = end - start
        while left:
            data = src.read(min(STREAM_CHUNK, left))
            if not data:
                raise DecryptionError("truncated file")
            left -= len(data)
            plain = dec.update(data)
            if keep:
                yield plain
    try:
        dec.finalize()
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc


def decrypt_stream(path: Path, *, sealed_key: str, purpose: str):
    """The plaintext of ``path`` in chunks. The whole file is authenticated first (a pass that
    keeps nothing), so no byte of a tampered file is handed out; ``DecryptionError`` otherwise."""
    for _ in _stream_decrypt(path, sealed_key, purpose, keep=False):
        pass
    return _stream_decrypt(path, sealed_key, purpose, keep=True)

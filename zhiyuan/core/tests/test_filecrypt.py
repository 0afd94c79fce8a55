"""Files at rest (``core.filecrypt``): whole-file AES-GCM from ``cryptography``, key sealed with
the key ring; files of the retired segmented format stay readable (issue #7 item 8)."""

import base64
import io
import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.checks import run_checks

from zhiyuan.core import crypto, filecrypt
from zhiyuan.core.crypto import DecryptionError


def _round_trip(tmp_path, data: bytes, purpose="t.file") -> bytes:
    path = tmp_path / "f.enc"
    key = filecrypt.encrypt_file(io.BytesIO(data), path, purpose=purpose)
    out = io.BytesIO()
    filecrypt.decrypt_file(path, out, sealed_key=key, purpose=purpose)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 7, 20 * 1024 * 1024])
def test_round_trip_up_to_the_upload_cap(tmp_path, size):
    data = os.urandom(size)
    assert _round_trip(tmp_path, data) == data


def test_file_is_private_one_aes_gcm_message_and_hides_its_content(tmp_path):
    path = tmp_path / "f.enc"
    data = b"PK\x03\x04 44130219900101123X" * 100
    sealed_key = filecrypt.encrypt_file(io.BytesIO(data), path, purpose="t.file")
    raw = path.read_bytes()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert b"44130219900101123X" not in raw and raw.startswith(b"ZYF2")
    # the standard construction: AESGCM(key).decrypt(nonce, ciphertext || tag, associated data)
    key = base64.b64decode(crypto.unseal(sealed_key, purpose="t.file"))
    assert AESGCM(key).decrypt(raw[4:16], raw[16:], b"ZYF2t.file") == data
    assert len(raw) == 4 + 12 + len(data) + 16


def test_tampered_truncated_or_moved_files_are_refused(tmp_path):
    path = tmp_path / "f.enc"
    key = filecrypt.encrypt_file(io.BytesIO(b"x" * 1000), path, purpose="t.file")
    raw = path.read_bytes()
    for damaged in (raw[:-1], raw[:20], raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:], b"ZYF9" + raw[4:]):
        path.write_bytes(damaged)
        with pytest.raises(DecryptionError):
            filecrypt.decrypt_file(path, io.BytesIO(), sealed_key=key, purpose="t.file")
    path.write_bytes(raw)
    with pytest.raises(DecryptionError):  # the key of a file sealed for another purpose
        filecrypt.decrypt_file(path, io.BytesIO(), sealed_key=key, purpose="t.other")


def test_file_over_the_cap_is_refused_and_not_written(tmp_path):
    path = tmp_path / "f.enc"
    with pytest.raises(filecrypt.FileTooLarge):
        filecrypt.encrypt_file(io.BytesIO(b"x" * 101), path, purpose="t.file", max_bytes=100)
    assert not path.exists()


def _write_v1(path, data: bytes, key: bytes, purpose: str) -> None:
    """A file of the retired ``ZYF1`` format as the previous release wrote it."""
    prefix, seg = os.urandom(8), 1 << 20
    blocks = [data[i : i + seg] for i in range(0, len(data), seg)] or [b""]
    out = b"ZYF1" + prefix
    for i, block in enumerate(blocks):
        aad = purpose.encode() + struct.pack(">I?", i, i == len(blocks) - 1)
        ct = AESGCM(key).encrypt(prefix + struct.pack(">I", i), block, aad)
        out += struct.pack(">I", len(ct)) + ct
    path.write_bytes(out)


def test_files_waiting_in_the_old_segmented_format_stay_readable(tmp_path):
    key = AESGCM.generate_key(bit_length=256)
    sealed_key = crypto.seal(base64.b64encode(key).decode(), purpose="t.file")
    data = os.urandom((2 << 20) + 3)
    path = tmp_path / "old.enc"
    _write_v1(path, data, key, "t.file")
    out = io.BytesIO()
    filecrypt.decrypt_file(path, out, sealed_key=sealed_key, purpose="t.file")
    assert out.getvalue() == data
    path.write_bytes(path.read_bytes()[: -(1 << 20)])  # cut off at a segment boundary
    with pytest.raises(DecryptionError):
        filecrypt.decrypt_file(path, io.BytesIO(), sealed_key=sealed_key, purpose="t.file")


def test_an_upload_cap_above_what_files_may_hold_is_a_start_up_error(settings):
    assert not [m for m in run_checks() if m.id == "core.E001"]
    settings.ZHIYUAN_IMPORT_MAX_UPLOAD_MB = filecrypt.MAX_BYTES // (1024 * 1024) + 1
    [error] = [m for m in run_checks() if m.id == "core.E001"]
    assert "ZHIYUAN_IMPORT_MAX_UPLOAD_MB" in error.msg

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyuan.core import crypto
from zhiyuan.core.keys import load_keys, new_key_data, parse_key_data, write_key_file


@given(st.text(max_size=200))
def test_seal_round_trip(value):
    token = crypto.seal(value, purpose="t.x")
    assert crypto.unseal(token, purpose="t.x") == value


def test_sealed_token_hides_plaintext_and_differs_each_time():
    a = crypto.seal("44130219900101123X", purpose="t.x")
    b = crypto.seal("44130219900101123X", purpose="t.x")
    assert a != b
    assert "44130219900101123X" not in a


def test_token_is_bound_to_its_purpose():
    token = crypto.seal("secret", purpose="volunteers.id_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(token, purpose="accounts.totp")


def test_tampered_token_is_refused():
    token = crypto.seal("secret", purpose="p")
    kid, payload = token.split(":", 1)
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 0x01  # flip one bit of the tag (editing a base64 character may only touch padding bits)
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(f"{kid}:{base64.b64encode(bytes(raw)).decode()}", purpose="p")


def test_unknown_key_id_is_refused():
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal("nokey:AAAA", purpose="p")


def test_blind_index_is_deterministic_keyed_and_purpose_bound():
    a = crypto.blind_index("111:44130219900101123X", purpose="p")
    assert a == crypto.blind_index("111:44130219900101123X", purpose="p")
    assert a != crypto.blind_index("111:44130219900101123X", purpose="q")
    assert "4413" not in a and len(a) == 64


def test_signatures_verify_and_detect_changes():
    sig = crypto.sign(b"payload")
    assert crypto.verify(b"payload", sig)
    assert not crypto.verify(b"payload!", sig)


@pytest.mark.parametrize(
    ("value", "masked"),
    [("44130219900101123X", "4413**********123X"), ("H12345678", "*********"), ("", "")],
)
def test_mask(value, masked):
    assert crypto.mask(value) == masked


def test_mask_mobile():
    assert crypto.mask_mobile("13812345678") == "138****5678"


def test_key_file_is_generated_private_and_reloads(tmp_path, monkeypatch):
    monkeypatch.delenv("ZHIYUAN_KEY_FILE", raising=False)
    monkeypatch.delenv("ZHIYUAN_SECRET_KEY", raising=False)
    ring = load_keys(tmp_path)
    path = tmp_path / "keys.json"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    again = load_keys(tmp_path)
    assert again.id_keys == ring.id_keys and again.blind_index_key == ring.blind_index_key


def test_missing_key_file_is_an_error_when_required(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIYUAN_REQUIRE_KEY_FILE", "1")
    monkeypatch.delenv("ZHIYUAN_KEY_FILE", raising=False)
    with pytest.raises(RuntimeError):
        load_keys(tmp_path)


def test_key_file_with_unknown_current_key_is_refused(tmp_path):
    data = new_key_data()
    data["id_key_current"] = "k9"
    path = tmp_path / "keys.json"
    write_key_file(path, data)
    with pytest.raises(ValueError):
        parse_key_data(path, json.loads(path.read_text()))

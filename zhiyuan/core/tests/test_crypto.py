import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyuan.core import crypto
from zhiyuan.core.keys import KeyFileError, load_keys, new_key_data, parse_key_data, rotate_signing_key, write_key_file


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
    kid, sig = crypto.sign(b"payload")
    assert kid == crypto.signing_key_id()
    assert crypto.verify(b"payload", sig, key_id=kid)
    assert not crypto.verify(b"payload!", sig, key_id=kid)
    assert not crypto.verify(b"payload", sig, key_id="nokey")


def test_retired_signing_key_still_verifies_and_is_published(settings):
    """Issue #7 item 8: rotation keeps the old public key; the key set names both by key id."""
    old_kid, sig = crypto.sign(b"certificate")
    settings.KEYS = parse_key_data(settings.KEYS.path, rotate_signing_key(json.loads(settings.KEYS.path.read_text())))
    new_kid, new_sig = crypto.sign(b"certificate")
    assert new_kid != old_kid and old_kid not in settings.KEYS.signing_seeds
    assert crypto.verify(b"certificate", sig, key_id=old_kid)
    assert crypto.verify(b"certificate", new_sig, key_id=new_kid)
    assert not crypto.verify(b"certificate", sig, key_id=new_kid)
    jwks = crypto.public_key_set()["keys"]
    assert [(k["kid"], k["status"]) for k in jwks] == [(new_kid, "current"), (old_kid, "retired")]
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["alg"] == "EdDSA" for k in jwks)
    raw = base64.urlsafe_b64decode(jwks[1]["x"] + "=")
    assert crypto.verify(b"certificate", sig, key_id=old_kid) and raw == crypto.public_key_bytes(old_kid)
    assert "d" not in jwks[0] and "seed" not in json.dumps(jwks)


def test_public_key_set_is_published_at_a_stable_url(client, settings):
    kid, sig = crypto.sign(b"x")
    response = client.get("/.well-known/zhiyuan-keys.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"]
    (key,) = response.json()["keys"]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    assert key["kid"] == kid and key["status"] == "current"
    Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "=")).verify(sig, b"x")
    secret_parts = [settings.KEYS.secret_key, base64.b64encode(settings.KEYS.signing_seed).decode()]
    assert not any(s in response.content.decode() for s in secret_parts)


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


def test_no_key_file_is_generated_beside_an_existing_database(tmp_path, monkeypatch):
    """Issue #11 item 4: a database restored without its key file must not get new keys."""
    import sqlite3

    monkeypatch.delenv("ZHIYUAN_KEY_FILE", raising=False)
    monkeypatch.delenv("ZHIYUAN_REQUIRE_KEY_FILE", raising=False)
    db = sqlite3.connect(tmp_path / "zhiyuan.sqlite3")
    db.execute("CREATE TABLE django_migrations (id integer)")
    db.close()
    with pytest.raises(RuntimeError, match="database already holds data"):
        load_keys(tmp_path, database_url=f"sqlite:///{tmp_path / 'zhiyuan.sqlite3'}")
    assert not (tmp_path / "keys.json").exists()
    # an empty database file (created but never migrated) is still a fresh start
    empty = tmp_path / "empty"
    empty.mkdir()
    sqlite3.connect(empty / "zhiyuan.sqlite3").close()
    load_keys(empty, database_url=f"sqlite:///{empty / 'zhiyuan.sqlite3'}")
    assert (empty / "keys.json").exists()


def test_first_format_key_file_reads_as_key_ids_b1_and_s1(tmp_path):
    data = {k: v for k, v in new_key_data().items() if k not in ("blind_index_keys", "signing_keys")}
    data["blind_index_key"] = base64.b64encode(b"b" * 32).decode()
    data["signing_seed"] = base64.b64encode(b"s" * 32).decode()
    del data["blind_index_key_current"], data["signing_key_current"]
    ring = parse_key_data(tmp_path / "keys.json", data)
    assert ring.blind_index_keys == {"b1": b"b" * 32} and ring.signing_seeds == {"s1": b"s" * 32}


def test_key_file_with_unknown_current_key_is_refused(tmp_path):
    data = new_key_data()
    data["id_key_current"] = "k9"
    path = tmp_path / "keys.json"
    write_key_file(path, data)
    with pytest.raises(KeyFileError, match="names no key"):
        parse_key_data(path, json.loads(path.read_text()))

"""E-card tokens (VOL-8): valid, expired, forged; star-level placeholder."""

import base64
import time

import pytest

from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.services.card import CARD_TOKEN_TTL, card_token_for, star_level_label

pytestmark = pytest.mark.django_db


def test_valid_token_verifies_with_masked_name(volunteer):
    token, expires = svc.card_token_issue(actor=volunteer.user)
    assert expires - time.time() <= CARD_TOKEN_TTL + 1
    assert len(token) < 130 and volunteer.volunteer_no in token
    check = svc.card_token_verify(token=token)
    assert check.volunteer == volunteer
    info = svc.card_public_info(check.volunteer)
    assert info["name"] == "陈*愿" and info["volunteer_no"] == volunteer.volunteer_no
    assert info["star_level"] is None and info["star_level_label"] == star_level_label(None) == "暂无星级"
    assert set(info) == {"name", "volunteer_no", "status", "status_label", "star_level", "star_level_label"}


def test_token_inside_the_qr_url_is_accepted(volunteer):
    token, _ = svc.card_token_issue(actor=volunteer.user)
    assert svc.card_token_verify(token=f"https://zy.example/volunteers/card/verify/?t={token}").volunteer == volunteer


def test_expired_token_is_refused(volunteer):
    token, _expires = card_token_for(volunteer, now=time.time() - CARD_TOKEN_TTL - 120)
    with pytest.raises(DomainError) as e:
        svc.card_token_verify(token=token)
    assert e.value.code == "token_expired"


def test_token_within_clock_skew_is_accepted(volunteer):
    token, expires = card_token_for(volunteer)
    assert svc.card_token_verify(token=token, now=expires + 10).volunteer == volunteer


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace(t.split(".")[3], str(int(t.split(".")[3]) + 3600)),  # extended expiry
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # signature changed
        lambda t: t.replace(t.split(".")[2], "0000000001"),  # someone else's number
        lambda t: t.replace(".s1.", ".s9.", 1),  # a key id the instance does not have
        lambda t: "zyc1." + t.split(".", 2)[2],  # the old format without a key id
        lambda t: "",
        lambda t: "<script>alert(1)</script>",
        lambda t: "x" * 10_000,
        lambda t: t + "😀",
    ],
)
def test_forged_or_garbled_token_is_refused(volunteer, mutate):
    token, _ = svc.card_token_issue(actor=volunteer.user)
    with pytest.raises(DomainError) as e:
        svc.card_token_verify(token=mutate(token))
    assert e.value.code == "token_invalid"


def test_token_signed_by_another_instance_is_refused(volunteer, settings):
    import dataclasses
    import os

    ours = settings.KEYS
    settings.KEYS = dataclasses.replace(ours, signing_seeds={ours.signing_key_current: os.urandom(32)})
    foreign, _ = card_token_for(volunteer)
    settings.KEYS = ours
    with pytest.raises(DomainError) as e:
        svc.card_token_verify(token=foreign)
    assert e.value.code == "token_invalid"


def test_token_carries_the_key_id_and_still_verifies_after_the_key_is_retired(volunteer, settings):
    """Issue #7 item 8: a rotation keeps the old public key, and the token names its key."""
    from zhiyuan.core.keys import parse_key_data, rotate_signing_key

    ring = settings.KEYS
    data = _key_data(ring)
    token, _ = card_token_for(volunteer)
    assert token.split(".")[1] == ring.signing_key_current
    settings.KEYS = parse_key_data(ring.path, rotate_signing_key(data))
    assert settings.KEYS.signing_key_current != ring.signing_key_current
    assert ring.signing_key_current not in settings.KEYS.signing_seeds  # only its public half is kept
    assert svc.card_token_verify(token=token).volunteer == volunteer
    fresh, _ = card_token_for(volunteer)
    assert fresh.split(".")[1] == settings.KEYS.signing_key_current
    assert svc.card_token_verify(token=fresh).volunteer == volunteer
    # the new key's signature under the old key id (or the reverse) does not verify
    with pytest.raises(DomainError):
        svc.card_token_verify(token=fresh.replace(f".{settings.KEYS.signing_key_current}.", f".{ring.signing_key_current}.", 1))


def _key_data(ring) -> dict:
    import json

    return json.loads(ring.path.read_text(encoding="utf-8"))


def test_foreign_signature_is_refused(volunteer, settings):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from zhiyuan.volunteers.services.card import _message

    expiry = int(time.time()) + 60
    kid = settings.KEYS.signing_key_current
    sig = Ed25519PrivateKey.generate().sign(_message(kid, volunteer.volunteer_no, expiry))
    token = f"zyc2.{kid}.{volunteer.volunteer_no}.{expiry}." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
    with pytest.raises(DomainError) as e:
        svc.card_token_verify(token=token)
    assert e.value.code == "token_invalid"


def test_no_token_for_restricted_or_suspended_volunteers(volunteer, county_manager):
    token, _ = svc.card_token_issue(actor=volunteer.user)
    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="suspended", reason="核查")
    with pytest.raises(DomainError):
        svc.card_token_issue(actor=volunteer.user)
    with pytest.raises(DomainError) as e:
        svc.card_token_verify(token=token)
    assert e.value.code == "volunteer_inactive"
    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="active", reason="恢复")
    svc.consent_withdraw(actor=volunteer.user)
    with pytest.raises(DomainError):
        svc.card_token_issue(actor=volunteer.user)
    with pytest.raises(DomainError) as e:
        svc.card_token_verify(token=token)
    assert e.value.code == "token_invalid"


def test_star_level_provider_hook(volunteer):
    from zhiyuan.volunteers.services import card

    def provider(v):
        return 3

    card.register_star_level_provider(provider)
    try:
        assert svc.card_public_info(volunteer)["star_level_label"] == "3星志愿者"
    finally:
        card._star_level_providers.remove(provider)

"""The keys must open the data (issue #11 item 4): a database beside the wrong key file is
refused at start-up, by ``migrate`` and by ``manage.py keys_check``, never answered with 500s."""

import dataclasses
import importlib
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from zhiyuan.core import keycheck
from zhiyuan.core.keys import new_key_data, parse_key_data
from zhiyuan.core.models import KeyCanary

pytestmark = pytest.mark.django_db


def _other_key_file(settings):
    """What a restore without the key file used to get: a new file with the same key ids."""
    return parse_key_data(settings.KEYS.path, new_key_data())


def test_matching_keys_pass_and_every_key_has_a_canary(settings, volunteer, county_manager):
    out = io.StringIO()
    call_command("keys_check", stdout=out)
    assert "keys open the data" in out.getvalue()
    ring = settings.KEYS
    assert set(KeyCanary.objects.values_list("kind", "key_id")) == {
        ("id", ring.id_key_current),
        ("blind", ring.blind_index_key_current),
        ("signing", ring.signing_key_current),
    }
    keycheck.refuse_unless_keys_open_data()  # does not raise


def test_a_new_key_file_beside_the_data_is_refused_everywhere(settings, volunteer, county_manager):
    settings.KEYS = _other_key_file(settings)
    problems = keycheck.key_problems()
    text = "\n".join(problems)
    assert "AES-GCM key k1" in text and "HMAC key b1" in text and "Ed25519 key s1" in text
    assert "accounts.User.totp_secret_sealed" in text and "volunteers.Volunteer.id_number_sealed" in text
    with pytest.raises(CommandError, match="does not open this database"):
        call_command("keys_check")
    with pytest.raises(ImproperlyConfigured, match="Refusing to start"):
        keycheck.refuse_unless_keys_open_data()
    with pytest.raises(ImproperlyConfigured, match="Refusing to start"):  # gunicorn and runserver load this
        import zhiyuan.wsgi

        importlib.reload(zhiyuan.wsgi)
    from django.core.checks import run_checks

    assert [e.id for e in run_checks(databases=["default"])] == ["core.E002"]  # migrate
    assert KeyCanary.objects.filter(key_id__in=["k2", "b2", "s2"]).count() == 0  # nothing enrolled


def test_data_from_before_canaries_is_checked_too(settings, volunteer, county_manager):
    KeyCanary.objects.all().delete()
    settings.KEYS = _other_key_file(settings)
    text = "\n".join(keycheck.key_problems())
    assert "totp_secret_sealed" in text and "id_number_sealed" in text


def test_a_key_removed_while_data_still_need_it_is_named(settings, volunteer):
    ring = settings.KEYS
    settings.KEYS = dataclasses.replace(ring, id_keys={"k9": b"k" * 32}, id_key_current="k9")
    [problem, *_rest] = keycheck.key_problems()
    assert f"key {ring.id_key_current}: data are sealed under it" in problem and "id_number_sealed" in problem


def test_a_database_without_sealed_data_or_canaries_passes(settings):
    KeyCanary.objects.all().delete()
    settings.KEYS = _other_key_file(settings)
    assert keycheck.key_problems() == []
    assert keycheck.keys_enroll() == 3

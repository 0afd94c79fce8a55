"""Operators can rotate every key (issue #11 item 9), each with ``manage.py keys_rotate`` and
the command that moves the data: the sealing key (``rotate_keys``), the blind-index key
(``reindex_blind``; look-ups keep working meanwhile), the signing key and the secret key."""

import dataclasses
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhiyuan.core import keycheck, keys, sealed
from zhiyuan.core.errors import DomainError
from zhiyuan.core.models import KeyCanary
from zhiyuan.volunteers.documents import document_unseal
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.selectors import volunteer_find_by_document
from zhiyuan.volunteers.services.registration import MSG_DUPLICATE_DOCUMENT
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_file(settings, tmp_path):
    """The test ring in a throw-away key file that the commands may rewrite."""
    path = tmp_path / "keys.json"
    keys.write_key_file(path, keys.read_key_data(settings.KEYS.path))
    settings.KEYS = dataclasses.replace(settings.KEYS, path=path)
    return path


def restart(settings, path):
    """What restarting the servers does: read the key file again."""
    settings.KEYS = keys.parse_key_data(path, json.loads(path.read_text()))
    return settings.KEYS


def test_sealing_key_rotation(settings, key_file, volunteer, county_manager):
    old = settings.KEYS.id_key_current
    call_command("keys_rotate", "id", stdout=io.StringIO())
    assert (key_file.stat().st_mode & 0o777) == 0o600
    ring = restart(settings, key_file)
    assert ring.id_key_current != old and old in ring.id_keys
    with pytest.raises(CommandError, match="rotate_keys first"):
        call_command("keys_rotate", "id", "--retire", stdout=io.StringIO())
    call_command("rotate_keys", "--batch-size", "1", "--pause", "0", stdout=io.StringIO())
    assert sealed.rows_left() == 0
    call_command("keys_rotate", "id", "--retire", stdout=io.StringIO())
    ring = restart(settings, key_file)
    assert list(ring.id_keys) == [ring.id_key_current]
    assert not KeyCanary.objects.filter(kind="id", key_id=old).exists()
    call_command("keys_check", stdout=io.StringIO())
    volunteer.refresh_from_db()
    assert len(document_unseal(volunteer.id_number_sealed)) == 18


def test_rotation_leaves_a_value_a_user_changed_meanwhile_alone(settings, key_file, volunteer):
    """The batches update a row only if it still holds the token read (no lost update)."""
    call_command("keys_rotate", "id", stdout=io.StringIO())
    restart(settings, key_file)
    token = volunteer.id_number_sealed
    changed = sealed._conditional_update(Volunteer, "id_number_sealed", [(volunteer.pk, "a stale token", "x")])
    assert changed == 0
    volunteer.refresh_from_db()
    assert volunteer.id_number_sealed == token


def assert_duplicate(number):
    with pytest.raises(DomainError) as e:
        register(name="重复者", id_number=number)
    assert e.value.fields["id_number"] == [MSG_DUPLICATE_DOCUMENT]


def test_blind_index_rotation_keeps_lookups_working(settings, key_file, county_manager):
    people = [register(name=name, birth=dt.date(1980 + i, 3, 9)) for i, name in enumerate(["索引甲", "索引乙", "索引丙"])]
    numbers = {v.pk: document_unseal(v.id_number_sealed) for v in people}
    old_index = {v.pk: v.id_number_index for v in people}
    call_command("keys_rotate", "blind-index", stdout=io.StringIO())
    ring = restart(settings, key_file)
    assert len(ring.blind_index_keys) == 2
    # before and while re-indexing: rows still hold the old key's index and are found
    for v in people:
        assert list(volunteer_find_by_document(actor=county_manager, number=numbers[v.pk])) == [v]
    assert_duplicate(numbers[people[0].pk])
    with pytest.raises(CommandError, match="reindex_blind first"):
        call_command("keys_rotate", "blind-index", "--retire", stdout=io.StringIO())
    out = io.StringIO()
    call_command("reindex_blind", "--batch-size", "2", "--pause", "0", stdout=out)
    assert "recomputed 3 index(es)" in out.getvalue()
    for v in people:
        v.refresh_from_db()
        assert v.id_number_index != old_index[v.pk]
    assert sealed.index_rows_left() == 0
    call_command("keys_rotate", "blind-index", "--retire", stdout=io.StringIO())
    ring = restart(settings, key_file)
    assert list(ring.blind_index_keys) == [ring.blind_index_key_current]
    for v in people:
        assert list(volunteer_find_by_document(actor=county_manager, number=numbers[v.pk])) == [v]
    assert_duplicate(numbers[people[1].pk])
    assert keycheck.key_problems() == []


def test_signing_key_rotation_keeps_the_old_public_key_published(settings, key_file, client):
    old = settings.KEYS.signing_key_current
    call_command("keys_rotate", "signing", stdout=io.StringIO())
    ring = restart(settings, key_file)
    assert old in ring.retired_public_keys and old not in ring.signing_seeds
    assert '"seed"' not in json.dumps(json.loads(key_file.read_text())["signing_keys"][old])
    published = {k["kid"]: k["status"] for k in client.get("/.well-known/zhiyuan-keys.json").json()["keys"]}
    assert published == {ring.signing_key_current: "current", old: "retired"}
    with pytest.raises(CommandError):
        call_command("keys_rotate", "signing", "--retire", stdout=io.StringIO())
    assert keycheck.key_problems() == []


def test_secret_key_rotation_keeps_sessions_while_the_old_key_is_a_fallback(settings, key_file, volunteer):
    """Django re-signs a session that arrives under a fallback key; one that never came back
    before the old key was retired is signed out."""
    from django.test import Client

    import zhiyuan.settings as project_settings

    assert project_settings.SECRET_KEY_FALLBACKS == list(project_settings.KEYS.secret_key_fallbacks)
    active, away = Client(), Client()
    for c in (active, away):
        c.force_login(volunteer.user)
        assert c.get("/volunteers/me/").status_code == 200
    old = settings.KEYS.secret_key
    call_command("keys_rotate", "secret", stdout=io.StringIO())
    ring = restart(settings, key_file)
    assert ring.secret_key != old and ring.secret_key_fallbacks == (old,)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = ring.secret_key, list(ring.secret_key_fallbacks)
    assert active.get("/volunteers/me/").status_code == 200  # still signed in, now under the new key
    call_command("keys_rotate", "secret", "--retire", stdout=io.StringIO())
    ring = restart(settings, key_file)
    assert ring.secret_key_fallbacks == ()
    settings.SECRET_KEY_FALLBACKS = []
    assert active.get("/volunteers/me/").status_code == 200
    assert away.get("/volunteers/me/").status_code == 302  # its session was signed with the retired key

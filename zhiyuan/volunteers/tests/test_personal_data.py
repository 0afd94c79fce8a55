"""VOL-2: the database never contains a plaintext document number; sealing round-trips; keys
rotate (``manage.py rotate_keys``)."""

import base64
import dataclasses
import io
import os
import re

import pytest
from django.core.management import call_command
from django.db import connection

from zhiyuan.core import crypto
from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers import documents
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.models import ProfileCorrectionRequest, Volunteer
from zhiyuan.volunteers.services import RegistrationInput
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CANDIDATE = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{16}[0-9Xx])(?![0-9A-Za-z])")


def checksum_valid(number: str) -> bool:
    total = sum(int(c) * w for c, w in zip(number[:17], WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "ignore")
    if isinstance(value, dict | list):
        return repr(value)
    return None


def scan_database(needles: set[str]) -> list[tuple[str, str]]:
    """Every text value of every table: the given numbers (any case) and any checksum-valid
    18-character resident-ID-like number standing on its own."""
    hits = []
    lowered = {n.lower() for n in needles}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor, include_views=False):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    text = _text(value)
                    if not text:
                        continue
                    low = text.lower()
                    for n in lowered:
                        if n in low:
                            hits.append((table, n))
                    for m in CANDIDATE.finditer(text):
                        if checksum_valid(m.group(1)):
                            hits.append((table, m.group(1)))
    return hits


def test_database_contains_no_plaintext_document_number(city_manager):
    numbers = set()
    vols = []
    for i, name in enumerate(["赵一", "钱二", "孙三", "李四"]):
        data = f.registration_data(name=name, male=bool(i % 2))
        numbers.add(data["id_number"])
        vols.append(svc.volunteer_register(actor=None, registration=RegistrationInput(**data)))
    minor = {**f.registration_data(name="周小五", birth=f.years_ago(13)), **f.guardian_data()}
    numbers.add(minor["id_number"])
    vols.append(svc.volunteer_register(actor=None, registration=RegistrationInput(**minor)))
    # Paths that touch the number: a refused duplicate, a correction to a new number, a
    # manager's reveal, the person's data download, an e-card token.
    with pytest.raises(DomainError):
        svc.volunteer_register(actor=None, registration=f.registration_input(id_number=next(iter(numbers))))
    corrected = f.resident_id(address="441303")
    numbers.add(corrected)
    svc.correction_request_create(actor=vols[0].user, field="document", id_type="111", id_number=corrected, reason="号码录入错误")
    assert svc.volunteer_reveal_id_number(actor=city_manager, volunteer_id=vols[1].pk, reason="核实身份") in numbers
    svc.my_data(actor=vols[2].user)
    svc.card_token_issue(actor=vols[3].user)

    assert scan_database(numbers) == []


def test_scanner_finds_a_planted_plaintext_number(volunteer):
    """The scan above would fail if a number were stored in plaintext anywhere."""
    number = documents.document_unseal(volunteer.id_number_sealed)
    Volunteer.objects.filter(pk=volunteer.pk).update(id_number_masked=number)
    hits = scan_database({number})
    assert ("volunteers_volunteer", number.lower()) in hits
    assert ("volunteers_volunteer", number) in hits  # found by the checksum pattern as well


def test_sealed_number_round_trips_and_is_bound_to_its_purpose(volunteer):
    token = volunteer.id_number_sealed
    number = documents.document_unseal(token)
    assert len(number) == 18 and number not in token
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(token, purpose="volunteers.correction")
    assert crypto.token_key_id(token) == crypto._ring().id_key_current


# --- key rotation -----------------------------------------------------------------------------


def _ring_with_new_key(settings, kid="k-new"):
    old = settings.KEYS
    new = dataclasses.replace(old, id_keys={**old.id_keys, kid: os.urandom(32)}, id_key_current=kid)
    settings.KEYS = new
    return old, new


def test_rotate_keys_reseals_rows_under_the_new_key(settings):
    vols = [f.register(name=n) for n in ("赵一", "钱二", "孙三")]
    plain = {v.pk: documents.document_unseal(v.id_number_sealed) for v in vols}
    new_number = f.resident_id()
    svc.correction_request_create(actor=vols[0].user, field="document", id_type="111", id_number=new_number, reason="录入错误")
    old, _new = _ring_with_new_key(settings)
    old_kid = old.id_key_current
    assert all(v.id_number_sealed.startswith(f"{old_kid}:") for v in Volunteer.objects.all())

    out = io.StringIO()
    call_command("rotate_keys", "--dry-run", stdout=out)
    assert all(v.id_number_sealed.startswith(f"{old_kid}:") for v in Volunteer.objects.all())
    assert "rows left under other keys: 4" in out.getvalue()

    out = io.StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out)
    assert "rows left under other keys: 0" in out.getvalue()
    for v in Volunteer.objects.all():
        assert v.id_number_sealed.startswith("k-new:")
        assert documents.document_unseal(v.id_number_sealed) == plain[v.pk]
    req = ProfileCorrectionRequest.objects.get()
    assert req.requested_sealed.startswith("k-new:")

    # The old key can now be retired: everything still decrypts without it.
    settings.KEYS = dataclasses.replace(settings.KEYS, id_keys={"k-new": settings.KEYS.id_keys["k-new"]})
    for v in Volunteer.objects.all():
        assert documents.document_unseal(v.id_number_sealed) == plain[v.pk]
    # The blind index is unchanged, so duplicates are still found after rotation.
    with pytest.raises(DomainError) as e:
        svc.volunteer_register(actor=None, registration=f.registration_input(id_number=plain[vols[1].pk]))
    assert "id_number" in e.value.fields


def test_rotation_stops_with_a_clear_error_when_a_key_is_missing(settings, volunteer):
    from django.core.management.base import CommandError

    stranger = "k-lost:" + base64.b64encode(os.urandom(40)).decode()
    Volunteer.objects.filter(pk=volunteer.pk).update(id_number_sealed=stranger)
    with pytest.raises(CommandError, match="old key"):
        call_command("rotate_keys", stdout=io.StringIO())


def test_rotate_keys_help_documents_the_procedure():
    from zhiyuan.core.management.commands.rotate_keys import Command

    text = Command.help
    assert "id_keys" in text and "id_key_current" in text and "ZHIYUAN_KEY_FILE" in text

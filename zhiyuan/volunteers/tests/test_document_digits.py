"""One document is one registration, however its digits are typed (VOL-1/VOL-2, issue #8): a
superscript or Arabic-Indic digit is a digit on every path (API, form, guardian partial, import),
never a server error, and gives the same blind index as its ASCII form."""

import json
import re

import pytest
from django.urls import reverse

from zhiyuan.testing import import_workbook
from zhiyuan.volunteers import documents, imports
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db
API = "/api/v1/volunteers/register"
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def superscripted(number: str) -> str:
    return number[:16] + number[16].translate(SUPERSCRIPT) + number[17]


def register_api(client, data):
    return client.post(API, data=json.dumps(data), content_type="application/json")


def test_api_registration_with_a_superscript_digit_registers_the_ascii_number(client):
    number = f.resident_id()
    r = register_api(client, f.registration_data(id_number=superscripted(number)))
    assert r.status_code == 201, r.content
    v = Volunteer.objects.get()
    assert documents.document_unseal(v.id_number_sealed) == number
    assert v.id_number_index == documents.document_index("111", number)
    again = register_api(client, f.registration_data(id_number=number))
    assert again.status_code == 400 and "id_number" in again.json()["fields"]


def test_api_registration_with_a_non_decimal_digit_is_a_field_error(client):
    number = f.resident_id()
    r = register_api(client, f.registration_data(id_number=number[:16] + "Ⅰ" + number[17]))
    assert r.status_code == 400 and "id_number" in r.json()["fields"]


@pytest.mark.parametrize("id_type", ["511", "516"])
def test_travel_permit_digits_in_another_script_are_the_same_document(client, id_type):
    ascii_number = "01234567" if id_type == "511" else "H01234567"
    data = f.registration_data(
        id_type=id_type, id_number=ascii_number.translate(ARABIC_INDIC), gender="1", birth_date="1990-01-01"
    )
    assert register_api(client, data).status_code == 201
    v = Volunteer.objects.get()
    assert documents.document_unseal(v.id_number_sealed) == ascii_number
    again = register_api(client, {**data, "id_number": ascii_number, "mobile": f.next_mobile()})
    assert again.status_code == 400 and "id_number" in again.json()["fields"]
    assert Volunteer.objects.count() == 1


def test_registration_form_and_guardian_partial_take_a_superscript(client):
    number = f.resident_id(birth=f.years_ago(16))
    url = reverse("volunteers:register_guardian")
    r = client.post(url, {"id_type": "111", "id_number": superscripted(number)})
    assert r.status_code == 200 and re.search(r"<details[^>]*open", r.content.decode())
    data = f.registration_data(id_number=superscripted(f.resident_id()))
    post = {k: ("on" if v is True else v) for k, v in data.items()}
    post["password2"] = post["password"]
    r = client.post(reverse("volunteers:register"), post)
    assert r.status_code in (200, 302) and Volunteer.objects.count() == 1


def test_one_superscript_cell_does_not_fail_the_import(county_manager):
    good = f.resident_id()
    bad = f.resident_id()
    rows = [
        ["张三", "111", superscripted(good), "", "", f.HUICHENG_TOWN, f.next_mobile(), ""],
        ["李四", "111", bad[:16] + "Ⅰ" + bad[17], "", "", f.HUICHENG_TOWN, f.next_mobile(), ""],
        ["王五", "111", good, "", "", f.HUICHENG_TOWN, f.next_mobile(), ""],
    ]
    report = imports.import_volunteers(
        actor=county_manager, parsed=imports.import_parse(import_workbook(rows)), valid_only=True, dry_run=False
    )
    assert report.created == 1 and report.rows == 3
    assert {(e.row, e.field) for e in report.errors} == {(3, "id_number"), (4, "id_number")}
    assert any("第2行" in e.message for e in report.errors if e.row == 4)  # the same document as row 2

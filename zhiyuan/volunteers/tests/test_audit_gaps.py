"""Audit of issues #2/#4 (volunteers): behaviour checks that had no test of their own.

* VOL-1 through the public API for every document type (derived data, field errors, never 500);
* VOL-2 the database scan for every document type, not only resident IDs;
* VOL-2 key rotation must cover every value sealed under ``id_keys`` (TOTP secrets too);
* issue #4 item 11: manager search by mobile / number on the API, wrong-scope region filter.

Tests marked ``xfail(strict=True)`` document a bug found by the audit: they fail today and must
pass once it is fixed (then remove the marker).
"""

import dataclasses
import datetime as dt
import io
import json
import os

import pyotp
import pytest
from django.core.management import call_command

from zhiyuan.accounts.services import totp_secret
from zhiyuan.volunteers import documents
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.idcards import check_character
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.services import RegistrationInput
from zhiyuan.volunteers.tests import factories as f
from zhiyuan.volunteers.tests.test_personal_data import scan_database

pytestmark = pytest.mark.django_db
REGISTER = "/api/v1/volunteers/register"


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


def api_register(client, **overrides):
    return client.post(REGISTER, data=json.dumps(f.registration_data(**overrides)), content_type="application/json")


# --- VOL-1 through the API, one valid and one invalid number of every type -------------------------

VALID = [
    # (id_type, number, extra fields, expected birth date, expected gender)
    ("111", "441302900517123", {}, "1990-05-17", "1"),  # 15-digit, upgraded
    ("991", with_check("81000019950302124"), {}, "1995-03-02", "2"),  # Hong Kong residence permit
    ("991", with_check("82000019950302135"), {}, "1995-03-02", "1"),  # Macau residence permit
    ("992", with_check("83000019950302127"), {}, "1995-03-02", "1"),  # Taiwan residence permit
    ("553", with_check("93184019850715121"), {}, "1985-07-15", "1"),  # permanent residence card, 2023 format
    ("553", "USA310850715012", {"gender": "2", "birth_date": "1985-07-15"}, "1985-07-15", "2"),  # old format
    ("516", "H12345678", {"gender": "1", "birth_date": "1991-02-03"}, "1991-02-03", "1"),
    ("511", "12345678", {"gender": "2", "birth_date": "1992-02-03"}, "1992-02-03", "2"),
    ("414", "E12345678", {"gender": "9", "birth_date": "1993-02-03"}, "1993-02-03", "9"),
]


@pytest.mark.parametrize(("id_type", "number", "extra", "birth", "gender"), VALID)
def test_api_registers_every_document_type_with_derived_or_given_data(client, id_type, number, extra, birth, gender):
    r = api_register(client, id_type=id_type, id_number=number, **extra)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["birth_date"] == birth and body["gender"] == gender
    assert "*" in body["id_number_masked"] and body["id_number_masked"] != number
    v = Volunteer.objects.get(pk=body["id"])
    assert number.upper() not in v.id_number_sealed
    # the same document again is a neutral duplicate (15-digit numbers match their 18-digit form)
    again = with_check(f"{number[:6]}19{number[6:]}") if id_type == "111" and len(number) == 15 else number
    r2 = api_register(client, id_type=id_type, id_number=again, **extra)
    assert r2.status_code == 400 and "id_number" in r2.json()["fields"]


INVALID = [
    ("111", "441302901317123"),  # 15-digit with month 13
    ("111", with_check("44130220990101123")),  # born in the future
    ("111", "44130219900517123" + ("0" if check_character("44130219900517123") != "0" else "1")),  # check digit
    ("991", with_check("44130219900517123")),  # not 810000/820000
    ("992", with_check("81000019950302124")),  # not 830000
    ("553", with_check("13184019850715121")),  # 2023 format must start with 9
    ("553", "US3108507150123"),  # old format: 3 letters + 12 digits
    ("516", "X12345678"),
    ("511", "T1234567"),
    ("414", "E12!"),
    ("414", "<script>alert(1)</script>"),
    ("111", "４４" + "😀" * 16),
]


@pytest.mark.parametrize(("id_type", "number"), INVALID)
def test_api_refuses_invalid_numbers_of_every_type_with_a_field_message(client, id_type, number):
    r = api_register(client, id_type=id_type, id_number=number, gender="1", birth_date="1990-01-01")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "invalid" and body["fields"].get("id_number"), body
    assert not Volunteer.objects.exists()


@pytest.mark.parametrize(("id_type", "number"), [("414", "E12345678"), ("516", "H12345678"), ("511", "12345678")])
def test_future_birth_date_is_one_clear_error_not_a_guardian_request(id_type, number):
    from zhiyuan.core.errors import DomainError

    data = f.registration_data(id_type=id_type, id_number=number, gender="1", birth_date="2099-01-01")
    with pytest.raises(DomainError) as e:
        svc.volunteer_register(actor=None, registration=RegistrationInput(**data))
    assert set(e.value.fields) == {"birth_date"}, e.value.fields


def test_future_birth_date_on_the_page_does_not_open_the_guardian_fields(client):
    import re

    from zhiyuan.volunteers.tests.test_views import form_post

    data = f.registration_data(id_type="414", id_number="E12345678", gender="1", birth_date="2099-01-01")
    page = client.post("/volunteers/register/", form_post(data)).content.decode()
    assert "出生日期不能晚于今天。" in page
    assert not re.search(r'<details id="guardian"[^>]*open', page)
    assert "请填写监护人信息" not in page  # no guardian lead message
    r = client.post("/volunteers/register/guardian/", {"id_type": "414", "id_number": "E12345678", "birth_date": "2099-01-01"})
    assert not re.search(r"<details[^>]*open", r.content.decode())


# --- VOL-2: the plaintext scan for every document type -----------------------------------------------


def test_database_holds_no_plaintext_number_of_any_document_type():
    numbers = set()
    for i, (id_type, number, extra, _birth, _gender) in enumerate(VALID):
        data = f.registration_data(name=f"持证人{'甲乙丙丁戊己庚辛壬癸'[i]}", id_type=id_type, id_number=number, **extra)
        v = svc.volunteer_register(actor=None, registration=RegistrationInput(**data))
        numbers.add(documents.document_unseal(v.id_number_sealed))  # the normalized form
    assert len(numbers) == len(VALID)
    assert scan_database(numbers) == []


# --- VOL-2: key rotation must re-seal everything sealed with the id keys ----------------------------


@pytest.mark.parametrize("command", ["rotate_keys", "volunteers_rotate_keys"])
def test_rotation_then_retiring_the_old_key_keeps_totp_working(client, settings, county_manager, volunteer, command):
    from zhiyuan.accounts.tests.factories import next_code
    from zhiyuan.testing import PASSWORD

    number = documents.document_unseal(volunteer.id_number_sealed)
    old = settings.KEYS
    settings.KEYS = dataclasses.replace(old, id_keys={**old.id_keys, "k-new": os.urandom(32)}, id_key_current="k-new")
    out = io.StringIO()
    call_command(command, stdout=out)
    assert "accounts.User.totp_secret_sealed: re-sealed" in out.getvalue()
    assert "rows left under other keys: 0" in out.getvalue()
    settings.KEYS = dataclasses.replace(settings.KEYS, id_keys={"k-new": settings.KEYS.id_keys["k-new"]})
    county_manager.refresh_from_db()
    assert county_manager.totp_secret_sealed.startswith("k-new:")
    assert pyotp.TOTP(totp_secret(user=county_manager)).now()
    # the whole two-step login, as a manager does it the morning after the old key was removed
    r = client.post("/accounts/login/", {"mobile": county_manager.mobile, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/accounts/login/totp/"
    r = client.post("/accounts/login/totp/", {"code": next_code(county_manager)})
    assert r.status_code == 302 and "_auth_user_id" in client.session
    volunteer.refresh_from_db()
    assert documents.document_unseal(volunteer.id_number_sealed) == number


# --- issue #4 item 11: manager search on the API, wrong scope ---------------------------------------


def test_api_search_by_mobile_and_volunteer_number(client, county_manager, volunteer):
    other = f.register(name="王其他")
    client.force_login(county_manager)
    for q in (volunteer.user.mobile, volunteer.volunteer_no, volunteer.volunteer_no.lower()):
        body = client.get("/api/v1/volunteers", {"q": q}).json()
        assert [i["id"] for i in body["items"]] == [volunteer.pk], q
    assert {i["id"] for i in client.get("/api/v1/volunteers").json()["items"]} == {volunteer.pk, other.pk}


def test_region_filter_outside_the_scope_finds_nobody_on_page_api_and_export(client, county_manager, huiyang_volunteer):
    from openpyxl import load_workbook

    client.force_login(county_manager)
    params = {"region": "441303000000"}
    assert client.get("/api/v1/volunteers", params).json()["items"] == []
    assert huiyang_volunteer.name not in client.get("/volunteers/manage/", params).content.decode()
    wb = load_workbook(io.BytesIO(b"".join(client.get("/volunteers/manage/export.xlsx", params).streaming_content)))
    cells = [c for row in wb.active.iter_rows(values_only=True) for c in row]
    assert huiyang_volunteer.volunteer_no not in cells


def test_age_band_filter_counts_birthdays_in_asia_shanghai(client, county_manager):
    from zhiyuan.volunteers.minors import today_shanghai

    today = today_shanghai()
    turns_30_today = f.register(name="今天三十", birth=today.replace(year=today.year - 30))
    turns_30_tomorrow = f.register(name="明天三十", birth=today.replace(year=today.year - 30) + dt.timedelta(days=1))
    client.force_login(county_manager)
    ids = {i["id"] for i in client.get("/api/v1/volunteers", {"age_min": 30, "age_max": 30}).json()["items"]}
    assert turns_30_today.pk in ids and turns_30_tomorrow.pk not in ids


# --- issue #4: invisible characters in names (core.text, the rule organizations use too) ---------


@pytest.mark.parametrize("name", ["张\u202e三", "张\u200b三", "\ufeff张三", "张\u2028三"])
def test_invisible_characters_in_a_name_are_a_clear_field_error(client, name):
    r = api_register(client, name=name)
    assert r.status_code == 400, r.content
    assert r.json()["fields"]["name"] == ["姓名包含不可见的控制字符，请删除后重试。"]
    assert not Volunteer.objects.exists()


def test_ordinary_whitespace_in_a_name_is_still_tidied_not_refused(client):
    r = api_register(client, name="欧阳\t 小明\n")
    assert r.status_code == 201, r.content
    assert Volunteer.objects.get().name == "欧阳 小明"

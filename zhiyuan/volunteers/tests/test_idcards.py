"""VOL-1 document rules (RULES "Identity documents")."""

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers.idcards import IdType, generate_resident_id, mask_document, parse_document, upgrade_15

TODAY = dt.date(2026, 11, 22)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def reference_check(first17: str) -> str:
    """The formula of RULES.md, written out independently of the code under test."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def with_check(first17: str) -> str:
    return first17 + reference_check(first17)


def parse(id_type, number):
    return parse_document(id_type, number, today=TODAY)


def error_of(id_type, number) -> str:
    with pytest.raises(DomainError) as exc:
        parse(id_type, number)
    return exc.value.fields.get("id_number", exc.value.fields.get("id_type"))[0]


@pytest.mark.parametrize("seq", range(0, 1000, 37))
def test_generated_numbers_pass_the_reference_checksum_and_stdnum(seq):
    number = generate_resident_id("441302", dt.date(1990, 5, 17), seq)
    assert number[17] == reference_check(number[:17])
    assert ric.is_valid(number)


@pytest.mark.django_db
def test_resident_id_derives_birth_date_and_gender():
    doc = parse(IdType.RESIDENT_ID, with_check("44130219900517123"))
    assert doc.birth_date == dt.date(1990, 5, 17) and doc.gender_code == "1" and doc.address_code == "441302"
    assert parse(IdType.RESIDENT_ID, with_check("44130219900517122")).gender_code == "2"


@pytest.mark.django_db
def test_resident_id_normalizes_lower_x_spaces_and_fullwidth():
    body = next(f"441302199005171{d:02d}" for d in range(100) if reference_check(f"441302199005171{d:02d}") == "X")
    number = with_check(body)
    spaced = number[:6] + " " + number[6:14] + "-" + number[14:-1] + "ｘ"
    assert parse(IdType.RESIDENT_ID, spaced).normalized == number


@pytest.mark.django_db
def test_wrong_check_digit_is_rejected_with_a_chinese_message():
    good = with_check("44130219900517123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert "校验位" in error_of(IdType.RESIDENT_ID, bad)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first17", "needle"),
    [
        ("44130219901317123", "出生日期"),  # month 13
        ("44130220270101123", "晚于今天"),  # born in the future
        ("99999919900101123", "地址码"),  # no such address code
        ("81000019900101123", "居住证"),  # a residence permit number typed as a resident ID
    ],
)
def test_bad_resident_ids(first17, needle):
    assert needle in error_of(IdType.RESIDENT_ID, with_check(first17))


@pytest.mark.django_db
def test_historical_address_code_is_accepted_for_people_born_before_its_abolition():
    # 440301 was never a county of 深圳 in stdnum's list; 441321 惠阳县 was abolished in 1994 (became 惠阳市 441381).
    old = with_check("44132119800101123")
    assert parse(IdType.RESIDENT_ID, old).address_code == "441321"


@pytest.mark.django_db
def test_fifteen_digit_numbers_are_upgraded():
    old = "441302900517123"
    doc = parse(IdType.RESIDENT_ID, old)
    assert doc.normalized == upgrade_15(old) == with_check("44130219900517123")
    assert doc.birth_date == dt.date(1990, 5, 17) and doc.gender_code == "1"


@pytest.mark.django_db
def test_residence_permits_need_their_address_codes():
    hk = with_check("81000019950302124")
    assert parse(IdType.HKMO_RESIDENCE_PERMIT, hk).gender_code == "2"
    assert parse(IdType.HKMO_RESIDENCE_PERMIT, with_check("82000019950302125")).gender_code == "1"
    assert parse(IdType.TW_RESIDENCE_PERMIT, with_check("83000019950302125")).birth_date == dt.date(1995, 3, 2)
    assert "830000" in error_of(IdType.TW_RESIDENCE_PERMIT, hk)
    assert "810000" in error_of(IdType.HKMO_RESIDENCE_PERMIT, with_check("44130219900517123"))


def test_foreign_permanent_residence_card_new_and_old():
    new = with_check("93184019850715121")  # 9, 31 (上海), nationality 840, 1985-07-15, sequence 121
    doc = parse(IdType.FOREIGN_PERMANENT_RESIDENCE, new)
    assert doc.birth_date == dt.date(1985, 7, 15) and doc.gender_code == "1"
    assert "校验位" in error_of(IdType.FOREIGN_PERMANENT_RESIDENCE, new[:-1] + ("1" if new[-1] != "1" else "2"))
    assert "以9开头" in error_of(IdType.FOREIGN_PERMANENT_RESIDENCE, with_check("13184019850715121"))
    old = parse(IdType.FOREIGN_PERMANENT_RESIDENCE, "usa310850715012")
    assert old.normalized == "USA310850715012" and old.birth_date is None and old.gender_code is None
    assert error_of(IdType.FOREIGN_PERMANENT_RESIDENCE, "US3108507150123")


@pytest.mark.parametrize(
    ("id_type", "good", "bad"),
    [
        (IdType.HKMO_TRAVEL_PERMIT, ["H12345678", "M1234567890", "h 1234 5678"], ["X12345678", "H1234567", "12345678"]),
        (IdType.TW_TRAVEL_PERMIT, ["12345678", "1234567890"], ["1234567", "T1234567", "123456789"]),
        (IdType.PASSPORT, ["E12345678", "EA1234567", "X1234"], ["E12", "E1234567!", "A" * 21]),
    ],
)
def test_travel_permits_and_passports(id_type, good, bad):
    for number in good:
        doc = parse(id_type, number)
        assert doc.birth_date is None and doc.gender_code is None
    for number in bad:
        assert error_of(id_type, number)


def test_unknown_type_and_empty_number():
    with pytest.raises(DomainError) as exc:
        parse("999", "H12345678")
    assert "id_type" in exc.value.fields
    assert "请填写" in error_of(IdType.PASSPORT, "  ")


def test_masks_hide_all_but_the_ends():
    assert mask_document(IdType.RESIDENT_ID, "44130219900517123X") == "4413**********123X"
    assert mask_document(IdType.HKMO_TRAVEL_PERMIT, "H12345678") == "H*******8"
    assert mask_document(IdType.PASSPORT, "X1234") == "*****"


# --- digits however typed: one document, one normalized form (issue #8) ------------------------------

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.django_db
@pytest.mark.parametrize("table", [ARABIC_INDIC, SUPERSCRIPT, FULL_WIDTH])
@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        (IdType.RESIDENT_ID, with_check("44130219900307123")),
        (IdType.RESIDENT_ID, "441302900517123"),
        (IdType.HKMO_RESIDENCE_PERMIT, with_check("81000019950302124")),
        (IdType.TW_TRAVEL_PERMIT, "01234567"),
        (IdType.HKMO_TRAVEL_PERMIT, "H12345678"),
        (IdType.FOREIGN_PERMANENT_RESIDENCE, with_check("93184019850715121")),
        (IdType.FOREIGN_PERMANENT_RESIDENCE, "USA310850715012"),
        (IdType.PASSPORT, "E12345678"),
    ],
)
def test_digits_of_any_script_give_the_ascii_document(id_type, number, table):
    assert parse(id_type, number.translate(table)).normalized == parse(id_type, number).normalized


@pytest.mark.django_db
def test_a_superscript_in_a_resident_id_is_a_digit_not_a_crash():
    number = with_check("44130219900307123")
    typed = number[:16] + number[16].translate(SUPERSCRIPT) + number[17]
    assert parse(IdType.RESIDENT_ID, typed).normalized == number
    # a digit-like character with no decimal value stays a field error
    assert "格式不正确" in error_of(IdType.RESIDENT_ID, number[:16] + "Ⅰ" + number[17])
    assert error_of(IdType.TW_TRAVEL_PERMIT, "0123456𐹠")  # Rumi digit: numeric, not decimal


# --- the new permanent-residence number is checked for its structure ---------------------------------


@pytest.mark.parametrize(
    ("first17", "needle"),
    [
        ("90084019850715121", "省级行政区划代码"),  # province 00
        ("97184019850715121", "省级行政区划代码"),  # province 71 (Taiwan) issues no card
        ("93199919850715121", "国籍"),  # nationality 999 does not exist
        ("93100019850715121", "国籍"),  # nor 000
        ("93115619851315121", "出生日期"),  # month 13
    ],
)
def test_new_permanent_residence_number_structure(first17, needle):
    assert needle in error_of(IdType.FOREIGN_PERMANENT_RESIDENCE, with_check(first17))


def test_new_permanent_residence_numbers_of_real_provinces_and_countries_pass():
    for province, nation in (("11", "840"), ("44", "410"), ("65", "643"), ("31", "276")):
        doc = parse(IdType.FOREIGN_PERMANENT_RESIDENCE, with_check(f"9{province}{nation}19850715122"))
        assert doc.gender_code == "2" and doc.birth_date == dt.date(1985, 7, 15)


# --- property: any input gives a parsed document or a field error ------------------------------------


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    id_type=st.sampled_from([*IdType.values, "", "999", "１１１"]),
    number=st.one_of(
        st.text(max_size=40),
        st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), max_size=20),
        st.builds(
            lambda head, mid, tail: head + mid + tail,
            st.sampled_from(["441302", "810000", "9311", "H", "USA", ""]),
            st.text(alphabet=st.characters(categories=["Nd", "No"]) | st.sampled_from("0123456789X "), max_size=14),
            st.text(max_size=3),
        ),
    ),
)
def test_any_input_gives_a_document_or_a_field_error(id_type, number):
    try:
        doc = parse(id_type, number)
    except DomainError as exc:
        assert set(exc.fields) <= {"id_number", "id_type"} and exc.fields
        return
    assert doc.normalized.isascii() and doc.normalized == doc.normalized.upper()
    assert re.fullmatch(r"[0-9A-Z]+", doc.normalized)

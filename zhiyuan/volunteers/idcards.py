"""Identity documents (SPEC VOL-1, RULES "Identity documents").

``parse_document(id_type, number)`` checks a document number and returns what it encodes:

=====  ==============================  ==================================================
code   document                        rule
=====  ==============================  ==================================================
111    resident ID card 居民身份证       GB 11643-1999: address code (current or historical,
                                       valid at the birth year) + birth date + sequence
                                       (odd = male) + MOD 11-2 check; 15-digit numbers are
                                       upgraded to 18 digits
991    HK/Macau residence permit       same format and checksum, address code 810000 / 820000
992    Taiwan residence permit         same format and checksum, address code 830000
414    passport 护照                    5–20 letters and digits (foreign passports vary)
516    HK/Macau travel permit          H or M + 8 digits (older: + 10 digits)
511    Taiwan travel permit            8 digits (older: 10 digits)
553    foreign permanent residence     new (from 2023-12-01): 9 + province code of the
       card 外国人永久居留身份证          issuing authority (2) + nationality, GB/T 2659 /
                                       ISO 3166-1 numeric (3) + birth date + sequence +
                                       the resident ID's check; old: 3 letters
                                       (nationality) + 12 digits
=====  ==============================  ==================================================

Type codes are GA/T 2000.156; the two residence permits have no code of their own there, so
they use the local extension codes 991 and 992 (RULES: "residence permits need a local extension
code").

python-stdnum's ``cn.ric`` supplies the check digit and the resident-ID rules it knows; it lacks
the 81/82/83 and 9xxxxx prefixes, which are handled here (RULES: extend, don't fork).

The new permanent-residence number's layout is the National Immigration Administration's
"新版外国人永久居留身份证机读信息规则 (2023版)": first digit 9 (a foreigner; citizens' numbers
start 1–8), the old card's 3-letter nationality turned into its numeric code, the MOD 11-2
check of GB 11643; positions 2–3 are the province of the first issuing authority.

**Digits are folded, not refused** (``normalize``): a number typed with full-width digits,
superscripts (``³``), circled digits or the digits of another script (Arabic-Indic ``٣``,
Devanagari ``३`` …) is the same document as its ASCII form — NFKC first, then every character
with a Unicode decimal value becomes that ASCII digit. So one document has one normalized form
and one blind index however its digits were typed; anything still not ASCII afterwards fails
the format check with a field error. Every check below is on ASCII classes (``[0-9]``), never
``str.isdigit`` (true for ``²``) or ``\\d`` (true for ``٣``).
"""

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _
from stdnum.cn import ric

from zhiyuan.core import crypto
from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers.codes import Gender, IdType

# Documents laid out like the resident ID (18 characters, MOD 11-2 check, YYYYMMDD at 7–14).
RESIDENT_LIKE = {IdType.RESIDENT_ID, IdType.HKMO_RESIDENCE_PERMIT, IdType.TW_RESIDENCE_PERMIT}
PERMIT_ADDRESS_CODES = {
    IdType.HKMO_RESIDENCE_PERMIT: ("810000", "820000"),
    IdType.TW_RESIDENCE_PERMIT: ("830000",),
}
GENDER_MALE, GENDER_FEMALE = Gender.MALE.value, Gender.FEMALE.value
PERMIT_ADDRESS_PREFIXES = ("810000", "820000", "830000")

# Whitespace, hyphens and dashes of every width, parentheses (NFKC has made full-width ones ASCII).
_SEPARATORS = re.compile(r"[\s\-()\u2010-\u2015\u2212]+")
_RAW_MAX = 256  # longer input is refused before it is normalized (NFKC may expand characters)
_RESIDENT_18 = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS = re.compile(r"[0-9]+")
# GB/T 2260 province-level codes: the issuing authorities of the new permanent-residence card.
PROVINCE_CODES = frozenset("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split())


@dataclass(frozen=True)
class ParsedDocument:
    id_type: str
    normalized: str
    birth_date: dt.date | None = None
    gender_code: str | None = None  # GB/T 2261.1, None when the number does not encode it
    address_code: str | None = None  # the 6-digit code of resident-like numbers


def _fail(message) -> DomainError:
    return DomainError("invalid_document", message, fields={"id_number": [message]})


def _ascii_digit(ch: str) -> str:
    if ch.isascii():
        return ch
    value = unicodedata.decimal(ch, None)
    return ch if value is None else str(value)


def normalize(number: str) -> str:
    """The one form of a typed number: NFKC (full-width letters and digits, superscripts, circled
    digits), every decimal digit of any script as its ASCII digit, separators removed, upper
    case (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", str(number or ""))
    folded = "".join(_ascii_digit(c) for c in folded)
    return _SEPARATORS.sub("", folded).upper()


def _is_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


@functools.cache
def nationality_codes() -> frozenset[str]:
    """GB/T 2659 (= ISO 3166-1) numeric country codes, from pycountry's ISO data."""
    import pycountry

    return frozenset(c.numeric for c in pycountry.countries)


def check_character(first17: str) -> str:
    """The GB 11643 / ISO 7064 MOD 11-2 check character of 17 digits.

    stdnum's ``calc_check_digit`` expects the full number (it ignores the last character)."""
    return ric.calc_check_digit(first17 + "0")


def _date(yyyymmdd: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(yyyymmdd, "%Y%m%d").date()
    except ValueError:
        return None


def upgrade_15(number: str) -> str:
    """A 15-digit first-generation ID (YYMMDD, all born 19xx) as its 18-digit form."""
    body = number[:6] + "19" + number[6:]
    return body + check_character(body)


def _parse_resident_like(id_type: str, number: str, today: dt.date) -> ParsedDocument:
    if id_type == IdType.RESIDENT_ID and len(number) == 15:
        if not _is_digits(number):
            raise _fail(_("15位身份证号码应全部为数字。"))
        number = upgrade_15(number)
    if len(number) != 18:
        raise _fail(_("证件号码应为18位（旧身份证为15位）。"))
    if not _RESIDENT_18.fullmatch(number):
        raise _fail(_("证件号码格式不正确：前17位应为数字，最后一位为数字或X。"))
    if check_character(number[:17]) != number[17]:
        raise _fail(_("证件号码校验位不正确，请核对后重新输入。"))
    birth = _date(number[6:14])
    if birth is None:
        raise _fail(_("证件号码中的出生日期不正确。"))
    if birth > today:
        raise _fail(_("证件号码中的出生日期晚于今天。"))
    if birth.year < 1900:
        raise _fail(_("证件号码中的出生日期不正确。"))
    address = number[:6]
    permit_codes = PERMIT_ADDRESS_CODES.get(id_type)
    if permit_codes is not None:
        if address not in permit_codes:
            raise _fail(_("居住证号码的前6位应为%(codes)s。") % {"codes": "/".join(permit_codes)})
    else:
        if address in PERMIT_ADDRESS_PREFIXES:
            raise _fail(_("这是港澳台居民居住证号码，请选择对应的证件类型。"))
        from zhiyuan.regions.selectors import address_code_known

        if not address_code_known(address, on_date=birth):
            raise _fail(_("证件号码中的地址码（前6位）不存在。"))
    gender = GENDER_MALE if int(number[16]) % 2 else GENDER_FEMALE
    return ParsedDocument(id_type, number, birth, gender, address)


def _parse_foreign_permanent(number: str, today: dt.date) -> ParsedDocument:
    if len(number) == 18:  # the 2023 card: 9 + province (2) + nationality (3) + YYYYMMDD + seq (3) + check
        if not number.startswith("9") or not _RESIDENT_18.fullmatch(number):
            raise _fail(_("新版外国人永久居留身份证号码为以9开头的18位数字。"))
        if number[1:3] not in PROVINCE_CODES:
            raise _fail(_("新版外国人永久居留身份证号码第2、3位应为受理地的省级行政区划代码。"))
        if number[3:6] not in nationality_codes():
            raise _fail(_("新版外国人永久居留身份证号码第4至6位应为国籍的数字代码。"))
        if check_character(number[:17]) != number[17]:
            raise _fail(_("证件号码校验位不正确，请核对后重新输入。"))
        birth = _date(number[6:14])
        if birth is None or birth > today or birth.year < 1900:
            raise _fail(_("证件号码中的出生日期不正确。"))
        gender = GENDER_MALE if int(number[16]) % 2 else GENDER_FEMALE
        return ParsedDocument(IdType.FOREIGN_PERMANENT_RESIDENCE, number, birth, gender)
    if len(number) == 15 and re.fullmatch(r"[A-Z]{3}[0-9]{12}", number):
        return ParsedDocument(IdType.FOREIGN_PERMANENT_RESIDENCE, number)  # old card: nothing reliably encoded
    raise _fail(_("外国人永久居留身份证号码应为以9开头的18位数字，或3位字母加12位数字（旧版）。"))


_HKMO_TRAVEL = re.compile(r"[HM](?:[0-9]{8}|[0-9]{10})")
_TW_TRAVEL = re.compile(r"[0-9]{8}|[0-9]{10}")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")


def parse_document(id_type: str, number: str, *, today: dt.date | None = None) -> ParsedDocument:
    """Validate ``number`` as a document of ``id_type``; raise DomainError with a field error."""
    from zhiyuan.volunteers.minors import today_shanghai

    today = today or today_shanghai()
    id_type = str(id_type or "").strip()
    if id_type not in IdType.values:
        raise DomainError("invalid_document", _("请选择证件类型。"), fields={"id_type": [_("不支持的证件类型。")]})
    if len(str(number or "")) > _RAW_MAX:
        raise _fail(_("证件号码过长。"))
    number = normalize(number)
    if not number:
        raise _fail(_("请填写证件号码。"))
    if len(number) > 32:
        raise _fail(_("证件号码过长。"))
    if id_type in RESIDENT_LIKE:
        return _parse_resident_like(id_type, number, today)
    if id_type == IdType.FOREIGN_PERMANENT_RESIDENCE:
        return _parse_foreign_permanent(number, today)
    if id_type == IdType.HKMO_TRAVEL_PERMIT:
        if not _HKMO_TRAVEL.fullmatch(number):
            raise _fail(_("港澳居民来往内地通行证号码为H或M加8位数字（旧版加10位数字）。"))
        return ParsedDocument(id_type, number)
    if id_type == IdType.TW_TRAVEL_PERMIT:
        if not _TW_TRAVEL.fullmatch(number):
            raise _fail(_("台湾居民来往大陆通行证号码为8位数字（旧版10位数字）。"))
        return ParsedDocument(id_type, number)
    if not _PASSPORT.fullmatch(number):
        raise _fail(_("护照号码应为5至20位字母或数字。"))
    return ParsedDocument(id_type, number)


def mask_document(id_type: str, normalized: str) -> str:
    """Resident-like numbers as ``4413**********123X``; shorter numbers keep at most their first
    and last character (``H*******8``) so no masked form identifies a person."""
    if len(normalized) == 18:
        return crypto.mask(normalized, keep_start=4, keep_end=4)
    if len(normalized) >= 8:
        return normalized[0] + "*" * (len(normalized) - 2) + normalized[-1]
    return "*" * len(normalized)


def generate_resident_id(address: str, birth: dt.date, sequence: int) -> str:
    """A checksum-valid resident ID (test data, demo data, the bench generator).

    ``sequence`` 0…999; odd is male, even female (GB 11643)."""
    body = f"{address}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + check_character(body)

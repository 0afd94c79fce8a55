"""Test data built through the real services (STYLE: tests build data through the real actions).

Document numbers are checksum-valid resident IDs from ``idcards.generate_resident_id``; each
call uses a new sequence number so numbers never collide inside a test database."""

import datetime as dt
import itertools

from zhiyuan.volunteers.minors import today_shanghai
from zhiyuan.volunteers.services import RegistrationInput

PASSWORD = "Zhiyuan#2026"
HUICHENG_TOWN = "441302001000"  # 桥东街道, 惠城区
HUIYANG_TOWN = "441303001000"  # 淡水街道, 惠阳区 (first town of the county)

_seq = itertools.count(1)
_mobile = itertools.count(1)


def resident_id(*, address: str = "441302", birth: dt.date | None = None, male: bool = True) -> str:
    from zhiyuan.volunteers.idcards import generate_resident_id

    birth = birth or dt.date(1990, 1, 1)
    n = next(_seq)
    sequence = (n * 2 + (1 if male else 0)) % 1000
    return generate_resident_id(address, birth, sequence)


def years_ago(years: int, *, days: int = 0) -> dt.date:
    today = today_shanghai()
    try:
        d = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        d = today.replace(year=today.year - years, day=28)
    return d - dt.timedelta(days=days)


def next_mobile() -> str:
    return f"137{next(_mobile):08d}"


def registration_data(**overrides) -> dict:
    birth = overrides.pop("birth", None) or dt.date(1990, 5, 17)
    address = overrides.pop("address", "441302")
    male = overrides.pop("male", True)
    data = {
        "name": "张三",
        "id_type": "111",
        "id_number": resident_id(address=address, birth=birth, male=male),
        "region_code": HUICHENG_TOWN,
        "mobile": next_mobile(),
        "password": PASSWORD,
        "email": "",
        "accept_privacy": True,
        "accept_oath": True,
    }
    data.update(overrides)
    return data


def registration_input(**overrides) -> RegistrationInput:
    return RegistrationInput(**registration_data(**overrides))


def guardian_data(**overrides) -> dict:
    data = {
        "guardian_name": "李监护",
        "guardian_relation": "mother",
        "guardian_mobile": "13800001111",
        "guardian_consent": True,
    }
    data.update(overrides)
    return data


def register(*, actor=None, **overrides):
    from zhiyuan.volunteers.services import volunteer_register

    return volunteer_register(actor=actor, registration=registration_input(**overrides))


def register_minor(*, age: int = 15, **overrides):
    data = {**guardian_data(), **overrides}
    return register(birth=years_ago(age, days=30), name=data.pop("name", "王小明"), **data)

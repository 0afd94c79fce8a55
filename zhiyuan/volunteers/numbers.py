"""Volunteer numbers 志愿者编号 (SPEC VOL-3).

MZ/T 061 principle: the public identifier is never the document number, and nothing in it is
derived from the person (no region, no birth date): it is a 10-digit serial followed by an
ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``), e.g. ``0000012345`` + ``6``.

The serial comes from ``VolunteerNumberCounter`` (one row, locked with ``select_for_update``),
so concurrent registrations never get the same number; a number already taken (rows written
by an import or the benchmark generator, which use :func:`volunteer_no_for`) is skipped.
"""

import re

from django.db import transaction

SERIAL_DIGITS = 10
NUMBER_RE = re.compile(r"^[0-9]{10}[0-9X]$")


def mod11_2_check(digits: str) -> str:
    """ISO 7064 MOD 11-2 check character over a string of ASCII digits."""
    total = 0
    for c in digits:
        total = (total + int(c)) * 2 % 11
    return "0123456789X"[(12 - total) % 11]


def volunteer_no_for(serial: int) -> str:
    """The volunteer number for a serial (1 … 9,999,999,999)."""
    if not 0 < serial < 10**SERIAL_DIGITS:
        raise ValueError("volunteer serial out of range")
    body = f"{serial:0{SERIAL_DIGITS}d}"
    return body + mod11_2_check(body)


def volunteer_no_is_valid(value: str) -> bool:
    """Syntax and check character (accepts a lower-case ``x``)."""
    value = (value or "").strip().upper()
    return bool(NUMBER_RE.fullmatch(value)) and mod11_2_check(value[:-1]) == value[-1]


def serial_of(value: str) -> int | None:
    return int(value[:SERIAL_DIGITS]) if volunteer_no_is_valid(value) else None


def format_volunteer_no(value: str) -> str:
    """Grouped for reading aloud / on the card: ``0000 012 345 6`` (the template filter
    ``volunteer_no`` in ``templatetags/volunteers.py`` shows it this way on every page)."""
    if len(value) != 11:
        return value
    return f"{value[:4]} {value[4:7]} {value[7:10]} {value[10]}"


def normalize_volunteer_no(value: str) -> str:
    """A number as typed or copied (grouped with spaces, also no-break or full-width ones, or with
    hyphens; a lower-case ``x``) in its stored form: ``0000 012 345 6`` → ``00000123456``."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def _highest_serial_in_use() -> int:
    from zhiyuan.volunteers.models import Volunteer

    # Numbers sort as strings of equal length, so the greatest string is the greatest serial.
    top = (
        Volunteer.objects.filter(volunteer_no__regex=r"^[0-9]{10}[0-9X]$")
        .order_by("-volunteer_no")
        .values_list("volunteer_no", flat=True)
        .first()
    )
    return (serial_of(top) or 0) if top else 0


def allocate_volunteer_numbers(count: int = 1) -> list[str]:
    """Take ``count`` fresh numbers. Must run inside the transaction that inserts them, so a
    rolled-back registration gives its serial back and no two transactions share one."""
    from zhiyuan.volunteers.models import Volunteer, VolunteerNumberCounter

    if count < 1:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_volunteer_numbers must run inside a transaction")
    counter = VolunteerNumberCounter.objects.select_for_update().filter(pk=1).first()
    if counter is None:
        VolunteerNumberCounter.objects.get_or_create(pk=1, defaults={"last_serial": _highest_serial_in_use()})
        counter = VolunteerNumberCounter.objects.select_for_update().get(pk=1)
    numbers: list[str] = []
    serial = counter.last_serial
    while len(numbers) < count:
        need = count - len(numbers)
        candidates = [volunteer_no_for(s) for s in range(serial + 1, serial + 1 + need)]
        taken = set(Volunteer.objects.filter(volunteer_no__in=candidates).values_list("volunteer_no", flat=True))
        numbers.extend(n for n in candidates if n not in taken)
        serial += need
    counter.last_serial = serial
    counter.save(update_fields=["last_serial"])
    return numbers

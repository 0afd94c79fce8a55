"""Resident ID numbers for generated people (GB 11643-1999), used when the volunteers app does
not provide ``zhiyuan.volunteers.idcards.generate_resident_id``.

18 characters: 6-digit address code, birth date YYYYMMDD, 3-digit sequence (odd = male, even =
female), ISO 7064 MOD 11-2 check character. Volunteer numbers use the same check character
when the volunteers app has no generator of its own.
"""

import datetime as dt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def resident_id(address: str, birth: dt.date, sequence: int) -> str:
    """``sequence`` 0…999; its parity is the gender (odd male, even female)."""
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return body + check_char(body)


def is_valid(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit() and check_char(number[:17]) == number[17].upper()


def mod11_check(digits: str) -> str:
    """ISO 7064 MOD 11-2 over any digit string (weights 2^(n-i) mod 11)."""
    total = 0
    for c in digits:
        total = (total + int(c)) * 2 % 11
    return "0123456789X"[(12 - total) % 11]

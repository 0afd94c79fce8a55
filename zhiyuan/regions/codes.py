"""Pure helpers on 12-digit region codes (REG-2). No database access here."""

import re

from django.db.models import Q

CODE_RE = re.compile(r"^[0-9]{12}$")
DIGITS_RE = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() accepts "９" and "²"
PREFIX_LENGTHS = (2, 4, 6, 9, 12)


def normalize_code(code: str) -> str:
    """Pad a 2/4/6/9/12-digit code to 12 digits: ``4413`` -> ``441300000000``."""
    code = (code or "").strip()
    if not DIGITS_RE.fullmatch(code) or len(code) not in PREFIX_LENGTHS:
        raise ValueError(f"not a region code: {code!r}")
    return code.ljust(12, "0")


def code_level(code: str) -> int:
    """1 province … 5 village, from the trailing zeros of a 12-digit code."""
    code = normalize_code(code)
    if code[2:] == "0" * 10:
        return 1
    if code[4:] == "0" * 8:
        return 2
    if code[6:] == "0" * 6:
        return 3
    if code[9:] == "000":
        return 4
    return 5


def region_prefix(code: str) -> str:
    """The scope prefix of a region: province 2 digits, city 4, county 6, town 9, village 12."""
    code = normalize_code(code)
    return code[: PREFIX_LENGTHS[code_level(code) - 1]]


def ancestor_codes(code: str) -> list[str]:
    """12-digit codes of the ancestors, province first (the region itself excluded).

    A code appears once even where two levels share it: the towns of 东莞 (4419000xx000) have
    no county of their own, their county prefix ``441900`` pads to the city's code."""
    code = normalize_code(code)
    level = code_level(code)
    result: list[str] = []
    for n in PREFIX_LENGTHS[: level - 1]:
        candidate = code[:n].ljust(12, "0")
        if candidate != code and candidate not in result:
            result.append(candidate)
    return result


def is_region_code(code: str) -> bool:
    """True for a syntactically valid 2/4/6/9/12-digit code whose province part is not 00."""
    try:
        return normalize_code(code)[:2] != "00"
    except ValueError:
        return False


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """The closed range of 12-digit codes under ``prefix``: ``4413`` -> (``441300000000``,
    ``441399999999``). A range compares on the btree index on both databases; ``LIKE 'p%'``
    does not on PostgreSQL without ``text_pattern_ops`` (ARCHITECTURE rule 9)."""
    if not DIGITS_RE.fullmatch(prefix or "") or len(prefix) > 12:
        raise ValueError(f"not a region code prefix: {prefix!r}")
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def prefix_q(field: str, prefix: str) -> Q:
    """``Q`` for the 12-digit code ``field`` under ``prefix``, as a range (``prefix_bounds``)."""
    low, high = prefix_bounds(prefix)
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


def code_in_scope(code: str, prefix: str) -> bool:
    return bool(code) and code.startswith(prefix)

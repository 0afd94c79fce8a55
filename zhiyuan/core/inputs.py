"""Typed service inputs (STYLE "Services that take ``data: dict``"): a service's input is a frozen
dataclass defined beside it, so its contract is the signature, not a docstring of dict keys.

The values are what the caller received (a form's cleaned data, an API body, a spreadsheet cell):
the service still validates them, once, for every caller. A partial update leaves the fields it
does not change as ``UNSET``; ``given`` lists the others.
"""

import dataclasses
from typing import Any, Final


class Unset:
    """Not given by the caller (distinct from ``None``, which a caller may send to clear a field)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


def given(inp) -> dict[str, Any]:
    """``{field: value}`` for the fields of the input dataclass ``inp`` that are not ``UNSET``."""
    return {f.name: getattr(inp, f.name) for f in dataclasses.fields(inp) if getattr(inp, f.name) is not UNSET}

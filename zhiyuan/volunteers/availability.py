"""Weekly availability (SPEC VOL-4): 7 days × morning / afternoon / evening, stored as a 21-bit
integer so matching can filter with one bitwise AND (``VolunteerQuerySet.available_at``).

Slot keys are ``"<day>-<slot>"``: day 1 (Monday) … 7 (Sunday), slot ``am`` / ``pm`` / ``ev``,
e.g. ``"6-am"`` is Saturday morning. Bit = (day − 1) × 3 + slot index.
"""

from django.utils.translation import gettext_lazy as _

DAYS = [
    (1, _("周一")),
    (2, _("周二")),
    (3, _("周三")),
    (4, _("周四")),
    (5, _("周五")),
    (6, _("周六")),
    (7, _("周日")),
]
SLOTS = [("am", _("上午")), ("pm", _("下午")), ("ev", _("晚上"))]
SLOT_INDEX = {key: i for i, (key, _label) in enumerate(SLOTS)}
ALL_KEYS = [f"{d}-{s}" for d, _dl in DAYS for s, _sl in SLOTS]
FULL_MASK = (1 << 21) - 1


def slot_bit(key: str) -> int:
    day, _sep, slot = str(key).partition("-")
    if not day.isascii() or not day.isdigit() or not 1 <= int(day) <= 7 or slot not in SLOT_INDEX:
        raise ValueError(f"not an availability slot: {key!r}")
    return 1 << ((int(day) - 1) * 3 + SLOT_INDEX[slot])


def mask_from_keys(keys) -> int:
    mask = 0
    for key in keys:
        mask |= slot_bit(key)
    return mask


def keys_from_mask(mask: int) -> list[str]:
    return [k for k in ALL_KEYS if mask & slot_bit(k)]


def availability_grid(mask: int) -> list[dict]:
    """Rows for templates: one per day with its three slots (key, label, checked)."""
    return [
        {
            "day": d,
            "label": label,
            "slots": [{"key": f"{d}-{s}", "label": sl, "on": bool(mask & slot_bit(f"{d}-{s}"))} for s, sl in SLOTS],
        }
        for d, label in DAYS
    ]


def describe(mask: int) -> str:
    """Readable summary: 周六上午、周六下午 …"""
    parts = []
    for d, label in DAYS:
        for s, sl in SLOTS:
            if mask & slot_bit(f"{d}-{s}"):
                parts.append(_("%(day)s%(slot)s") % {"day": label, "slot": sl})
    return str(_("、")).join(parts)

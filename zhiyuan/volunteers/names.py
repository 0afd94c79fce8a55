"""Personal names as on the document (SPEC VOL-1; issue #8).

The rule: accept every character a real Chinese name can have, store one form of it, refuse only
what cannot be seen.

* **Han**, by code-point range rather than by ``unicodedata`` category, because Python's Unicode
  tables lag the standard (Python 3.11 knows Unicode 14: CJK Extension H, 15.0, and I, 15.1,
  are "unassigned" to it): the URO and Extension A, the compatibility ideographs, all of planes
  2 and 3 (Extensions B–I and the compatibility supplement), 〇 (U+3007) and the iteration marks
  々 〻 (U+3005, U+303B).
* **Ideographic variation sequences**: a variation selector (U+FE00–FE0F, U+E0100–E01EF) right
  after a Han character is part of that character; anywhere else it is invisible and refused.
* **Private use** (U+E000–F8FF, planes 15–16): the public-security and vendor fonts encode rare
  characters of real names there, before (or instead of) Unicode; they are visible with the font.
* **Latin** letters with their accents (foreign names, pinyin with tone marks), combining marks
  after a Latin letter, apostrophes and hyphens, spaces (runs collapsed to one).
* **Middle dots**: every look-alike a keyboard or font produces (``•・･‧∙⋅·ᐧ⸱⸳ꞏ``, and ``．`` or
  ``.`` in a name with Han characters) is stored as U+00B7 ``·`` — 阿卜杜·热合曼 is one name
  however it was typed.
* **Refused**: control, format and other invisible characters (``core.text``), and anything else
  (digits, punctuation, emoji, other scripts) with a message naming what is allowed.
"""

import re

from django.utils.translation import gettext_lazy as _

from zhiyuan.core.text import has_control_chars

NAME_MAX = 50
MIDDLE_DOT = "\u00b7"

_HAN = (
    (0x3005, 0x3005),  # 々
    (0x3007, 0x3007),  # 〇
    (0x303B, 0x303B),  # 〻
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # URO
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x3FFFF),  # planes 2 and 3: Extensions B–I, compatibility supplement
)
_PRIVATE_USE = ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_LATIN = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x24F), (0x1E00, 0x1EFF))
_COMBINING = ((0x300, 0x36F),)
_SEPARATORS = frozenset(" '-\u2019")  # the typographic apostrophe is stored as "'"
# Middle-dot look-alikes, always a middle dot in a name.
_DOTS = frozenset("\u00b7\u0387\u2022\u2027\u2219\u22c5\u30fb\uff65\u1427\u16eb\u2e31\u2e33\ua78f\u318d")
# Full stops: a middle dot between Han characters (阿卜杜.热合曼), kept in Latin names (J. Smith).
_STOPS = frozenset(".\uff0e")


def _within(cp: int, ranges) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _is_han(ch: str) -> bool:
    return _within(ord(ch), _HAN)


def _kind(ch: str) -> str:
    cp = ord(ch)
    if _within(cp, _HAN):
        return "han"
    if _within(cp, _PRIVATE_USE):
        return "private"
    if _within(cp, _LATIN):
        return "latin"
    if _within(cp, _VARIATION_SELECTORS):
        return "selector"
    if _within(cp, _COMBINING):
        return "combining"
    if ch in _DOTS or ch in _STOPS:
        return "dot"
    if ch in _SEPARATORS:
        return "separator"
    return "other"


def _fold(value: str) -> str | None:
    """The stored form of a name whose characters are all allowed, else None."""
    has_han = any(_is_han(c) or _within(ord(c), _PRIVATE_USE) for c in value)
    out: list[str] = []
    for ch in value:
        kind = _kind(ch)
        prev = out[-1] if out else ""
        if kind == "selector":
            if not prev or not (_is_han(prev) or _within(ord(prev), _PRIVATE_USE)):
                return None
        elif kind == "combining":
            if not prev or _kind(prev) not in ("latin", "combining"):
                return None
        elif kind == "dot":
            ch = "." if ch in _STOPS and not has_han else MIDDLE_DOT
        elif kind == "separator":
            ch = "'" if ch == "\u2019" else ch
        elif kind == "other":
            return None
        out.append(ch)
    name = "".join(out)
    return name if re.search(r"[^ '\-.\u00b7]", name) else None  # not only dots and separators


def person_name_clean(value, *, label) -> tuple[str, str | None]:
    """``(name, None)`` or ``("", message)``: the rule of the module docstring. Never raises."""
    text = str(value or "")
    if has_control_chars(text, multiline=True):  # tabs and line breaks become spaces below
        return "", _("%(label)s包含不可见的控制字符，请删除后重试。") % {"label": label}
    text = " ".join(text.split())
    if not text:
        return "", _("请填写%(label)s。") % {"label": label}
    if len(text) > NAME_MAX:
        return "", _("%(label)s不能超过%(n)s个字符。") % {"label": label, "n": NAME_MAX}
    name = _fold(text)
    if name is None:
        return "", _("%(label)s只能包含汉字、字母、间隔号“·”和空格，请与证件上的姓名一致。") % {"label": label}
    if len(name) < 2:
        return "", _("%(label)s至少2个字符。") % {"label": label}
    return name, None

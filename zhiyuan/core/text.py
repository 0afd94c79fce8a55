"""Checks shared by every app's text fields.

Invisible characters in names and other text are refused, not silently kept: a bidi override
(U+202E) makes the rest of a name display reversed, a zero-width space makes two names that look
identical differ (duplicate checks, search), and control characters break exports and logs.
Refused: control characters (Unicode Cc) other than normal whitespace, format characters (Cf:
zero-width spaces and joiners, bidi controls, BOM, soft hyphen), line/paragraph separators and
surrogates. Allowed: ordinary and full-width spaces; tab and line breaks in multi-line fields
only; a zero-width joiner inside an emoji sequence (a family emoji is several emoji joined by
U+200D); private-use characters (Co) — not invisible: public-security and vendor fonts encode the
rare characters of real names there (issue #8).
"""

import unicodedata

from django.utils.translation import gettext_lazy as _

CONTROL_MESSAGE = _("不能包含不可见的控制字符（如零宽字符、文字方向控制符），请删除后重试。")

_REFUSED = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_LINE_WHITESPACE = frozenset("\t\n\r")
_ZWJ = "\u200d"


def _emoji_part(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or ch == "\ufe0f"


def has_control_chars(value: str, *, multiline: bool = False) -> bool:
    """True when ``value`` holds a character refused in text fields (see the module docstring)."""
    for i, ch in enumerate(value):
        if ch.isascii() and (ch.isprintable() or ch == " "):
            continue
        if multiline and ch in _LINE_WHITESPACE:
            continue
        if unicodedata.category(ch) not in _REFUSED:
            continue
        if ch == _ZWJ and 0 < i < len(value) - 1 and _emoji_part(value[i - 1]) and _emoji_part(value[i + 1]):
            continue
        return True
    return False


def text_error(value: str, *, limit: int, multiline: bool = False):
    """The field message for a cleaned text value that is too long or holds a refused character
    (line breaks only in multi-line fields), else None."""
    if len(value) > limit:
        return _("不能超过 %(n)d 个字符。") % {"n": limit}
    if has_control_chars(value, multiline=multiline):
        return CONTROL_MESSAGE
    return None

"""Field checks shared by registration, profile edits, corrections and bulk import.

Each checker returns ``(value, error)``; the services collect errors per field and raise one
``DomainError`` with ``fields={name: [messages]}`` so a form or an import report can show a
clear Chinese message next to each field.
"""

import datetime as dt
import re

from django.utils.translation import gettext_lazy as _

from zhiyuan.core.text import has_control_chars
from zhiyuan.volunteers.names import person_name_clean

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")

TEXT_MAX = 500


def clean_person_name(value, *, label=None):
    """A real name as on the document (``names.person_name_clean``): 2–50 characters of Han
    (every CJK block, rare characters in private use), Latin letters, middle dots, spaces."""
    return person_name_clean(value, label=label or _("姓名"))


def clean_text(value, *, label, max_length=TEXT_MAX, required=False, allow_newlines=False):
    """Free text: trimmed, length-limited, no control characters. HTML is kept as typed and
    escaped when rendered (templates auto-escape; the API returns JSON)."""
    value = str(value or "").strip()
    if not value:
        if required:
            return "", _("请填写%(label)s。") % {"label": label}
        return "", None
    if len(value) > max_length:
        return "", _("%(label)s不能超过%(n)s个字符（当前%(len)s个）。") % {"label": label, "n": max_length, "len": len(value)}
    if has_control_chars(value, multiline=allow_newlines):
        return "", _("%(label)s包含不可见的控制字符，请删除后重试。") % {"label": label}
    return value, None


def clean_mobile(value, *, label=None):
    label = label or _("手机号")
    raw = re.sub(r"[\s\-]", "", str(value or ""))
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("0086"):
        raw = raw[4:]
    if not raw:
        return "", _("请填写%(label)s。") % {"label": label}
    if len(raw) > 20 or not MOBILE_RE.fullmatch(raw):
        return "", _("请输入11位中国大陆手机号码。")
    return raw, None


def clean_email(value):
    value = str(value or "").strip()
    if not value:
        return "", None
    if len(value) > 254 or not EMAIL_RE.fullmatch(value):
        return "", _("请输入有效的电子邮箱地址。")
    return value.lower(), None


def clean_date(value, *, label):
    if value in (None, ""):
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    text = str(value).strip()
    if len(text) > 10:
        return None, _("%(label)s格式应为 YYYY-MM-DD。") % {"label": label}
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, _("%(label)s格式应为 YYYY-MM-DD。") % {"label": label}


def as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "on", "yes", "y", "是", "同意")

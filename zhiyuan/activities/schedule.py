"""An activity's time windows (SPEC ACT-2): a single event, explicit shifts, or a weekly series
with exceptions expanded into shifts. Pure functions (no database); times are Asia/Shanghai
(``TIME_ZONE``) wall-clock times made aware.

A recurrence is stored on ``Activity.recurrence`` as ``{"weekdays": [0..6] (0 = Monday),
"start": "HH:MM", "end": "HH:MM", "from": "YYYY-MM-DD", "until": "YYYY-MM-DD", "except":
["YYYY-MM-DD", …]}``. Bounded: at most ``MAX_SHIFTS`` shifts and ``MAX_SPAN_DAYS`` days, so one
request never writes an unbounded number of rows."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.errors import DomainError

MAX_SHIFTS = 366
MAX_SPAN_DAYS = 731
MAX_SHIFT_HOURS = 24
MAX_EXCEPTIONS = 366
# Shifts lie in these years: outside them an aware time can fall off the calendar when the
# database converts it to UTC (0001-01-01 00:30 +08:00), and no real activity is planned there.
YEARS = (2000, 2100)
INVALID = _("提交的数据有误，请检查后重试。")
WEEKDAY_LABELS = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))


@dataclass(frozen=True, kw_only=True)
class Recurrence:
    """A weekly series: on ``weekdays`` (0 = Monday) from ``start`` to ``end`` (same day), every
    week from ``first`` to ``until`` (both included), except the dates in ``exceptions``."""

    weekdays: tuple | list
    start: dt.time | str
    end: dt.time | str
    first: dt.date | str
    until: dt.date | str
    exceptions: tuple | list = field(default_factory=tuple)

    @classmethod
    def from_json(cls, data: dict) -> "Recurrence":
        return cls(
            weekdays=data.get("weekdays") or [], start=data.get("start") or "", end=data.get("end") or "",
            first=data.get("from") or "", until=data.get("until") or "", exceptions=data.get("except") or [],
        )  # fmt: skip


def _invalid(field_name: str, message) -> DomainError:
    return DomainError("invalid", INVALID, fields={field_name: [message]}, status=422)


def _time(value, name: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return dt.time.fromisoformat(str(value or "").strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise _invalid(name, _("请填写时间（HH:MM）。")) from None


def _date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _invalid(name, _("请填写日期（YYYY-MM-DD）。"))
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise _invalid(name, _("请填写日期（YYYY-MM-DD）。")) from None


def local(day: dt.date, at: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, at))


def recurrence_clean(rec: Recurrence | dict) -> tuple[dict, list[tuple[dt.datetime, dt.datetime]]]:
    """The normalized JSON of a weekly series and its shifts, in order. Refuses (422, one field
    ``recurrence`` with the reason) a series with no day, an end not after the start, more than
    ``MAX_SPAN_DAYS`` days, no shift left, or more than ``MAX_SHIFTS`` shifts."""
    if isinstance(rec, dict):
        rec = Recurrence.from_json(rec)
    try:
        weekdays = sorted({int(d) for d in rec.weekdays})
    except (TypeError, ValueError):
        weekdays = [-1]
    if not weekdays:
        raise _invalid("recurrence", _("请至少选择每周的一天。"))
    if any(not 0 <= d <= 6 for d in weekdays):
        raise _invalid("recurrence", _("星期须为0（周一）至6（周日）。"))
    start, end = _time(rec.start, "recurrence"), _time(rec.end, "recurrence")
    if end <= start:
        raise _invalid("recurrence", _("每次的结束时间须晚于开始时间（不跨天）。"))
    first, until = _date(rec.first, "recurrence"), _date(rec.until, "recurrence")
    if not (YEARS[0] <= first.year <= YEARS[1] and YEARS[0] <= until.year <= YEARS[1]):
        raise _invalid("recurrence", _("活动日期须在%(a)d年至%(b)d年之间。") % {"a": YEARS[0], "b": YEARS[1]})
    if until < first:
        raise _invalid("recurrence", _("重复的截止日期不能早于起始日期。"))
    if (until - first).days >= MAX_SPAN_DAYS:
        raise _invalid("recurrence", _("重复活动的时间跨度不能超过 %(n)d 天。") % {"n": MAX_SPAN_DAYS})
    if len(rec.exceptions) > MAX_EXCEPTIONS:
        raise _invalid("recurrence", _("例外日期不能超过 %(n)d 个。") % {"n": MAX_EXCEPTIONS})
    exceptions = sorted({_date(d, "recurrence") for d in rec.exceptions})
    skip = set(exceptions)
    windows = []
    for offset in range((until - first).days + 1):  # never steps past ``until`` (9999-12-31)
        day = first + dt.timedelta(days=offset)
        if day.weekday() in weekdays and day not in skip:
            windows.append((local(day, start), local(day, end)))
            if len(windows) > MAX_SHIFTS:
                raise _invalid("recurrence", _("重复活动最多 %(n)d 个班次，请缩短时间范围。") % {"n": MAX_SHIFTS})
    if not windows:
        raise _invalid("recurrence", _("按此规则没有任何班次，请检查星期、日期范围和例外日期。"))
    data = {
        "weekdays": weekdays,
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "from": first.isoformat(),
        "until": until.isoformat(),
        "except": [d.isoformat() for d in exceptions],
    }
    return data, windows


def _aware(value, name: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise _invalid(name, _("请填写时间（YYYY-MM-DD HH:MM）。")) from None
    if not isinstance(value, dt.datetime):
        raise _invalid(name, _("请填写时间（YYYY-MM-DD HH:MM）。"))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.replace(second=0, microsecond=0)


def windows_clean(windows) -> list[tuple[dt.datetime, dt.datetime]]:
    """Explicit shifts ``[(start, end), …]`` (aware datetimes or ISO strings; naive ones are
    local time): 1 to ``MAX_SHIFTS``, each ending after it starts and lasting at most
    ``MAX_SHIFT_HOURS`` hours, no two starting at the same minute. Sorted."""
    try:
        pairs = [(a, b) for a, b in windows]
    except (TypeError, ValueError):
        raise _invalid("shifts", _("班次格式错误，应为（开始时间，结束时间）的列表。")) from None
    if not pairs:
        raise _invalid("shifts", _("请至少安排一个班次。"))
    if len(pairs) > MAX_SHIFTS:
        raise _invalid("shifts", _("一个活动最多 %(n)d 个班次。") % {"n": MAX_SHIFTS})
    out = []
    for a, b in pairs:
        start, end = _aware(a, "shifts"), _aware(b, "shifts")
        if not all(YEARS[0] <= timezone.localtime(t).year <= YEARS[1] for t in (start, end)):
            raise _invalid("shifts", _("活动日期须在%(a)d年至%(b)d年之间。") % {"a": YEARS[0], "b": YEARS[1]})
        if end <= start:
            raise _invalid("shifts", _("班次的结束时间须晚于开始时间。"))
        if end - start > dt.timedelta(hours=MAX_SHIFT_HOURS):
            raise _invalid("shifts", _("一个班次不能超过 %(n)d 小时；更长的活动请分成多个班次。") % {"n": MAX_SHIFT_HOURS})
        out.append((start, end))
    out.sort()
    starts = [s for s, _e in out]
    if len(set(starts)) != len(starts):
        raise _invalid("shifts", _("两个班次不能在同一时间开始。"))
    return out


def describe(recurrence: dict) -> str:
    """「每周一、三 09:00–12:00（2026-12-01 至 2027-02-28，除 2026-12-30）」 for pages."""
    if not recurrence:
        return ""
    days = str(_("、")).join(str(WEEKDAY_LABELS[d]) for d in recurrence.get("weekdays", []))
    text = _("每%(days)s %(start)s–%(end)s（%(from)s 至 %(until)s）") % {
        "days": days, "start": recurrence.get("start"), "end": recurrence.get("end"),
        "from": recurrence.get("from"), "until": recurrence.get("until"),
    }  # fmt: skip
    if recurrence.get("except"):
        text += str(_("，除 %(dates)s") % {"dates": str(_("、")).join(recurrence["except"])})
    return str(text)

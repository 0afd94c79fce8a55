"""Hours from attendance, and every decision about them (REC-1, REC-2, REC-3).

* Credit = the attendance interval clipped to its shift (travel before check-in, after
  check-out and outside the shift is not service), in whole minutes, rounded to
  ``ZHIYUAN_HOURS_ROUNDING_MINUTES`` (``ZHIYUAN_HOURS_ROUNDING``: down / nearest / up) and
  capped per volunteer and day at ``ZHIYUAN_HOURS_DAILY_CAP_MINUTES`` (0: no cap) — policy in
  settings, mechanism here (ARCHITECTURE rule 6). The exact interval is stored; the minutes
  credited are what rounding and the cap leave.
* Only admins of the activity's organization decide (谁组织谁记录, ``permissions.records_check``).
* An attendance with a flag that needs a person (``DECISION_FLAGS``) or without a check-out is
  never credited silently: it is confirmed with an adjusted end time and a reason, or voided.
* Each decision is one ledger entry (``ledger.ledger_append``), audited; the volunteer is told.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.activities.models import Attendance, HoursState
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError
from zhiyuan.core.notifications import notify
from zhiyuan.core.text import text_error
from zhiyuan.records.models import CreditedInterval, EntryAction, HourEntry, HourKind
from zhiyuan.records.permissions import records_check
from zhiyuan.records.services.ledger import (
    Confirmation,
    confirmation_of,
    day_credit_minutes,
    ledger_append,
    ledger_lock,
    overlap_check,
)

# Flags a person must look at before hours are credited (checked-in by hand, the shift closed a
# forgotten check-out, synced later from a phone offline, checked in away from the place).
DECISION_FLAGS = ("auto_closed", "manual", "offline", "outside_geofence")
FLAG_LABELS = {
    "late": gettext_lazy("迟到"),
    "outside_geofence": gettext_lazy("不在签到范围内"),
    "offline": gettext_lazy("离线签到"),
    "auto_closed": gettext_lazy("未签退（班次结束自动签退）"),
    "manual": gettext_lazy("人工补录"),
}
INVALID = gettext_lazy("提交的数据有误，请检查后重试。")


def _invalid(fields: dict) -> DomainError:
    return DomainError("invalid", INVALID, fields=fields, status=422)


def flag_labels(flags) -> list[str]:
    return [str(FLAG_LABELS.get(f, f)) for f in (flags or [])]


def needs_decision(attendance: Attendance) -> list[str]:
    """The reasons an attendance may not be confirmed as it is (empty: it may, in bulk too)."""
    found = [f for f in DECISION_FLAGS if f in (attendance.flags or [])]
    if attendance.check_out_at is None and "auto_closed" not in found:
        found.append("no_check_out")
    return found


# --- the arithmetic (REC-1) -----------------------------------------------------------------------


def round_minutes(raw: int, *, unit: int | None = None, mode: str | None = None) -> int:
    unit = settings.ZHIYUAN_HOURS_ROUNDING_MINUTES if unit is None else unit
    mode = settings.ZHIYUAN_HOURS_ROUNDING if mode is None else mode
    if raw <= 0:
        return 0
    if unit <= 1:
        return raw
    if mode == "up":
        return -(-raw // unit) * unit
    if mode == "nearest":
        return (raw + unit // 2) // unit * unit
    return raw // unit * unit


def clip(*, starts_at, ends_at, window_start, window_end):
    """``(start, end)`` of the interval inside the window, or None when nothing is left."""
    start, end = max(starts_at, window_start), min(ends_at, window_end)
    return (start, end) if end > start else None


def minutes_between(start, end) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def capped(minutes: int, *, already: int, cap: int | None = None) -> int:
    cap = settings.ZHIYUAN_HOURS_DAILY_CAP_MINUTES if cap is None else cap
    if cap <= 0:
        return minutes
    return max(0, min(minutes, cap - already))


def service_date_of(ts) -> dt.date:
    return timezone.localtime(ts).date()


@dataclass(frozen=True)
class Credit:
    starts_at: dt.datetime
    ends_at: dt.datetime
    raw_minutes: int
    minutes: int  # rounded and capped
    service_date: dt.date


def credit_for(*, volunteer_id: int, starts_at, ends_at, window_start, window_end, excluding=()) -> Credit:
    """What an interval earns: clipped to the window (the shift), rounded, capped by what the
    volunteer already has that day (``excluding`` the entries being replaced)."""
    interval = clip(starts_at=starts_at, ends_at=ends_at, window_start=window_start, window_end=window_end)
    if interval is None:
        raise _invalid({"ends_at": [_("签退时间须晚于签到时间，且在班次时间之内有服务时段。")]})
    start, end = interval
    raw = minutes_between(start, end)
    day = service_date_of(start)
    already = day_credit_minutes(volunteer_id=volunteer_id, service_date=day, excluding=excluding)
    return Credit(start, end, raw, capped(round_minutes(raw), already=already), day)


# --- confirming attendance (REC-1, REC-2) ---------------------------------------------------------


def _reason(value: str, *, required: bool, name: str = "reason") -> str:
    text = " ".join(str(value or "").split())
    problem = text_error(text, limit=200)
    if required and not text:
        raise _invalid({name: [_("请填写原因。")]})
    if problem:
        raise _invalid({name: [problem]})
    return text


def _locked_attendance(attendance_id: int) -> Attendance:
    return Attendance.objects.select_related("activity", "shift", "volunteer__user").get(pk=attendance_id)


def _shift_finished_check(att: Attendance, now) -> None:
    if att.shift.ends_at > now and att.check_out_at is None:
        raise Conflict("not_finished", _("该班次尚未结束，志愿者也未签退，暂不能确认时长。"))


def _notify_hours(entry: HourEntry, volunteer=None, *, title, body) -> None:
    """Tell the volunteer (ACT-7 "hours confirmed"), in this transaction."""
    from django.urls import reverse

    from zhiyuan.volunteers.models import Volunteer

    if volunteer is None:
        volunteer = Volunteer.objects.select_related("user").get(pk=entry.volunteer_id)
    notify(
        user=volunteer.user,
        kind="records.hours",
        title=title,
        body=body,
        url=reverse("records:my_hours"),
        dedupe_key=f"records.entry.{entry.pk}",
    )


def _hm(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(minutes), 60)
    return _("%(sign)s%(h)d小时%(m)02d分") % {"sign": sign, "h": h, "m": m}


def _decide_pending(att: Attendance) -> None:
    if att.hours_state != HoursState.PENDING:
        raise Conflict("decided", _("该签到记录的时长已处理，不能重复处理。"))


def credit_confirm(
    *, actor, starts_at, ends_at, window_start, window_end, reason: str, attendance=None, correction=None, now=None
) -> tuple[HourEntry, Credit]:
    """Credit for service from ``starts_at`` to ``ends_at`` (clipped to the window, rounded,
    capped: ``credit_for``) of one ``attendance``, or of the omission an accepted ``correction``
    names: refused when it overlaps the volunteer's credit (naming it), else a confirm entry on
    the chain and its credited interval. The caller holds the volunteer's ledger lock.
    Returns (entry, credit)."""
    source = attendance if attendance is not None else correction
    volunteer_id = source.volunteer_id
    credit = credit_for(
        volunteer_id=volunteer_id, starts_at=starts_at, ends_at=ends_at, window_start=window_start, window_end=window_end
    )
    overlap_check(volunteer_id=volunteer_id, starts_at=credit.starts_at, ends_at=credit.ends_at)
    entry = ledger_append(
        HourEntry(
            volunteer_id=volunteer_id,
            organization_id=source.organization_id,
            region_code=source.region_code,
            activity_id=source.activity_id,
            attendance_id=attendance.pk if attendance is not None else None,
            correction=correction,
            kind=HourKind.CREDIT,
            action=EntryAction.CONFIRM,
            minutes=credit.minutes,
            starts_at=credit.starts_at,
            ends_at=credit.ends_at,
            service_date=credit.service_date,
            reason=reason,
            recorded_by=actor,
            created_at=now or timezone.now(),
        )
    )
    CreditedInterval.objects.create(
        volunteer_id=volunteer_id, entry=entry, activity_id=source.activity_id,
        starts_at=credit.starts_at, ends_at=credit.ends_at,
    )  # fmt: skip
    return entry, credit


@transaction.atomic
def attendance_confirm(*, actor, attendance: Attendance, ends_at=None, reason: str = "", request=None) -> HourEntry:
    """Confirm the hours of one attendance (REC-1). Without ``ends_at`` only an attendance that
    needs no decision (no flag of ``DECISION_FLAGS``, checked out); with ``ends_at`` (the adjusted
    end of service, e.g. for a forgotten check-out) a ``reason`` is required and recorded.
    Refused (409) when the interval overlaps credit the volunteer already has, naming it."""
    records_check(actor, attendance.organization_id)
    adjusted = ends_at is not None
    reason = _reason(reason, required=adjusted)
    ledger_lock(attendance.volunteer_id)
    att = _locked_attendance(attendance.pk)  # re-read under the volunteer's lock
    _decide_pending(att)
    now = timezone.now()
    _shift_finished_check(att, now)
    if not adjusted:
        pending = needs_decision(att)
        if pending:
            raise Conflict(
                "needs_decision",
                _("该签到记录有异常（%(flags)s），须填写核实后的签退时间和原因后确认，或作废。")
                % {"flags": _("、").join(flag_labels(pending)) if pending != ["no_check_out"] else _("未签退")},
                fields={"flags": [str(f) for f in pending]},
            )
        ends_at = att.check_out_at
    elif ends_at <= att.check_in_at:
        raise _invalid({"ends_at": [_("签退时间须晚于签到时间。")]})
    elif ends_at > now:
        raise _invalid({"ends_at": [_("签退时间不能晚于当前时间。")]})
    entry, credit = credit_confirm(
        actor=actor, attendance=att, starts_at=att.check_in_at, ends_at=ends_at, window_start=att.shift.starts_at,
        window_end=att.shift.ends_at, reason=reason, now=now,
    )  # fmt: skip
    Attendance.objects.filter(pk=att.pk).update(hours_state=HoursState.CONFIRMED)
    audit_record(
        actor=actor,
        action="records.hours.confirm",
        obj=entry,
        request=request,
        detail={
            "attendance": att.pk,
            "minutes": credit.minutes,
            "raw_minutes": credit.raw_minutes,
            "adjusted_end": ends_at.isoformat() if adjusted else None,
            "flags": list(att.flags or []),
            "reason": reason,
        },
    )
    _notify_hours(
        entry,
        att.volunteer,
        title=_("服务时长已确认"),
        body=_("「%(activity)s」%(date)s 的服务时长已确认：%(hours)s。")
        % {"activity": att.activity.title, "date": credit.service_date.isoformat(), "hours": _hm(credit.minutes)},
    )
    attendance.hours_state = HoursState.CONFIRMED
    return entry


@dataclass
class BulkResult:
    confirmed: list[int] = field(default_factory=list)  # attendance ids
    skipped: list[dict] = field(default_factory=list)  # {"attendance_id", "code", "message"}


def attendances_confirm_bulk(*, actor, organization, ids, request=None) -> BulkResult:
    """Confirm many attendances of ``organization`` at once: those that need no decision. Each is
    its own transaction; one that is flagged, decided already, unfinished or overlapping is
    skipped with its reason, never confirmed half-way."""
    records_check(actor, organization.pk)
    ids = sorted({int(i) for i in ids if 0 < int(i) < 2**63})
    limit = settings.ZHIYUAN_HOURS_BULK_MAX
    if not ids:
        raise _invalid({"attendance_ids": [_("请选择要确认的签到记录。")]})
    if len(ids) > limit:
        raise _invalid({"attendance_ids": [_("一次最多确认 %(n)d 条。") % {"n": limit}]})
    found = {a.pk: a for a in Attendance.objects.filter(pk__in=ids, organization_id=organization.pk)}
    result = BulkResult()
    for i in ids:
        att = found.get(i)
        if att is None:
            result.skipped.append({"attendance_id": i, "code": "not_found", "message": _("签到记录不存在或不属于本组织。")})
            continue
        try:
            attendance_confirm(actor=actor, attendance=att, request=request)
        except DomainError as exc:
            result.skipped.append({"attendance_id": i, "code": exc.code, "message": str(exc.message)})
        else:
            result.confirmed.append(i)
    return result


@transaction.atomic
def attendance_void(*, actor, attendance: Attendance, reason: str, request=None) -> HourEntry:
    """Decide that an attendance earns no hours (a reason is required). The decision is in the
    ledger too: a void entry of 0 minutes pointing at the attendance."""
    records_check(actor, attendance.organization_id)
    reason = _reason(reason, required=True)
    ledger_lock(attendance.volunteer_id)
    att = _locked_attendance(attendance.pk)
    _decide_pending(att)
    entry = ledger_append(
        HourEntry(
            volunteer_id=att.volunteer_id,
            organization_id=att.organization_id,
            region_code=att.region_code,
            activity_id=att.activity_id,
            attendance_id=att.pk,
            kind=HourKind.CREDIT,
            action=EntryAction.VOID,
            minutes=0,
            service_date=service_date_of(att.check_in_at),
            reason=reason,
            recorded_by=actor,
        )
    )
    Attendance.objects.filter(pk=att.pk).update(hours_state=HoursState.VOIDED)
    audit_record(
        actor=actor, action="records.hours.void_attendance", obj=entry, request=request,
        detail={"attendance": att.pk, "flags": list(att.flags or []), "reason": reason},
    )  # fmt: skip
    _notify_hours(
        entry,
        att.volunteer,
        title=_("签到记录未计时长"),
        body=_("「%(activity)s」的签到记录经组织核实不计服务时长：%(reason)s。如有异议可申请更正。")
        % {"activity": att.activity.title, "reason": reason},
    )
    attendance.hours_state = HoursState.VOIDED
    return entry


# --- compensating entries (REC-3) -----------------------------------------------------------------


def _confirmation_for_change(actor, entry: HourEntry) -> Confirmation:
    records_check(actor, entry.organization_id)
    ledger_lock(entry.volunteer_id)
    conf = confirmation_of(entry)
    if conf.root.action != EntryAction.CONFIRM:
        raise Conflict("not_confirmation", _("只能作废或更正已确认的时长记录。"))
    if conf.voided:
        raise Conflict("voided", _("该时长记录已作废。"))
    return conf


def _compensate(conf: Confirmation, *, actor, action, minutes, reason, starts_at=None, ends_at=None, correction=None):
    root = conf.root
    return ledger_append(
        HourEntry(
            volunteer_id=root.volunteer_id,
            organization_id=root.organization_id,
            region_code=root.region_code,
            activity_id=root.activity_id,
            attendance_id=root.attendance_id,
            kind=root.kind,
            action=action,
            minutes=minutes,
            starts_at=starts_at,
            ends_at=ends_at,
            service_date=root.service_date,  # a compensation counts where the original counted
            refers_to_id=root.pk,
            correction=correction,
            reason=reason,
            recorded_by=actor,
        )
    )


@transaction.atomic
def entry_void(*, actor, entry: HourEntry, reason: str, request=None) -> HourEntry:
    """Void a confirmation: a compensating entry of minus what it stands at now; its credited
    interval is released and its attendance marked 不计时长."""
    reason = _reason(reason, required=True)
    conf = _confirmation_for_change(actor, entry)
    void = _compensate(conf, actor=actor, action=EntryAction.VOID, minutes=-conf.minutes, reason=reason)
    if conf.interval is not None:
        CreditedInterval.objects.filter(pk=conf.interval.pk).delete()
    if conf.root.attendance_id:
        Attendance.objects.filter(pk=conf.root.attendance_id).update(hours_state=HoursState.VOIDED)
    audit_record(
        actor=actor, action="records.hours.void", obj=void, request=request,
        detail={"entry": conf.root.pk, "minutes": void.minutes, "reason": reason},
    )  # fmt: skip
    _notify_hours(
        void,
        title=_("服务时长已作废"),
        body=_("%(date)s 的一条服务时长（%(hours)s）已作废：%(reason)s。")
        % {"date": conf.root.service_date.isoformat(), "hours": _hm(conf.minutes), "reason": reason},
    )
    return void


@transaction.atomic
def entry_correct(
    *, actor, entry: HourEntry, reason: str, starts_at=None, ends_at=None, minutes=None, correction=None, request=None
) -> HourEntry:
    """Correct a confirmation with a compensating entry of the difference. Credit: a new
    interval (``starts_at``/``ends_at``, each defaulting to the present one), clipped to the
    shift, rounded, capped, overlap-checked against the volunteer's other credit. Honour: the
    new ``minutes``."""
    reason = _reason(reason, required=True)
    conf = _confirmation_for_change(actor, entry)
    root = conf.root
    if root.kind == HourKind.HONOUR:
        if minutes is None or not 0 < int(minutes) <= settings.ZHIYUAN_HONOUR_MAX_MINUTES:
            raise _invalid({"minutes": [_("分钟数须为1至%(n)d。") % {"n": settings.ZHIYUAN_HONOUR_MAX_MINUTES}]})
        delta = int(minutes) - conf.minutes
        if delta == 0:
            raise _invalid({"minutes": [_("更正后的时长与现有时长相同。")]})
        new = _compensate(conf, actor=actor, action=EntryAction.CORRECT, minutes=delta, reason=reason, correction=correction)
    else:
        if starts_at is None and ends_at is None:
            raise _invalid({"ends_at": [_("请填写更正后的开始或结束时间。")]})
        cur = conf.interval
        start = starts_at or (cur.starts_at if cur else root.starts_at)
        end = ends_at or (cur.ends_at if cur else root.ends_at)
        if end <= start:
            raise _invalid({"ends_at": [_("结束时间须晚于开始时间。")]})
        window = _window_of(root)
        credit = credit_for(
            volunteer_id=root.volunteer_id, starts_at=start, ends_at=end, window_start=window[0], window_end=window[1],
            excluding=conf.ids,
        )  # fmt: skip
        if credit.service_date != root.service_date:
            raise _invalid({"starts_at": [_("更正不能改变服务日期；请作废后重新记录。")]})
        overlap_check(
            volunteer_id=root.volunteer_id, starts_at=credit.starts_at, ends_at=credit.ends_at, replacing_entry_ids=conf.ids
        )
        delta = credit.minutes - conf.minutes
        if delta == 0 and cur is not None and (cur.starts_at, cur.ends_at) == (credit.starts_at, credit.ends_at):
            raise _invalid({"ends_at": [_("更正后的时段与现有时段相同。")]})
        new = _compensate(
            conf, actor=actor, action=EntryAction.CORRECT, minutes=delta, reason=reason,
            starts_at=credit.starts_at, ends_at=credit.ends_at, correction=correction,
        )  # fmt: skip
        if cur is not None:
            CreditedInterval.objects.filter(pk=cur.pk).update(entry=new, starts_at=credit.starts_at, ends_at=credit.ends_at)
        else:
            CreditedInterval.objects.create(
                volunteer_id=root.volunteer_id, entry=new, activity_id=root.activity_id,
                starts_at=credit.starts_at, ends_at=credit.ends_at,
            )  # fmt: skip
    audit_record(
        actor=actor, action="records.hours.correct", obj=new, request=request,
        detail={"entry": root.pk, "delta": new.minutes, "reason": reason, "correction": getattr(correction, "pk", None)},
    )  # fmt: skip
    _notify_hours(
        new,
        title=_("服务时长已更正"),
        body=_("%(date)s 的一条服务时长已更正为 %(hours)s：%(reason)s。")
        % {"date": root.service_date.isoformat(), "hours": _hm(conf.minutes + new.minutes), "reason": reason},
    )
    return new


def _window_of(root: HourEntry):
    """Where a credit interval may lie: the attendance's shift, or (credit recorded from a
    correction, without attendance) the activity's window."""
    if root.attendance_id:
        shift = Attendance.objects.select_related("shift").get(pk=root.attendance_id).shift
        return shift.starts_at, shift.ends_at
    from zhiyuan.activities.models import Activity

    a = Activity.objects.only("starts_at", "ends_at").get(pk=root.activity_id)
    return a.starts_at, a.ends_at


def entry_get_for_change(*, actor, id) -> HourEntry:
    """An entry the actor may void or correct: 404 unless visible to them, 403 unless they
    administer its organization."""
    from zhiyuan.accounts.scopes import get_for

    entry = get_for(actor, HourEntry, id)
    records_check(actor, entry.organization_id)
    return entry

"""Enrollment 报名 (SPEC ACT-3; 条例 art. 15–17; RULES.md "minors are never organized into
dangerous activities").

* ``enroll(actor, slot, note)`` — the signed-in volunteer signs up for a position on a shift.
  Auto-accept activities accept while the slot has room and put the rest on the waitlist (候补);
  review activities hold the sign-up as pending until the organizer decides.
* ``cancel(actor, enrollment, reason)`` — the volunteer withdraws. An accepted place may be given
  back only before the activity's cancellation deadline (``cancel_deadline_hours`` before the
  shift starts); a pending or waitlisted sign-up until the shift starts.
* ``decide(actor, enrollment, "accept"|"reject", reason)`` — the organizing organization's admins
  (谁组织谁记录) accept a pending sign-up (onto the waitlist when the slot is full) or reject any
  live one, with a reason.
* A freed accepted place (cancel or reject) goes to the first waitlisted person, in the order they
  signed up (``promote_next``), in the same transaction.
* ``cancel_all_for_activity(activity, reason)`` — a cancelled activity ends every live sign-up and
  tells each person.

**Capacity is never exceeded.** Every change of an enrollment's status first locks its ``Slot`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the project's IMMEDIATE transactions serialise
writers, settings.py) and changes the kept counts of the slot (``accepted``, ``pending``,
``waitlisted``) and ``Activity.slots_open`` in the same transaction; the database's check
``accepted <= capacity`` is the last line of defence. The lock order is always volunteer →
activity → slot → enrollment rows (the activity's own cancellation changes its row first), so
two transactions never wait on each other in a circle.

**Eligibility** (``eligibility`` / ``eligibility_for_shift``) answers with every reason that applies,
each a precise Chinese sentence, in a constant number of queries however many positions the
shift has: the volunteer's status and restriction, recruitment open, shift not started, members
only, age on the shift's day (Asia/Shanghai), minors on dangerous or adult-only positions,
skills, training and qualifications (``training.services.eligibility``), insurance
(``insurance.coverage.insurance_covered``: the activity's own policy if it has one, else the
organization's cover) and an overlapping enrollment (naming the other activity).
"""

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.accounts.scopes import get_for, pk_or_404
from zhiyuan.activities.models import (
    ACTIVE_ENROLLMENT,
    Activity,
    ActivityStatus,
    EnrollmentMode,
    EnrollmentStatus,
    Position,
    Shift,
    Slot,
    Visibility,
)
from zhiyuan.activities.models import Enrollment as EnrollmentModel
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound
from zhiyuan.core.notifications import notify
from zhiyuan.core.text import text_error
from zhiyuan.volunteers.minors import SHANGHAI, age_on, is_minor_birth
from zhiyuan.volunteers.models import Volunteer, processable_q
from zhiyuan.volunteers.selectors import volunteer_for

LIVE = ACTIVE_ENROLLMENT
ACCEPT, REJECT = "accept", "reject"
INVALID_DATA = gettext_lazy("提交的数据有误，请检查后重试。")
NOTICE_KIND = "activities.enrollment"  # the 报名结果 topic of core.notifications (ACT-7 preferences)


# --- the answer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass
class Eligibility:
    """May this volunteer sign up for this slot? ``reasons`` lists every obstacle (Chinese)."""

    reasons: list[Reason] = field(default_factory=list)
    enrollment_id: int | None = None  # their live enrollment on this shift, if any

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def message(self) -> str:
        return _("；").join(r.message for r in self.reasons)

    def __bool__(self) -> bool:
        return self.ok

    def refusal(self) -> DomainError:
        """The refusal a sign-up answers with (409), every reason listed."""
        return Conflict(self.reasons[0].code, self.message, fields={"eligibility": [r.message for r in self.reasons]})


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value, SHANGHAI)


def _when(value: dt.datetime) -> str:
    return _local(value).strftime("%Y-%m-%d %H:%M")


def shift_day(shift) -> dt.date:
    """The shift's calendar day in Asia/Shanghai (ages and cover are counted on it)."""
    return _local(shift.starts_at).date()


def cancel_deadline(enrollment_or_shift, activity=None) -> dt.datetime:
    """The last moment an accepted place may be given back: ``cancel_deadline_hours`` before
    the shift starts."""
    activity = activity or enrollment_or_shift.activity
    return enrollment_or_shift.starts_at - dt.timedelta(hours=activity.cancel_deadline_hours)


# --- reading what eligibility needs (constant queries) ----------------------------------------


def _requirements(position_ids: list[int]) -> dict[int, list]:
    """``{position id: [training Requirement]}`` for the positions: one query (the two
    many-to-many tables as one UNION), none when there are no positions."""
    from zhiyuan.training.services.eligibility import Requirement

    out: dict[int, list] = {pid: [] for pid in position_ids}
    if not position_ids:
        return out
    courses = (
        Position.required_courses.through.objects.filter(position_id__in=position_ids)
        .annotate(kind=Value("c", output_field=CharField()))
        .values_list("position_id", "trainingcourse_id", "trainingcourse__name", "kind")
        .order_by()
    )
    quals = (
        Position.required_qualifications.through.objects.filter(position_id__in=position_ids)
        .annotate(kind=Value("q", output_field=CharField()))
        .values_list("position_id", "qualificationtype_id", "qualificationtype__name", "kind")
        .order_by()
    )
    for position_id, ref, name, kind in courses.union(quals, all=True):
        req = Requirement(course_id=ref, name=name) if kind == "c" else Requirement(qualification_type_id=ref, name=name)
        out[position_id].append(req)
    for reqs in out.values():
        reqs.sort(key=lambda r: (r.course_id is None, r.course_id or r.qualification_type_id or 0))
    return out


def _skill_labels(codes) -> str:
    from zhiyuan.volunteers import code_tables

    return _("、").join(code_tables.label("skill", c) for c in codes)


def _volunteer_reasons(volunteer: Volunteer) -> list[Reason]:
    if volunteer.is_restricted:
        return [Reason("volunteer_restricted", _("您已撤回个人信息处理同意，暂不能报名参加活动。"))]
    if volunteer.status == Volunteer.Status.SUSPENDED:
        return [Reason("volunteer_suspended", _("您的志愿者身份已被暂停，暂不能报名参加活动。"))]
    if volunteer.status == Volunteer.Status.EXITED:
        return [Reason("volunteer_exited", _("您已退出志愿者队伍，不能报名参加活动。"))]
    return []


def _shift_reasons(volunteer: Volunteer, shift: Shift, activity: Activity, *, now, member: bool | None) -> list[Reason]:
    if activity.status == ActivityStatus.CANCELLED:
        return [Reason("activity_cancelled", _("该活动已取消。"))]
    if activity.status != ActivityStatus.PUBLISHED:
        return [Reason("recruitment_closed", _("该活动已停止招募。"))]
    if shift.cancelled:
        return [Reason("shift_cancelled", _("该班次已取消。"))]
    if shift.starts_at <= now:
        return [Reason("shift_started", _("该班次已于%(when)s开始，不能再报名。") % {"when": _when(shift.starts_at)})]
    if activity.visibility == Visibility.MEMBERS and not member:
        return [Reason("members_only", _("该活动仅限%(org)s的在队成员报名。") % {"org": activity.organization.name})]
    return []


def _age_reasons(volunteer: Volunteer, position: Position, day: dt.date) -> list[Reason]:
    reasons = []
    age = age_on(volunteer.birth_date, day)
    minor = is_minor_birth(volunteer.birth_date, day)
    if minor and position.dangerous:
        reasons.append(Reason("minor_dangerous", _("「%(p)s」是危险岗位，未成年人不能参加。") % {"p": position.name}))
    elif minor and not position.minors_allowed:
        reasons.append(Reason("minors_not_allowed", _("「%(p)s」岗位不招募未成年人。") % {"p": position.name}))
    lo, hi = position.min_age, position.max_age
    if lo is None and hi is None:
        return reasons
    if age is None:
        reasons.append(Reason("age_unknown", _("该岗位有年龄要求，请先在个人资料中填写出生日期。")))
        return reasons
    if (lo is not None and age < lo) or (hi is not None and age > hi):
        if lo is not None and hi is not None:
            need = _("%(lo)d至%(hi)d岁") % {"lo": lo, "hi": hi}
        elif lo is not None:
            need = _("%(lo)d岁以上") % {"lo": lo}
        else:
            need = _("%(hi)d岁以下") % {"hi": hi}
        reasons.append(
            Reason(
                "age",
                _("「%(p)s」岗位要求年龄%(need)s，您在活动当天（%(day)s）为%(age)d岁。")
                % {"p": position.name, "need": need, "day": day.isoformat(), "age": age},
            )
        )
    return reasons


def _overlaps(volunteer_id: int, shift: Shift) -> list[tuple]:
    """The volunteer's live enrollments whose window overlaps the shift's (this shift's own
    included): ``(enrollment id, shift id, activity title, starts_at, ends_at)``. One query on
    the ``(volunteer, starts_at)`` index."""
    return list(
        EnrollmentModel.objects.filter(
            volunteer_id=volunteer_id, status__in=LIVE, starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at
        )
        .order_by("starts_at", "id")
        .values_list("id", "shift_id", "activity__title", "starts_at", "ends_at")[:5]
    )


def _overlap_reasons(rows: list[tuple], shift: Shift) -> tuple[list[Reason], int | None]:
    own = next((r[0] for r in rows if r[1] == shift.pk), None)
    if own is not None:
        return [Reason("already_enrolled", _("您已报名该班次。"))], own
    if rows:
        _id, _shift, title, starts, ends = rows[0]
        return [
            Reason(
                "overlap",
                _("您已报名同一时段的活动「%(title)s」（%(start)s–%(end)s），时间冲突。")
                % {"title": title, "start": _when(starts), "end": _local(ends).strftime("%H:%M")},
            )
        ], None
    return [], None


def _is_member(volunteer: Volunteer, organization) -> bool:
    from zhiyuan.organizations.models import Membership

    return Membership.objects.filter(
        Q(organization_id=organization.pk) | Q(organization__parent_id=organization.pk),
        volunteer_id=volunteer.pk,
        status=Membership.Status.ACTIVE,
    ).exists()


def _insurance_reason(volunteer: Volunteer, activity: Activity, day: dt.date) -> Reason | None:
    from zhiyuan.insurance.coverage import insurance_covered

    answer = insurance_covered(volunteer=volunteer, organization=activity.organization, on=day, policy=activity.insurance_policy)
    if answer.covered:
        return None
    return Reason("insurance", _("该岗位须有保险：%(why)s。") % {"why": answer.reason})


def _shift_eligibility(volunteer: Volunteer, shift: Shift, slots: list[Slot], *, overlap: bool = True) -> dict[int, Eligibility]:
    """``{slot id: Eligibility}`` for the slots of one shift (``shift.activity.organization``
    loaded; each slot's ``position`` loaded). Queries: requirements (1), and only when some
    position needs them: skills (1), training (1), insurance (1), membership (1); overlap (1)."""
    from zhiyuan.training.services.eligibility import training_requirements_met_batch
    from zhiyuan.volunteers.models import VolunteerSkill

    activity = shift.activity
    now = timezone.now()
    day = shift_day(shift)
    base = _volunteer_reasons(volunteer)
    member = _is_member(volunteer, activity.organization) if activity.visibility == Visibility.MEMBERS else None
    base += _shift_reasons(volunteer, shift, activity, now=now, member=member)
    positions = [s.position for s in slots]
    # a slot read by ``slot_get`` knows whether its position has requirements (saves a query)
    known_none = [s.position_id for s in slots if getattr(s, "has_requirements", None) is False]
    reqs = _requirements([p.pk for p in positions if p.pk not in known_none])
    reqs.update({pid: [] for pid in known_none})
    all_reqs = list({r: None for p in positions for r in reqs[p.pk]})
    training: dict = {}
    if all_reqs:
        answer = training_requirements_met_batch(volunteer_ids=[volunteer.pk], requirements=all_reqs, on=day)[volunteer.pk]
        training = _training_breakdown(all_reqs, answer.reasons)
    needs_skills = sorted({c for p in positions for c in (p.skills or [])})
    held = (
        set(VolunteerSkill.objects.filter(volunteer_id=volunteer.pk, code__in=needs_skills).values_list("code", flat=True))
        if needs_skills
        else set()
    )
    insured = None
    if any(p.insurance_required or p.dangerous for p in positions):
        insured = _insurance_reason(volunteer, activity, day)
    overlap_reasons, own = _overlap_reasons(_overlaps(volunteer.pk, shift), shift) if overlap else ([], None)
    out = {}
    for slot in slots:
        p = slot.position
        reasons = list(base)
        reasons += _age_reasons(volunteer, p, day)
        missing = [c for c in (p.skills or []) if c not in held]
        if missing:
            reasons.append(
                Reason("skills", _("「%(p)s」岗位需要以下技能：%(skills)s。") % {"p": p.name, "skills": _skill_labels(missing)})
            )
        reasons += [Reason("training", training[r]) for r in reqs[p.pk] if r in training]
        if insured is not None and (p.insurance_required or p.dangerous):
            reasons.append(insured)
        reasons += overlap_reasons
        out[slot.pk] = Eligibility(reasons, own)
    return out


def _training_breakdown(reqs: list, reasons: list[str]) -> dict:
    """``{requirement: reason}`` for the unmet ones. The training answer lists one reason per
    unmet requirement, in the order the requirements were asked, each naming its requirement in
    one of three sentences (expired, course not done, qualification not held): walk both lists
    together, so one query answers every position of the shift."""
    expired = _("%(name)s证书已于%(date)s过期")
    out = {}
    pending = list(reasons)
    for r in reqs:
        if not pending:
            break
        head = pending[0]
        before, _sep, after = (expired % {"name": r.name, "date": "\x00"}).partition("\x00")
        missing = (_("未完成「%(name)s」培训") if r.course_id is not None else _("未取得「%(name)s」资格")) % {"name": r.name}
        if head == missing or (head.startswith(before) and head.endswith(after) and len(head) == len(before) + 10 + len(after)):
            out[r] = pending.pop(0)
    return out


# --- loading ---------------------------------------------------------------------------------

# What eligibility and the sign-up read of a slot, its shift, activity and position, in one
# written-out query built into model instances with ``Model.from_db`` (docs/benchmarks.md
# "Enrollment": building this query through the ORM — four tables, deferred columns, the
# requirement flag — was a quarter of a sign-up's time). The organization and the insurance
# policy are read only when a rule needs them.
_SLOT_COLUMNS = {
    Slot: ("id", "shift_id", "position_id", "capacity", "accepted", "pending", "waitlisted"),
    Shift: ("id", "activity_id", "starts_at", "ends_at", "cancelled"),
    Activity: (
        "id", "title", "status", "visibility", "enrollment_mode", "organization_id", "region_code",
        "insurance_policy_id", "address", "cancel_deadline_hours", "contact_name", "contact_phone",
    ),
    Position: (
        "id", "activity_id", "name", "skills", "min_age", "max_age", "minors_allowed", "dangerous", "insurance_required",
    ),
}  # fmt: skip
_ALIAS = {Slot: "s", Shift: "sh", Activity: "a", Position: "p"}
# ``from_db`` takes a subset of the columns in the model's own field order
_SLOT_COLUMNS = {
    m: tuple(f.attname for f in m._meta.concrete_fields if f.attname in fields) for m, fields in _SLOT_COLUMNS.items()
}


def _slot_sql(where: str) -> str:
    q = connection.ops.quote_name
    columns = ", ".join(f"{_ALIAS[m]}.{q(m._meta.get_field(f).column)}" for m, fields in _SLOT_COLUMNS.items() for f in fields)
    courses = Position.required_courses.through
    quals = Position.required_qualifications.through
    return (
        f"SELECT {columns}, (EXISTS (SELECT 1 FROM {_table(courses)} rc WHERE rc.position_id = p.id)"  # noqa: S608
        f" OR EXISTS (SELECT 1 FROM {_table(quals)} rq WHERE rq.position_id = p.id))"
        f" FROM {_table(Slot)} s JOIN {_table(Shift)} sh ON sh.id = s.shift_id"
        f" JOIN {_table(Activity)} a ON a.id = sh.activity_id JOIN {_table(Position)} p ON p.id = s.position_id"
        f" WHERE {where}"
    )


def _build(model, fields: tuple, values) -> object:
    """A ``model`` instance from raw column values, each converted as the ORM converts it
    (dates, booleans and JSON come back differently from SQLite and PostgreSQL)."""
    table = model._meta.db_table
    out = []
    for name, value in zip(fields, values, strict=True):
        f = model._meta.get_field(name)
        col = f.get_col(table)
        for convert in connection.ops.get_db_converters(col) + f.get_db_converters(connection):
            value = convert(value, col, connection)
        out.append(value)
    return model.from_db(connection.alias, list(fields), out)


def _from_row(row) -> Slot:
    made = {}
    i = 0
    for model, fields in _SLOT_COLUMNS.items():
        made[model] = _build(model, fields, row[i : i + len(fields)])
        i += len(fields)
    slot, shift, activity, position = made[Slot], made[Shift], made[Activity], made[Position]
    shift.activity = activity
    slot.shift = shift
    slot.position = position
    slot.has_requirements = bool(row[i])
    return slot


_VOLUNTEER_COLUMNS = tuple(
    f.attname
    for f in Volunteer._meta.concrete_fields
    if f.attname in ("id", "user_id", "volunteer_no", "name", "birth_date", "region_code", "status", "restricted_at")
)


def _signing_volunteer(actor) -> Volunteer:
    """The actor's own volunteer row, the columns eligibility reads (``volunteer_for`` reads the
    whole profile); NotRegistered (404) without one."""
    from zhiyuan.volunteers.selectors import NotRegistered

    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotRegistered()
    q = connection.ops.quote_name
    columns = ", ".join(q(Volunteer._meta.get_field(f).column) for f in _VOLUNTEER_COLUMNS)
    _n, row = _sql(f"SELECT {columns} FROM {_table(Volunteer)} WHERE user_id = %s", [actor.pk])  # noqa: S608
    if row is None:
        raise NotRegistered()
    volunteer = _build(Volunteer, _VOLUNTEER_COLUMNS, row)
    volunteer.user = actor
    return volunteer


def _slot_read(where: str, params: list) -> Slot | None:
    _n, row = _sql(_slot_sql(where), params)
    return _from_row(row) if row is not None else None


def slot_get(slot) -> Slot:
    """The slot (with its shift, activity and position) a volunteer may sign up for: NotFound
    when missing or its activity is not published yet (a draft is nobody's business)."""
    if isinstance(slot, Slot) and "shift" in slot._state.fields_cache:
        loaded = slot
    else:
        loaded = _slot_read("s.id = %s", [pk_or_404(getattr(slot, "pk", slot))])
    if loaded is None or loaded.shift.activity.status == ActivityStatus.DRAFT:
        raise NotFound()
    return loaded


def slot_for(*, activity_id, shift_id, position_id) -> Slot:
    """The slot of ``position_id`` on ``shift_id`` of ``activity_id`` (one query); NotFound otherwise."""
    slot = _slot_read(
        "s.shift_id = %s AND s.position_id = %s AND sh.activity_id = %s",
        [pk_or_404(shift_id), pk_or_404(position_id), pk_or_404(activity_id)],
    )
    return slot_get(slot) if slot is not None else slot_get(0)


# --- reads for the pages ---------------------------------------------------------------------


def eligibility(volunteer: Volunteer, slot) -> Eligibility:
    """May ``volunteer`` sign up for ``slot``, and if not, why (every reason)."""
    slot = slot_get(slot)
    return _shift_eligibility(volunteer, slot.shift, [slot])[slot.pk]


def eligibility_for_shift(volunteer: Volunteer, shift: Shift) -> list[tuple[Slot, Eligibility]]:
    """Each position of ``shift`` (its slot, position loaded) with the volunteer's answer, in a
    constant number of queries: the enrollment page explains before the click."""
    slots = list(Slot.objects.filter(shift_id=shift.pk).select_related("position").order_by("position_id"))
    answers = _shift_eligibility(volunteer, shift, slots)
    return [(s, answers[s.pk]) for s in slots]


# --- writes ----------------------------------------------------------------------------------


def _text(value, name: str, *, limit: int = 200, required: bool = False) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    message = _("此项为必填项。") if required and not value else text_error(value, limit=limit)
    if message:
        raise DomainError("invalid", INVALID_DATA, fields={name: [message]}, status=422)
    return value


def _lock_volunteer(volunteer_id: int) -> None:
    """Serialise one person's sign-ups (the overlap check below must see their other one). SQLite
    serialises every writer already (IMMEDIATE transactions)."""
    if connection.features.has_select_for_update:
        list(Volunteer.objects.select_for_update().filter(pk=volunteer_id).values_list("pk"))


def _lock_activity(activity_id: int) -> None:
    """Every change of an activity's places takes its row first (PostgreSQL): the activity's
    own cancellation changes that row before it cancels the sign-ups, so sign-ups must wait
    there too, never hold a slot while waiting for it (lock order volunteer → activity → slot)."""
    if connection.features.has_select_for_update:
        _sql(f"SELECT id FROM {_table(Activity)} WHERE id = %s FOR UPDATE", [activity_id])  # noqa: S608


def _lock_slot(slot_id: int, activity_id: int) -> Slot:
    _lock_activity(activity_id)
    return Slot.objects.select_for_update().get(pk=slot_id)


def _activity_open_delta(activity_id: int, delta: int) -> None:
    if delta:
        Activity.objects.filter(pk=activity_id).update(slots_open=F("slots_open") + delta)


@functools.cache  # one reverse per process, not per notice (the URL map is fixed once loaded)
def _my_url() -> str:
    try:
        return reverse("activities:my_enrollments")
    except Exception:  # pages not mounted (a bare API deployment)
        return ""


def _tell(enrollment, kind: str, *, reason: str = "") -> None:
    """The enrollment result to the volunteer (ACT-7), in this transaction."""
    title_of = {
        EnrollmentStatus.ACCEPTED: _("报名成功：%(title)s"),
        EnrollmentStatus.WAITLISTED: _("已进入候补：%(title)s"),
        EnrollmentStatus.PENDING: _("报名待审核：%(title)s"),
        EnrollmentStatus.REJECTED: _("未被录用：%(title)s"),
        "promoted": _("候补转为录用：%(title)s"),
        EnrollmentStatus.CANCELLED: _("活动已取消：%(title)s"),
    }
    body_of = {
        EnrollmentStatus.ACCEPTED: _("您已被录用为「%(position)s」，班次 %(when)s，地点 %(address)s。请准时签到。"),
        EnrollmentStatus.WAITLISTED: _(
            "「%(position)s」名额已满，您已进入候补（班次 %(when)s）。有人取消时将按报名先后自动递补并通知您。"
        ),
        EnrollmentStatus.PENDING: _("您报名的「%(position)s」（班次 %(when)s）需组织方审核，结果会通知您。"),
        EnrollmentStatus.REJECTED: _("您报名的「%(position)s」（班次 %(when)s）未被录用。原因：%(reason)s"),
        "promoted": _("有人取消报名，您已由候补转为录用「%(position)s」，班次 %(when)s，地点 %(address)s。"),
        EnrollmentStatus.CANCELLED: _("您报名的「%(position)s」（班次 %(when)s）因活动取消而取消。原因：%(reason)s"),
    }
    activity, position = enrollment.activity, enrollment.slot.position
    values = {
        "title": activity.title,
        "position": position.name,
        "when": _when(enrollment.starts_at),
        "address": activity.address,
        "reason": reason or _("未说明"),
    }
    notify(
        user=enrollment.volunteer.user if "volunteer" in enrollment._state.fields_cache else _user_of(enrollment),
        kind=NOTICE_KIND,
        title=title_of[kind] % values,
        body=body_of[kind] % values,
        url=_my_url(),
    )


def _user_of(enrollment):
    from zhiyuan.accounts.models import User

    return User(pk=Volunteer.objects.filter(pk=enrollment.volunteer_id).values_list("user_id", flat=True).first())


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sql(sql: str, params: list):
    """One statement on the sign-up's hot path, written out (docs/benchmarks.md "Enrollment":
    building ORM statements was most of a sign-up's time inside the write lock). Table names
    come from the models, values are bound parameters."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount, (cur.fetchone() if cur.description else None)


def _take_place(volunteer_id: int, slot: Slot, shift: Shift, *, review: bool) -> str:
    """Inside the sign-up's transaction: serialise the person's sign-ups, take a place (or a
    waitlist or pending place) under the slot row's lock, then check — reading after the lock —
    that the shift still recruits and the person has no overlapping live enrollment. Returns the
    new enrollment's status; raises (rolling the counts back) otherwise."""
    _lock_volunteer(volunteer_id)
    _lock_activity(shift.activity_id)
    slots = _table(Slot)
    if review:
        _sql(f"UPDATE {slots} SET pending = pending + 1 WHERE id = %s", [slot.pk])  # noqa: S608
        status = EnrollmentStatus.PENDING
    elif _sql(f"UPDATE {slots} SET accepted = accepted + 1 WHERE id = %s AND accepted < capacity", [slot.pk])[0]:  # noqa: S608
        status = EnrollmentStatus.ACCEPTED
    else:
        _sql(f"UPDATE {slots} SET waitlisted = waitlisted + 1 WHERE id = %s", [slot.pk])  # noqa: S608
        status = EnrollmentStatus.WAITLISTED
    ops = connection.ops
    live = ", ".join(["%s"] * len(LIVE))
    _n, row = _sql(
        f"SELECT sh.cancelled, a.status, (SELECT e.id FROM {_table(EnrollmentModel)} e WHERE e.volunteer_id = %s"  # noqa: S608
        f" AND e.status IN ({live}) AND e.starts_at < %s AND e.ends_at > %s LIMIT 1)"
        f" FROM {_table(Shift)} sh JOIN {_table(Activity)} a ON a.id = sh.activity_id WHERE sh.id = %s",
        [
            volunteer_id,
            *LIVE,
            ops.adapt_datetimefield_value(shift.ends_at),
            ops.adapt_datetimefield_value(shift.starts_at),
            shift.pk,
        ],
    )
    if row is None or bool(row[0]) or row[1] != ActivityStatus.PUBLISHED:
        raise Conflict("recruitment_closed", _("该活动已停止招募。"))
    if row[2] is not None:
        reasons, _own = _overlap_reasons(_overlaps(volunteer_id, shift), shift)
        raise Eligibility(reasons or [Reason("overlap", _("您已报名该班次。"))]).refusal()
    return status


def _insert_enrollment(**values) -> EnrollmentModel:
    """INSERT … RETURNING id, the instance built from what was written (the ORM's ``create``
    spent more building the statement than the database spent on it)."""
    ops = connection.ops
    fields = [f for f in EnrollmentModel._meta.concrete_fields if not f.primary_key]
    row = {f.attname: values.get(f.attname, f.get_default()) for f in fields}
    adapted = [ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v for v in row.values()]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    _n, (pk,) = _sql(f"INSERT INTO {_table(EnrollmentModel)} ({columns}) VALUES ({marks}) RETURNING id", adapted)  # noqa: S608
    return EnrollmentModel.from_db(connection.alias, ["id", *row], [pk, *row.values()])


def enroll(actor, slot, note: str = "") -> EnrollmentModel:
    """The signed-in volunteer signs up for ``slot`` (a ``Slot`` or its id).

    Refused (409, every reason in Chinese) when not eligible; otherwise accepted while the slot
    has room (auto mode), waitlisted when it is full, pending in review mode. The slot row is
    locked by the first write of the transaction (``UPDATE … WHERE accepted < capacity``, or the
    waitlist/pending count): sign-ups to one slot serialise there and capacity is never exceeded."""
    volunteer = _signing_volunteer(actor)
    slot = slot_get(slot)
    note = _text(note, "note")
    shift, activity = slot.shift, slot.shift.activity
    answer = _shift_eligibility(volunteer, shift, [slot], overlap=False)[slot.pk]
    if not answer.ok:
        raise answer.refusal()
    try:
        with transaction.atomic():
            status = _take_place(volunteer.pk, slot, shift, review=activity.enrollment_mode == EnrollmentMode.REVIEW)
            now = timezone.now()  # after the lock: the waitlist's order is the lock's order
            enrollment = _insert_enrollment(
                slot_id=slot.pk,
                volunteer_id=volunteer.pk,
                shift_id=shift.pk,
                activity_id=activity.pk,
                organization_id=activity.organization_id,
                region_code=activity.region_code,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                status=status,
                note=note,
                applied_at=now,
                decided_at=now if status != EnrollmentStatus.PENDING else None,
            )
            enrollment.slot, enrollment.shift, enrollment.activity = slot, shift, activity
            if status == EnrollmentStatus.ACCEPTED:
                _sql(f"UPDATE {_table(Activity)} SET slots_open = slots_open - 1 WHERE id = %s", [activity.pk])  # noqa: S608
            enrollment.volunteer = volunteer
            _tell(enrollment, status)
    except IntegrityError:  # the same person on the same shift, committed a moment ago
        raise Conflict("already_enrolled", _("您已报名该班次。")) from None
    return enrollment


def _count_field(status: str) -> str:
    return {
        EnrollmentStatus.ACCEPTED: "accepted",
        EnrollmentStatus.PENDING: "pending",
        EnrollmentStatus.WAITLISTED: "waitlisted",
    }[status]


def _move(enrollment, slot: Slot, to_status: str, **values) -> None:
    """Change a live enrollment's status under its slot's lock, keeping the slot's counts and
    the activity's open places in step."""
    was = enrollment.status
    changes = {}
    if was in LIVE:
        changes[_count_field(was)] = F(_count_field(was)) - 1
    if to_status in LIVE:
        name = _count_field(to_status)
        changes[name] = (changes.pop(name) if name in changes else F(name)) + 1
    if changes:
        Slot.objects.filter(pk=slot.pk).update(**changes)
    delta = (1 if was == EnrollmentStatus.ACCEPTED else 0) - (1 if to_status == EnrollmentStatus.ACCEPTED else 0)
    _activity_open_delta(enrollment.activity_id, delta)
    for k, v in values.items():
        setattr(enrollment, k, v)
    enrollment.status = to_status
    EnrollmentModel.objects.filter(pk=enrollment.pk).update(status=to_status, **values)
    if was == EnrollmentStatus.ACCEPTED:
        slot.accepted -= 1
    if to_status == EnrollmentStatus.ACCEPTED:
        slot.accepted += 1


def promote_waitlist(slot: Slot, *, actor=None) -> list[EnrollmentModel]:
    """Fill ``slot``'s free places from its waitlist, first come first served (``applied_at``,
    then id), skipping people who may no longer take part (suspended, exited, restricted).
    Called under the slot's lock (``slot`` is the locked row). Not once the shift has started or
    the activity no longer recruits."""
    promoted = []
    shift = Shift.objects.select_related("activity").get(pk=slot.shift_id)
    if shift.cancelled or shift.starts_at <= timezone.now() or shift.activity.status != ActivityStatus.PUBLISHED:
        return promoted
    while slot.accepted < slot.capacity:
        nxt = (
            EnrollmentModel.objects.filter(
                processable_q("volunteer__"),
                slot_id=slot.pk,
                status=EnrollmentStatus.WAITLISTED,
                volunteer__status=Volunteer.Status.ACTIVE,
            )
            .select_related("volunteer__user", "activity", "slot__position")
            .order_by("applied_at", "id")
            .first()
        )
        if nxt is None:
            break
        _move(nxt, slot, EnrollmentStatus.ACCEPTED, decided_at=timezone.now())
        audit_record(
            actor=actor, action="activities.enrollment.promote", obj=nxt,
            detail={"activity": nxt.activity_id, "slot": slot.pk, "volunteer": nxt.volunteer_id},
        )  # fmt: skip
        _tell(nxt, "promoted")
        promoted.append(nxt)
    return promoted


def _own_enrollment(actor, enrollment) -> EnrollmentModel:
    volunteer = volunteer_for(actor)
    pk = pk_or_404(getattr(enrollment, "pk", enrollment))
    e = EnrollmentModel.objects.select_related("activity", "slot__position").filter(pk=pk, volunteer_id=volunteer.pk).first()
    if e is None:
        raise NotFound()
    e.volunteer = volunteer
    return e


def cancel(actor, enrollment, reason: str = "") -> EnrollmentModel:
    """The volunteer withdraws their own sign-up (anyone else's is a 404). An accepted place
    only before the cancellation deadline, a pending or waitlisted sign-up until the shift
    starts; the freed place goes to the waitlist at once."""
    e = _own_enrollment(actor, enrollment)
    reason = _text(reason, "reason")
    with transaction.atomic():
        slot = _lock_slot(e.slot_id, e.activity_id)
        status = EnrollmentModel.objects.filter(pk=e.pk).values_list("status", flat=True).get()
        e.status = status
        if status not in LIVE:
            raise Conflict("not_live", _("该报名已取消或已处理，无需再取消。"))
        now = timezone.now()
        if e.starts_at <= now:
            raise Conflict("shift_started", _("班次已开始，不能再取消报名。"))
        deadline = cancel_deadline(e)
        if status == EnrollmentStatus.ACCEPTED and now >= deadline:
            contact = " ".join(x for x in (e.activity.contact_name, e.activity.contact_phone) if x)
            raise Conflict(
                "cancel_deadline_passed",
                _(
                    "已过取消截止时间（%(deadline)s，活动开始前%(hours)d小时），不能在线取消；如确实无法参加，请联系组织方%(contact)s。"
                )
                % {"deadline": _when(deadline), "hours": e.activity.cancel_deadline_hours, "contact": contact},
            )
        was = status
        _move(e, slot, EnrollmentStatus.CANCELLED, reason=reason, cancelled_at=now)
        audit_record(
            actor=actor, action="activities.enrollment.cancel", obj=e,
            detail={"activity": e.activity_id, "slot": slot.pk, "was": was},
        )  # fmt: skip
        if was == EnrollmentStatus.ACCEPTED:
            promote_waitlist(slot, actor=actor)
    return e


def enrollment_get_for_decision(actor, enrollment) -> EnrollmentModel:
    """Fetch-and-authorize: 404 when missing or outside the actor's view, 403 when visible (a
    region manager of the region) but the actor does not run the organizing organization."""
    e = get_for(
        actor, EnrollmentModel, getattr(enrollment, "pk", enrollment), "manage", message=_("只有活动组织方的管理员可以处理报名。")
    )
    return e


def decide(actor, enrollment, decision: str, reason: str = "") -> EnrollmentModel:
    """The organizing organization's admin accepts a pending (or waitlisted) sign-up, or rejects
    any live one with a reason. Accepting when the slot is full puts the person on the waitlist
    (said in the answer and the notice); rejecting an accepted person frees the place for the
    waitlist. Audited; the volunteer is told."""
    e = enrollment_get_for_decision(actor, enrollment)
    if decision not in (ACCEPT, REJECT):
        raise DomainError("invalid", INVALID_DATA, fields={"decision": [_("请选择录用或不录用。")]}, status=422)
    reason = _text(reason, "reason", required=decision == REJECT)
    with transaction.atomic():
        slot = _lock_slot(e.slot_id, e.activity_id)
        e = EnrollmentModel.objects.select_related("activity", "slot__position", "volunteer__user").get(pk=e.pk)
        if e.status not in LIVE:
            raise Conflict("not_live", _("该报名已取消或已处理。"))
        if e.activity.status == ActivityStatus.CANCELLED:
            raise Conflict("activity_cancelled", _("该活动已取消。"))
        now = timezone.now()
        if e.ends_at <= now:
            raise Conflict("shift_ended", _("班次已结束，不能再处理报名。"))
        was = e.status
        if decision == ACCEPT:
            if was == EnrollmentStatus.ACCEPTED:
                raise Conflict("already_accepted", _("该志愿者已被录用。"))
            if slot.accepted < slot.capacity:
                to = EnrollmentStatus.ACCEPTED
            elif was == EnrollmentStatus.PENDING:
                to = EnrollmentStatus.WAITLISTED
            else:
                raise Conflict("slot_full", _("该岗位名额已满，候补者将在有人取消时自动递补。"))
        else:
            to = EnrollmentStatus.REJECTED
        _move(e, slot, to, decided_at=now, decided_by_id=actor.pk, reason=reason if to == EnrollmentStatus.REJECTED else e.reason)
        action = "activities.enrollment.accept" if decision == ACCEPT else "activities.enrollment.reject"
        audit_record(
            actor=actor, action=action, obj=e,
            detail={"activity": e.activity_id, "slot": slot.pk, "volunteer": e.volunteer_id, "from": was, "to": to},
        )  # fmt: skip
        _tell(e, to, reason=reason)
        if was == EnrollmentStatus.ACCEPTED and to != EnrollmentStatus.ACCEPTED:
            promote_waitlist(slot, actor=actor)
    return e


def cancel_all_for_activity(activity, reason: str, *, actor=None) -> int:
    """A cancelled activity (or one withdrawn by its organizer) ends every live sign-up and tells
    each person, in the caller's transaction; the slots' counts go to zero and every place is
    open again. Returns how many sign-ups were cancelled. The ``projects`` service that cancels an
    activity calls it."""
    reason = _text(reason, "reason", required=True)
    with transaction.atomic():
        _lock_activity(activity.pk)
        slots = list(Slot.objects.select_for_update().filter(shift__activity_id=activity.pk).order_by("id"))
        live = list(
            EnrollmentModel.objects.filter(activity_id=activity.pk, status__in=LIVE)
            .select_related("volunteer__user", "activity", "slot__position")
            .order_by("id")
        )
        now = timezone.now()
        EnrollmentModel.objects.filter(pk__in=[e.pk for e in live]).update(
            status=EnrollmentStatus.CANCELLED, reason=reason, cancelled_at=now
        )
        Slot.objects.filter(pk__in=[s.pk for s in slots]).update(accepted=0, pending=0, waitlisted=0)
        Activity.objects.filter(pk=activity.pk).update(slots_open=F("slots_total"))
        for e in live:
            e.status = EnrollmentStatus.CANCELLED
            _tell(e, EnrollmentStatus.CANCELLED, reason=reason)
        audit_record(
            actor=actor, action="activities.enrollment.cancel_all", obj=activity,
            detail={"cancelled": len(live), "reason": reason},
        )  # fmt: skip
    return len(live)


def on_activity_cancelled(activity, *, reason: str = "", actor=None) -> int:
    """The hook the activity's cancellation calls (same transaction)."""
    return cancel_all_for_activity(activity, reason or _("活动已由组织方取消"), actor=actor)


def slot_counts_check(activity_id: int | None = None) -> list[tuple[int, dict, dict]]:
    """Slots whose kept counts differ from their rows: ``[(slot id, kept, actual)]`` (a
    consistency check for tests and operators; reads every enrollment of the slots asked)."""
    from django.db.models import Count

    qs = Slot.objects.all() if activity_id is None else Slot.objects.filter(shift__activity_id=activity_id)
    actual: dict[int, dict] = {}
    rows = EnrollmentModel.objects.filter(slot__in=qs, status__in=LIVE).values("slot_id", "status").annotate(n=Count("id"))
    for r in rows.order_by():
        actual.setdefault(r["slot_id"], {})[_count_field(r["status"])] = r["n"]
    out = []
    for s in qs.order_by("id"):
        kept = {"accepted": s.accepted, "pending": s.pending, "waitlisted": s.waitlisted}
        real = {k: actual.get(s.pk, {}).get(k, 0) for k in kept}
        if kept != real:
            out.append((s.pk, kept, real))
    return out

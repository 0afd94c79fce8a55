"""Activities, the organizer's side (SPEC ACT-2): writes.

An organization's admins (the ``activities.Activity`` scope provider, action ``manage``) create
and edit an activity with its positions 岗位 and their requirements, its time windows (a single
event, explicit shifts, or a weekly series with exceptions — ``schedule.py``), publish its
recruitment notice, close recruitment, cancel it with a reason, and mark it finished. Region
managers see and supervise (view, review, export) but do not organize.

Kept in the same transaction as every change (ARCHITECTURE rule 9): one ``Slot`` per shift ×
position with its capacity (the position's ``slots``), ``Activity.slots_total`` (the sum of the
capacities of the shifts not cancelled), ``Activity.slots_open`` (the same minus the accepted
enrollments) and ``Activity.starts_at``/``ends_at`` (the first start, the last end). A change to
a published activity never drops a slot below its accepted enrollments and never removes a
shift or a position someone enrolled in: the refusal says which one, in Chinese.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, VIEW, can, get_for
from zhiyuan.activities import schedule
from zhiyuan.activities.models import (
    Activity,
    ActivityStatus,
    EnrollmentMode,
    Position,
    ProjectStatus,
    Shift,
    Slot,
    Visibility,
)
from zhiyuan.activities.projects import region_clean
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.inputs import UNSET, Unset, given
from zhiyuan.core.text import text_error
from zhiyuan.organizations.services.common import refuse
from zhiyuan.volunteers.codes import ServiceCategory, Skill

INVALID = _("提交的数据有误，请检查后重试。")
MAX_POSITIONS = 20
MAX_REQUIREMENTS = 10
MAX_SLOTS_PER_POSITION = 10_000
MAX_AGE = 120
ADULT = 18
PHONE_RE = re.compile(r"(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?|[48]00-?[0-9]{3}-?[0-9]{4})")
# (limit, multi-line)
TEXT_FIELDS = {
    "title": (100, False),
    "content": (5000, True),
    "conditions": (2000, True),
    "signup_method": (200, False),
    "risks": (2000, True),
    "safeguards": (2000, True),
    "contact_name": (50, False),
    "contact_phone": (20, False),
    "address": (200, False),
}
EDITABLE = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED, ActivityStatus.CLOSED)
LIVE = (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED)
# GB/T 40143: the recruitment notice states time, place, content, conditions, numbers, how to
# sign up, risks and safeguards (and who to ask).
NOTICE_REQUIRED = {
    "content": _("请填写服务内容。"),
    "conditions": _("请填写招募条件。"),
    "signup_method": _("请填写报名方式。"),
    "risks": _("请填写风险提示。"),
    "safeguards": _("请填写保障措施。"),
    "address": _("请填写活动地点。"),
    "contact_name": _("请填写联系人。"),
    "contact_phone": _("请填写联系电话。"),
}


@dataclass(frozen=True, kw_only=True)
class PositionInput:
    """One position with its requirements. ``id`` names an existing position of the activity
    (an edit); without it the position is new."""

    id: int | None = None
    name: str = ""
    duties: str = ""
    slots: int | str = 0  # per shift
    skills: tuple | list = field(default_factory=tuple)  # volunteers.codes.Skill values
    min_age: int | str | None = None
    max_age: int | str | None = None
    minors_allowed: bool = False
    dangerous: bool = False  # ⇒ no minors (条例; RULES.md)
    insurance_required: bool = False
    required_course_ids: tuple | list = field(default_factory=tuple)  # training.TrainingCourse
    required_qualification_ids: tuple | list = field(default_factory=tuple)  # training.QualificationType


@dataclass(frozen=True, kw_only=True)
class ActivityInput:
    """An activity's fields as submitted (page, API, demo data, test factory). An edit leaves
    out (``UNSET``) what it does not change; ``positions`` given is the whole new list, and a
    schedule given (``shifts`` or ``recurrence``, not both) replaces the time windows."""

    title: str | Unset = UNSET
    category: str | Unset = UNSET
    content: str | Unset = UNSET
    conditions: str | Unset = UNSET
    signup_method: str | Unset = UNSET
    risks: str | Unset = UNSET
    safeguards: str | Unset = UNSET
    contact_name: str | Unset = UNSET
    contact_phone: str | Unset = UNSET
    address: str | Unset = UNSET
    latitude: Decimal | str | float | Unset | None = UNSET
    longitude: Decimal | str | float | Unset | None = UNSET
    geofence_m: int | str | Unset = UNSET
    visibility: str | Unset = UNSET
    enrollment_mode: str | Unset = UNSET
    cancel_deadline_hours: int | str | Unset = UNSET
    region_code: str | Unset | None = UNSET  # default: the organization's region
    project_id: int | str | Unset | None = UNSET
    insurance_policy_id: int | str | Unset | None = UNSET
    shifts: list | Unset = UNSET  # [(start, end), …]: a single event is one
    recurrence: schedule.Recurrence | dict | Unset = UNSET
    positions: list | Unset = UNSET  # [PositionInput, …]


def _invalid(errors: dict) -> DomainError:
    return DomainError("invalid", INVALID, fields=errors, status=422)


def _text(value) -> str:
    return str(value if value is not None else "").replace("\x00", "").strip()


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y")
    return bool(value)


def _int(value, *, low: int, high: int):
    """An int in [low, high], or None (bool and fractional values are not numbers here)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(_text(value)) if not isinstance(value, int) else value
    except ValueError:
        return None
    return number if low <= number <= high else None


def _coordinate(value, *, bound: int, label, field_name: str, errors: dict):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(_text(value))
        if not number.is_finite() or not -bound <= number <= bound:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors[field_name] = [_("%(label)s须为 -%(b)d 至 %(b)d 之间的数字。") % {"label": label, "b": bound}]
        return None
    return number.quantize(Decimal("0.000001"))


def _ids(values, name: str, errors: dict, key: str) -> list[int]:
    try:
        ids = sorted({int(v) for v in (values or [])})
        if any(not 0 < i < 2**63 for i in ids):  # a database integer, or the query itself fails
            raise ValueError
    except (TypeError, ValueError):
        errors[key] = [_("%(name)s格式错误。") % {"name": name}]
        return []
    if len(ids) > MAX_REQUIREMENTS:
        errors[key] = [_("%(name)s最多 %(n)d 项。") % {"name": name, "n": MAX_REQUIREMENTS}]
    return ids


# --- validation ---------------------------------------------------------------------------------


def _clean_fields(values: dict, *, actor, organization) -> dict:
    """Every given field of an activity checked at once (field errors together, 422)."""
    errors: dict[str, list] = {}
    out: dict = {}
    for name, (limit, multiline) in TEXT_FIELDS.items():
        if name in values:
            text = _text(values[name])
            if error := text_error(text, limit=limit, multiline=multiline):
                errors[name] = [error]
            out[name] = text
    if "title" in out and not out["title"] and "title" not in errors:
        errors["title"] = [_("请填写活动名称。")]
    if out.get("contact_phone") and "contact_phone" not in errors and not PHONE_RE.fullmatch(out["contact_phone"]):
        errors["contact_phone"] = [_("请输入有效的电话号码：11位手机号或带区号的固定电话（如 0752-2345678）。")]
    if "category" in values:
        out["category"] = _text(values["category"])
        if out["category"] not in ServiceCategory.values:
            errors["category"] = [_("请选择服务类别。") if not out["category"] else _("请选择有效的服务类别。")]
    for name, choices, message in (
        ("visibility", Visibility, _("请选择招募范围。")),
        ("enrollment_mode", EnrollmentMode, _("请选择录用方式。")),
    ):
        if name in values:
            out[name] = _text(values[name])
            if out[name] not in choices.values:
                errors[name] = [message]
    if "geofence_m" in values:
        out["geofence_m"] = _int(values["geofence_m"], low=10, high=10_000)
        if out["geofence_m"] is None:
            errors["geofence_m"] = [_("签到范围须为10至10000米的整数。")]
    if "cancel_deadline_hours" in values:
        out["cancel_deadline_hours"] = _int(values["cancel_deadline_hours"], low=0, high=720)
        if out["cancel_deadline_hours"] is None:
            errors["cancel_deadline_hours"] = [_("取消截止须为0至720小时的整数。")]
    if "latitude" in values or "longitude" in values:
        lat = _coordinate(values.get("latitude"), bound=90, label=_("纬度"), field_name="latitude", errors=errors)
        lon = _coordinate(values.get("longitude"), bound=180, label=_("经度"), field_name="longitude", errors=errors)
        if (lat is None) != (lon is None) and not errors.keys() & {"latitude", "longitude"}:
            errors["latitude"] = [_("经纬度须同时填写，或同时留空。")]
        out["latitude"], out["longitude"] = lat, lon
    if "region_code" in values:
        out["region_code"] = region_clean(values["region_code"], organization=organization, errors=errors)
    if "project_id" in values:
        out["project"] = _project_clean(values["project_id"], actor=actor, organization=organization, errors=errors)
    if "insurance_policy_id" in values:
        out["insurance_policy"] = _policy_clean(values["insurance_policy_id"], actor=actor, organization=organization,
                                                errors=errors)  # fmt: skip
    if errors:
        raise _invalid(errors)
    return out


def _project_clean(raw, *, actor, organization, errors: dict):
    from zhiyuan.activities.models import Project

    if raw in (None, ""):
        return None
    try:
        project = get_for(actor, Project, raw, VIEW)
    except (NotFound, PermissionDenied):
        project = None
    if project is None or project.organization_id != organization.pk:
        errors["project_id"] = [_("所属项目不存在，或不是本组织的项目。")]
        return None
    if project.status not in (ProjectStatus.APPROVED, ProjectStatus.RUNNING):
        errors["project_id"] = [_("只有已立项或实施中的项目可以开展活动。")]
        return None
    return project


def _policy_clean(raw, *, actor, organization, errors: dict):
    from zhiyuan.insurance.models import InsurancePolicy, Status

    if raw in (None, ""):
        return None
    try:
        policy = get_for(actor, InsurancePolicy.objects.select_related("holder"), raw, VIEW)
    except (NotFound, PermissionDenied):
        policy = None
    holders = {organization.pk, organization.parent_id}
    if policy is None or (policy.holder_id is not None and policy.holder_id not in holders):
        errors["insurance_policy_id"] = [_("保单不存在，或不是本组织（或平台）的保单。")]
        return None
    if policy.status != Status.ACTIVE:
        errors["insurance_policy_id"] = [_("该保单已退保，不能用于活动。")]
        return None
    return policy


def _position_clean(p: PositionInput, index: int) -> tuple[dict, dict]:
    """The cleaned fields of one position and its errors (keys ``positions.<n>.<field>``)."""
    from zhiyuan.training.models import CourseStatus, QualificationType, TrainingCourse

    errors: dict[str, list] = {}
    key = f"positions.{index}."
    out: dict = {"id": p.id}
    out["name"] = _text(p.name)
    if error := text_error(out["name"], limit=50):
        errors[key + "name"] = [error]
    elif not out["name"]:
        errors[key + "name"] = [_("请填写岗位名称。")]
    out["duties"] = _text(p.duties)
    if error := text_error(out["duties"], limit=1000, multiline=True):
        errors[key + "duties"] = [error]
    out["slots"] = _int(p.slots, low=1, high=MAX_SLOTS_PER_POSITION)
    if out["slots"] is None:
        errors[key + "slots"] = [_("每班次名额须为1至%(n)d的整数。") % {"n": MAX_SLOTS_PER_POSITION}]
    skills = p.skills.split(",") if isinstance(p.skills, str) else list(p.skills or [])
    out["skills"] = sorted({_text(s) for s in skills if _text(s)})
    if any(s not in Skill.values for s in out["skills"]):
        errors[key + "skills"] = [_("请从列表中选择所需技能。")]
    elif len(out["skills"]) > MAX_REQUIREMENTS:
        errors[key + "skills"] = [_("所需技能最多 %(n)d 项。") % {"n": MAX_REQUIREMENTS}]
    ages = {}
    for name in ("min_age", "max_age"):
        raw = getattr(p, name)
        ages[name] = None if raw in (None, "") else _int(raw, low=0, high=MAX_AGE)
        if raw not in (None, "") and ages[name] is None:
            errors[key + name] = [_("年龄须为0至%(n)d的整数。") % {"n": MAX_AGE}]
    out.update(ages)
    if ages["min_age"] is not None and ages["max_age"] is not None and ages["max_age"] < ages["min_age"]:
        errors[key + "max_age"] = [_("最高年龄不能低于最低年龄。")]
    out["minors_allowed"], out["dangerous"] = _bool(p.minors_allowed), _bool(p.dangerous)
    out["insurance_required"] = _bool(p.insurance_required)
    if out["dangerous"] and out["minors_allowed"]:
        errors[key + "minors_allowed"] = [_("危险岗位不得招募未成年人（如抢险救灾），请取消“允许未成年人”。")]
    elif not out["minors_allowed"] and ages["min_age"] is not None and ages["min_age"] < ADULT:
        errors[key + "min_age"] = [_("不允许未成年人时，最低年龄不能低于18岁。")]
    elif out["minors_allowed"] and ages["max_age"] is not None and ages["max_age"] < ADULT and out["dangerous"]:
        errors[key + "max_age"] = [_("危险岗位不得招募未成年人。")]
    course_ids = _ids(p.required_course_ids, _("须完成的培训"), errors, key + "required_course_ids")
    qual_ids = _ids(p.required_qualification_ids, _("须具备的资格"), errors, key + "required_qualification_ids")
    out["courses"] = list(TrainingCourse.objects.filter(pk__in=course_ids, status=CourseStatus.ACTIVE)) if course_ids else []
    if len(out["courses"]) != len(course_ids) and key + "required_course_ids" not in errors:
        errors[key + "required_course_ids"] = [_("所选培训课程不存在或已停用。")]
    out["qualifications"] = list(QualificationType.objects.filter(pk__in=qual_ids, active=True)) if qual_ids else []
    if len(out["qualifications"]) != len(qual_ids) and key + "required_qualification_ids" not in errors:
        errors[key + "required_qualification_ids"] = [_("所选资格类型不存在或已停用。")]
    return out, errors


def _positions_clean(positions) -> list[dict]:
    items = list(positions or [])
    if len(items) > MAX_POSITIONS:
        raise _invalid({"positions": [_("一个活动最多 %(n)d 个岗位。") % {"n": MAX_POSITIONS}]})
    out, errors = [], {}
    names = set()
    for i, p in enumerate(items):
        if isinstance(p, dict):
            p = PositionInput(**p)
        cleaned, errs = _position_clean(p, i)
        errors.update(errs)
        if cleaned["name"] in names and f"positions.{i}.name" not in errors:
            errors[f"positions.{i}.name"] = [_("岗位名称不能重复。")]
        names.add(cleaned["name"])
        out.append(cleaned)
    if errors:
        raise _invalid(errors)
    return out


def _schedule_clean(values: dict) -> tuple[dict, list] | None:
    """(recurrence JSON, windows) when a schedule is given, else None."""
    has_shifts = values.get("shifts", UNSET) is not UNSET
    has_rec = values.get("recurrence", UNSET) is not UNSET and values.get("recurrence") not in (None, {})
    if has_shifts and has_rec:
        raise _invalid({"shifts": [_("单次/多班次与每周重复只能选择一种。")]})
    if has_rec:
        return schedule.recurrence_clean(values["recurrence"])
    if has_shifts:
        return {}, schedule.windows_clean(values["shifts"])
    return None


# --- shifts, positions and slots, kept consistent -------------------------------------------------


def _when(start: dt.datetime) -> str:
    return timezone.localtime(start).strftime("%Y-%m-%d %H:%M")


def _sync(activity: Activity, *, positions: list[dict] | None, windows: list | None) -> None:
    """Bring positions, shifts and slots to what was asked, inside the caller's transaction
    (the activity row is locked). Refuses — before anything is written — to remove a shift or
    a position with enrollments, to move a shift with enrollments, or to make a slot smaller
    than its accepted enrollments."""
    from zhiyuan.activities.models import Enrollment

    current_positions = {p.pk: p for p in activity.positions.all()}
    current_shifts = {s.starts_at: s for s in activity.shifts.all()}
    slots = list(Slot.objects.filter(shift__activity=activity).select_related("shift", "position"))
    enrolled_slots = set(Enrollment.objects.filter(activity=activity).values_list("slot_id", flat=True).distinct())
    errors: list = []  # positions
    schedule_errors: list = []

    # the checks first: nothing is written unless every change is allowed
    keep_positions: set[int] = set(current_positions)
    if positions is not None:
        keep_positions = set()
        for i, p in enumerate(positions):
            if p["id"] is None:
                continue
            pid = _int(p["id"], low=1, high=2**63 - 1)
            if pid not in current_positions:
                raise _invalid({f"positions.{i}.id": [_("该岗位不属于此活动。")]})
            p["id"] = pid
            keep_positions.add(pid)
            for slot in slots:
                if slot.position_id == pid and slot.accepted > p["slots"]:
                    errors.append(
                        _("岗位「%(p)s」在 %(when)s 的班次已录用 %(n)d 人，每班次名额不能少于 %(n)d。")
                        % {"p": current_positions[pid].name, "when": _when(slot.shift.starts_at), "n": slot.accepted}
                    )
        for pid, position in current_positions.items():
            if pid not in keep_positions and any(s.pk in enrolled_slots for s in slots if s.position_id == pid):
                errors.append(_("岗位「%(p)s」已有报名记录，不能删除。") % {"p": position.name})
    new_windows: dict = {}
    if windows is not None:
        new_windows = dict(windows)
        for start, shift in current_shifts.items():
            has_enrollments = any(s.pk in enrolled_slots for s in slots if s.shift_id == shift.pk)
            if not has_enrollments:
                continue
            if start not in new_windows:
                errors.append(_("%(when)s 的班次已有报名记录，不能删除。") % {"when": _when(start)})
            elif new_windows[start] != shift.ends_at:
                errors.append(_("%(when)s 的班次已有报名记录，不能修改时间。") % {"when": _when(start)})
    if errors or schedule_errors:
        fields = {k: v for k, v in (("positions", errors), ("shifts", schedule_errors)) if v}
        raise Conflict("below_enrolled", (errors or schedule_errors)[0], fields=fields)

    # positions
    if positions is not None:
        for pid in set(current_positions) - keep_positions:
            current_positions.pop(pid).delete()  # its slots go with it (no enrollments)
        for p in positions:
            values = {k: p[k] for k in ("name", "duties", "slots", "skills", "min_age", "max_age", "minors_allowed",
                                        "dangerous", "insurance_required")}  # fmt: skip
            if p["id"] is None:
                position = Position.objects.create(activity=activity, **values)
                current_positions[position.pk] = position
            else:
                position = current_positions[p["id"]]
                changed = [k for k, v in values.items() if getattr(position, k) != v]
                for k in changed:
                    setattr(position, k, values[k])
                if changed:
                    position.save(update_fields=changed)
            position.required_courses.set(p["courses"])
            position.required_qualifications.set(p["qualifications"])

    # shifts
    if windows is not None:
        gone = [s.pk for start, s in current_shifts.items() if start not in new_windows]
        if gone:
            Shift.objects.filter(pk__in=gone).delete()
        for start, end in new_windows.items():
            shift = current_shifts.get(start)
            if shift is not None and shift.ends_at != end:
                Shift.objects.filter(pk=shift.pk).update(ends_at=end)
        fresh = [Shift(activity=activity, starts_at=s, ends_at=e) for s, e in new_windows.items() if s not in current_shifts]
        Shift.objects.bulk_create(fresh, batch_size=500)

    # slots: one per shift × position, capacity = the position's slots
    shift_ids = list(Shift.objects.filter(activity=activity).values_list("pk", flat=True))
    capacity = {pid: p.slots for pid, p in current_positions.items()}
    existing = {(s.shift_id, s.position_id): s for s in Slot.objects.filter(shift__activity=activity).only(
        "id", "shift_id", "position_id", "capacity")}  # fmt: skip
    missing = [
        Slot(shift_id=sid, position_id=pid, capacity=cap)
        for sid in shift_ids
        for pid, cap in capacity.items()
        if (sid, pid) not in existing
    ]
    Slot.objects.bulk_create(missing, batch_size=1000)
    for pid, cap in capacity.items():
        Slot.objects.filter(shift__activity=activity, position_id=pid).exclude(capacity=cap).update(capacity=cap)
    activity_counts_refresh(activity)


def activity_counts_refresh(activity: Activity) -> Activity:
    """Recompute the kept figures of one activity from its rows, in the caller's transaction:
    ``starts_at``/``ends_at`` from its shifts (cancelled ones left out unless all are),
    ``slots_total`` = Σ capacity and ``slots_open`` = Σ (capacity − accepted) over the slots of
    the shifts not cancelled. Two queries (bounded: at most 366 shifts × 20 positions)."""
    shifts = list(Shift.objects.filter(activity=activity).values_list("starts_at", "ends_at", "cancelled"))
    live = [(s, e) for s, e, c in shifts if not c] or [(s, e) for s, e, _c in shifts]
    sums = Slot.objects.filter(shift__activity=activity, shift__cancelled=False).aggregate(
        total=Sum("capacity"), accepted=Sum("accepted")
    )
    total, accepted = sums["total"] or 0, sums["accepted"] or 0
    values = {"slots_total": total, "slots_open": max(total - accepted, 0)}
    if live:
        values["starts_at"] = min(s for s, _e in live)
        values["ends_at"] = max(e for _s, e in live)
    Activity.objects.filter(pk=activity.pk).update(**values)
    for k, v in values.items():
        setattr(activity, k, v)
    return activity


# --- create and edit -------------------------------------------------------------------------------


def _detail(activity: Activity) -> dict:
    return {
        "title": activity.title,
        "organization_id": activity.organization_id,
        "region_code": activity.region_code,
        "project_id": activity.project_id,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "slots_total": activity.slots_total,
        "recurring": bool(activity.recurrence),
    }


def activity_create(*, actor, organization_id, values: ActivityInput, request=None) -> Activity:
    """A new draft activity of an organization the actor administers (404 for an organization
    they cannot see, 403 for one they see but do not administer), with its positions, shifts
    and slots, all or nothing. Needs a title, a category and a schedule."""
    from zhiyuan.organizations.models import Organization

    org = get_for(actor, Organization, organization_id, VIEW)
    if not can(actor, Activity(organization=org, region_code=org.region_code), MANAGE):
        refuse(
            actor=actor, action="activities.activity.create", object_type="activities.activity", request=request,
            message=_("只有组织管理员可以为本组织发布活动。"), detail={"organization_id": org.pk},
        )  # fmt: skip
    if not org.is_active:
        raise Conflict("organization_inactive", _("组织当前不是正常状态，不能创建活动。"))
    data = given(values)
    for required in ("title", "category", "region_code"):
        data.setdefault(required, "")
    errors: dict = {}
    try:
        cleaned = _clean_fields(data, actor=actor, organization=org)
    except DomainError as exc:
        errors.update(exc.fields)
        cleaned = {}
    try:
        positions = _positions_clean(data.get("positions") or [])
    except DomainError as exc:
        errors.update(exc.fields)
        positions = []
    try:
        sched = _schedule_clean(data)
        if sched is None:
            errors["shifts"] = [_("请安排活动时间：单次活动、多个班次或每周重复。")]
    except DomainError as exc:
        errors.update(exc.fields)
        sched = None
    if errors:
        raise _invalid(errors)
    recurrence, windows = sched
    with transaction.atomic():
        activity = Activity.objects.create(
            organization=org, created_by=actor if getattr(actor, "pk", None) else None, recurrence=recurrence,
            starts_at=windows[0][0], ends_at=max(e for _s, e in windows), **cleaned,
        )  # fmt: skip
        _sync(activity, positions=positions, windows=windows)
        audit_record(actor=actor, action="activities.activity.create", obj=activity, request=request, detail=_detail(activity))
    return activity


def _require_manage(actor, activity: Activity, audit_action: str, request) -> None:
    if not can(actor, activity, MANAGE):
        refuse(actor=actor, action=audit_action, obj=activity, request=request,
               message=_("只有组织单位的管理员可以管理此活动。"))  # fmt: skip


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update(of=("self",)).select_related("organization", "project").get(pk=activity.pk)


def activity_update(*, actor, activity: Activity, change: ActivityInput, request=None) -> Activity:
    """Edit a draft, published or closed activity (its organization's admins). A published or
    closed one keeps a complete recruitment notice, and its shifts and slots never drop below
    what volunteers already hold (see ``_sync``)."""
    _require_manage(actor, activity, "activities.activity.update", request)
    data = given(change)
    if "organization_id" in data:  # not a field: the organization is fixed
        raise _invalid({"organization_id": [_("您无权修改此项。")]})
    errors: dict = {}
    cleaned, positions, sched = {}, None, None
    try:
        cleaned = _clean_fields(data, actor=actor, organization=activity.organization)
    except DomainError as exc:
        errors.update(exc.fields)
    if "positions" in data:
        try:
            positions = _positions_clean(data["positions"])
        except DomainError as exc:
            errors.update(exc.fields)
    try:
        sched = _schedule_clean(data)
    except DomainError as exc:
        errors.update(exc.fields)
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        activity = _locked(activity)
        if activity.status not in EDITABLE:
            raise Conflict("not_editable", _("活动当前状态为「%(s)s」，不能修改。") % {"s": activity.get_status_display()})
        for k, v in cleaned.items():
            setattr(activity, k, v)
        if sched is not None:
            activity.recurrence = sched[0]
        activity.save()
        _sync(activity, positions=positions, windows=sched[1] if sched is not None else None)
        if activity.status in LIVE:
            _notice_check(activity, now=None, require_future=False)
        audit_record(
            actor=actor, action="activities.activity.update", obj=activity, request=request,
            detail={"fields": sorted(data), **_detail(activity)},
        )  # fmt: skip
    return activity


# --- the status -----------------------------------------------------------------------------------


def _notice_check(activity: Activity, *, now, require_future: bool) -> None:
    """GB/T 40143: the recruitment notice is complete — time (a shift, not over), place (an
    address with coordinates, for the square's map and the check-in geofence), content,
    conditions, numbers (at least one position), how to sign up, risks, safeguards, contact."""
    errors = {f: [m] for f, m in NOTICE_REQUIRED.items() if not getattr(activity, f)}
    if activity.latitude is None or activity.longitude is None:
        errors["latitude"] = [_("请在地图上选择活动地点（经纬度），用于签到范围和地图展示。")]
    if activity.slots_total <= 0:
        errors["positions"] = [_("请至少设置一个岗位及其名额。")]
    if require_future and activity.ends_at <= (now or timezone.now()):
        errors["shifts"] = [_("活动时间已过，请调整班次后再发布。")]
    if activity.project_id and activity.project.status not in (ProjectStatus.APPROVED, ProjectStatus.RUNNING):
        errors["project_id"] = [_("所属项目须为已立项或实施中。")]
    if errors:
        raise DomainError("incomplete", _("招募公告不完整，请补充后再发布。"), fields=errors, status=422)


def _status_change(*, actor, activity: Activity, to: str, allowed: tuple, audit_action: str, request,
                   detail: dict | None = None, before=None) -> Activity:  # fmt: skip
    _require_manage(actor, activity, audit_action, request)
    with transaction.atomic():
        activity = _locked(activity)
        if activity.status not in allowed:
            raise Conflict("bad_status", _("活动当前状态为「%(s)s」，不能执行此操作。") % {"s": activity.get_status_display()})
        if before is not None:
            before(activity)
        old = activity.status
        activity.status = to
        activity.save()
        audit_record(
            actor=actor, action=audit_action, obj=activity, request=request,
            detail={"from": old, "to": to, "title": activity.title, **(detail or {})},
        )  # fmt: skip
    return activity


def activity_publish(*, actor, activity: Activity, request=None, now: dt.datetime | None = None) -> Activity:
    """Publish the recruitment notice of a draft: refused (422, each missing part named) unless
    it is complete and the organization is active. ``now``: the clock (demo data and test
    factories publish activities that already took place)."""

    def check(a: Activity) -> None:
        if not a.organization.is_active:
            raise Conflict("organization_inactive", _("组织当前不是正常状态，不能发布活动。"))
        _notice_check(a, now=now, require_future=True)
        a.published_at = now or timezone.now()

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.PUBLISHED, allowed=(ActivityStatus.DRAFT,),
                          audit_action="activities.activity.publish", request=request, before=check)  # fmt: skip


def activity_close_recruitment(*, actor, activity: Activity, request=None) -> Activity:
    """Stop recruiting (停止招募); those enrolled keep their places."""
    return _status_change(actor=actor, activity=activity, to=ActivityStatus.CLOSED, allowed=(ActivityStatus.PUBLISHED,),
                          audit_action="activities.activity.close", request=request)  # fmt: skip


def activity_reopen_recruitment(*, actor, activity: Activity, request=None) -> Activity:
    """Recruit again after closing, while the activity is not over."""

    def check(a: Activity) -> None:
        if a.ends_at <= timezone.now():
            raise Conflict("over", _("活动已结束，不能重新招募。"))

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.PUBLISHED, allowed=(ActivityStatus.CLOSED,),
                          audit_action="activities.activity.reopen", request=request, before=check)  # fmt: skip


def on_activity_cancelled(*, activity: Activity, actor, reason: str) -> None:
    """Called inside the cancelling transaction. A no-op for now: the enrollment area makes it
    cancel the live enrollments and notify those enrolled (ACT-7, ``core.notifications.notify``
    queued with ``transaction.on_commit``)."""


def activity_cancel(*, actor, activity: Activity, reason: str, request=None) -> Activity:
    """Cancel a draft, published or closed activity, with a reason (those enrolled are told)."""
    reason = _text(reason)
    if error := text_error(reason, limit=200, multiline=True):
        raise _invalid({"reason": [error]})
    if not reason:
        raise _invalid({"reason": [_("请填写取消原因，已报名的志愿者将收到该原因。")]})

    def hook(a: Activity) -> None:
        on_activity_cancelled(activity=a, actor=actor, reason=reason)

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.CANCELLED, allowed=EDITABLE,
                          audit_action="activities.activity.cancel", request=request, detail={"reason": reason},
                          before=hook)  # fmt: skip


def activity_finish(*, actor, activity: Activity, request=None, now: dt.datetime | None = None) -> Activity:
    """Mark a published or closed activity finished (已结束) once it has begun; an activity
    that will not take place is cancelled instead."""

    def check(a: Activity) -> None:
        if a.starts_at > (now or timezone.now()):
            raise Conflict("not_started", _("活动尚未开始，不能结束；如不再举办，请取消活动。"))

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.FINISHED, allowed=LIVE,
                          audit_action="activities.activity.finish", request=request, before=check)  # fmt: skip


def activity_get(*, actor, id, action: str = VIEW) -> Activity:
    """Fetch-and-authorize: 404 missing or outside the view scope, 403 visible but ``action``
    not allowed."""
    return get_for(actor, Activity.objects.select_related("organization", "project", "insurance_policy"), id, action)


@dataclass
class ActivityPlan:
    positions: list
    shifts: list  # each with ``slot_list`` (its slots, in position order)


def activity_plan(*, activity: Activity) -> ActivityPlan:
    """The positions (with their required courses and qualifications) and the shifts with their
    slots of one activity the caller fetched in scope. Four queries, whatever the size."""
    from django.db.models import Prefetch

    positions = list(activity.positions.order_by("id").prefetch_related("required_courses", "required_qualifications"))
    shifts = list(
        activity.shifts.order_by("starts_at", "id").prefetch_related(
            Prefetch("slots", queryset=Slot.objects.order_by("position_id"), to_attr="slot_list")
        )
    )
    return ActivityPlan(positions=positions, shifts=shifts)

"""What an organizer submits for an activity (SPEC ACT-2), checked once for every caller: the
typed inputs ``ActivityInput`` and ``PositionInput`` and their validation, each bad field named
(a position's as ``positions.<n>.<field>``), all at once (422). ``services.py`` writes what
passes; it re-exports the inputs."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import VIEW, get_for
from zhiyuan.activities import schedule
from zhiyuan.activities.models import EnrollmentMode, ProjectStatus, Visibility
from zhiyuan.activities.projects import region_clean
from zhiyuan.core.errors import DomainError, NotFound, PermissionDenied
from zhiyuan.core.inputs import UNSET, Unset
from zhiyuan.core.text import text_error
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


def invalid(errors: dict) -> DomainError:
    return DomainError("invalid", INVALID, fields=errors, status=422)


def text_of(value) -> str:
    return str(value if value is not None else "").replace("\x00", "").strip()


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y")
    return bool(value)


def int_in(value, *, low: int, high: int):
    """An int in [low, high], or None (bool and fractional values are not numbers here)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(text_of(value)) if not isinstance(value, int) else value
    except ValueError:
        return None
    return number if low <= number <= high else None


def _coordinate(value, *, bound: int, label, field_name: str, errors: dict):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(text_of(value))
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


def activity_fields_clean(values: dict, *, actor, organization) -> dict:
    """Every given field of an activity checked at once (field errors together, 422)."""
    errors: dict[str, list] = {}
    out: dict = {}
    for name, (limit, multiline) in TEXT_FIELDS.items():
        if name in values:
            text = text_of(values[name])
            if error := text_error(text, limit=limit, multiline=multiline):
                errors[name] = [error]
            out[name] = text
    if "title" in out and not out["title"] and "title" not in errors:
        errors["title"] = [_("请填写活动名称。")]
    if out.get("contact_phone") and "contact_phone" not in errors and not PHONE_RE.fullmatch(out["contact_phone"]):
        errors["contact_phone"] = [_("请输入有效的电话号码：11位手机号或带区号的固定电话（如 0752-2345678）。")]
    if "category" in values:
        out["category"] = text_of(values["category"])
        if out["category"] not in ServiceCategory.values:
            errors["category"] = [_("请选择服务类别。") if not out["category"] else _("请选择有效的服务类别。")]
    for name, choices, message in (
        ("visibility", Visibility, _("请选择招募范围。")),
        ("enrollment_mode", EnrollmentMode, _("请选择录用方式。")),
    ):
        if name in values:
            out[name] = text_of(values[name])
            if out[name] not in choices.values:
                errors[name] = [message]
    if "geofence_m" in values:
        out["geofence_m"] = int_in(values["geofence_m"], low=10, high=10_000)
        if out["geofence_m"] is None:
            errors["geofence_m"] = [_("签到范围须为10至10000米的整数。")]
    if "cancel_deadline_hours" in values:
        out["cancel_deadline_hours"] = int_in(values["cancel_deadline_hours"], low=0, high=720)
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
        raise invalid(errors)
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
    out["name"] = text_of(p.name)
    if error := text_error(out["name"], limit=50):
        errors[key + "name"] = [error]
    elif not out["name"]:
        errors[key + "name"] = [_("请填写岗位名称。")]
    out["duties"] = text_of(p.duties)
    if error := text_error(out["duties"], limit=1000, multiline=True):
        errors[key + "duties"] = [error]
    out["slots"] = int_in(p.slots, low=1, high=MAX_SLOTS_PER_POSITION)
    if out["slots"] is None:
        errors[key + "slots"] = [_("每班次名额须为1至%(n)d的整数。") % {"n": MAX_SLOTS_PER_POSITION}]
    skills = p.skills.split(",") if isinstance(p.skills, str) else list(p.skills or [])
    out["skills"] = sorted({text_of(s) for s in skills if text_of(s)})
    if any(s not in Skill.values for s in out["skills"]):
        errors[key + "skills"] = [_("请从列表中选择所需技能。")]
    elif len(out["skills"]) > MAX_REQUIREMENTS:
        errors[key + "skills"] = [_("所需技能最多 %(n)d 项。") % {"n": MAX_REQUIREMENTS}]
    ages = {}
    for name in ("min_age", "max_age"):
        raw = getattr(p, name)
        ages[name] = None if raw in (None, "") else int_in(raw, low=0, high=MAX_AGE)
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


def positions_clean(positions) -> list[dict]:
    items = list(positions or [])
    if len(items) > MAX_POSITIONS:
        raise invalid({"positions": [_("一个活动最多 %(n)d 个岗位。") % {"n": MAX_POSITIONS}]})
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
        raise invalid(errors)
    return out


def schedule_clean(values: dict) -> tuple[dict, list] | None:
    """(recurrence JSON, windows) when a schedule is given, else None."""
    has_shifts = values.get("shifts", UNSET) is not UNSET
    has_rec = values.get("recurrence", UNSET) is not UNSET and values.get("recurrence") not in (None, {})
    if has_shifts and has_rec:
        raise invalid({"shifts": [_("单次/多班次与每周重复只能选择一种。")]})
    if has_rec:
        return schedule.recurrence_clean(values["recurrence"])
    if has_shifts:
        return {}, schedule.windows_clean(values["shifts"])
    return None

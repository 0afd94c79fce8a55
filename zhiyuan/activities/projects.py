"""The project library 项目库 (SPEC ACT-1): writes.

draft → submitted → approved | rejected; rejected → (edited) → submitted again; approved →
running → closed → evaluated. Who does what:

* an organization's admins (and its parent's: the ``activities.Project`` scope provider, action
  ``manage``) create and edit drafts (also a rejected project, to submit it again), submit, start
  an approved project and close a running one;
* the region manager whose region holds the project's region (action ``review``,
  ``ActivitiesQuerySet.region_actions``) — or a platform admin — approves or rejects with a note
  (a rejection needs one), sets the demonstration 示范项目 and brand 品牌项目 flags, and
  evaluates a closed project (outcome text and a score of 0–100). Nobody reviews a project of an
  organization they administer.

Every transition is checked here, once, under a row lock; it writes a ``ProjectStatusChange``
and an audit entry in the same transaction. A refused one (403) is audited as ``denied``.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, REVIEW, VIEW, can, get_for
from zhiyuan.activities.models import Project, ProjectStatus, ProjectStatusChange
from zhiyuan.activities.scopes import org_admin_test
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.inputs import UNSET, Unset, given
from zhiyuan.core.text import text_error
from zhiyuan.organizations.services.common import refuse
from zhiyuan.regions.codes import normalize_code
from zhiyuan.regions.models import Region
from zhiyuan.volunteers.codes import ServiceCategory

INVALID = _("提交的数据有误，请检查后重试。")
NOTE_MAX = 500
BUDGET_MAX = Decimal("10000000000")  # 100 亿元: anything above is a typing error
TEXT_LIMITS = {"name": 100, "target_group": 100, "summary": 2000, "goals": 2000}
MULTILINE = frozenset({"summary", "goals"})
EDITABLE = (ProjectStatus.DRAFT, ProjectStatus.REJECTED)
# Required before a project goes to review (a draft may be saved half-filled).
SUBMIT_REQUIRED = {
    "target_group": _("请填写服务对象。"),
    "summary": _("请填写项目简介。"),
    "goals": _("请填写项目目标。"),
    "starts_on": _("请填写开始日期。"),
    "ends_on": _("请填写结束日期。"),
}


@dataclass(frozen=True, kw_only=True)
class ProjectInput:
    """A project's fields as submitted (page, API, demo data, tests); an edit leaves out
    (``UNSET``) what it does not change. The organization is fixed once created."""

    name: str | Unset = UNSET
    region_code: str | Unset | None = UNSET  # default: the organization's region
    category: str | Unset = UNSET  # volunteers.codes.ServiceCategory
    target_group: str | Unset = UNSET
    summary: str | Unset = UNSET
    goals: str | Unset = UNSET
    budget: Decimal | str | int | Unset | None = UNSET  # yuan
    starts_on: dt.date | str | Unset | None = UNSET
    ends_on: dt.date | str | Unset | None = UNSET


def _invalid(errors: dict) -> DomainError:
    return DomainError("invalid", INVALID, fields=errors, status=422)


def _text(value) -> str:
    return str(value if value is not None else "").replace("\x00", "").strip()


def _date(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        errors[field] = [_("请填写日期（YYYY-MM-DD）。")]
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value))
    except ValueError:
        errors[field] = [_("请填写日期（YYYY-MM-DD）。")]
        return None


def region_clean(raw, *, organization, errors: dict, field: str = "region_code") -> str:
    """A 12-digit code of an existing region inside the organization's city (its region managers
    are the ones who review and supervise it); empty means the organization's own region."""
    raw = _text(raw)
    if not raw:
        return organization.region_code
    try:
        code = normalize_code(raw)
    except ValueError:
        errors[field] = [_("请输入有效的区划代码（2、4、6、9或12位数字）。")]
        return ""
    if not Region.objects.filter(code=code).exists():
        errors[field] = [_("该区划不存在。")]
        return ""
    if code[:4] != organization.region_code[:4]:
        errors[field] = [_("区划须在组织所在的地级市范围内。")]
        return ""
    return code


def _clean(values: dict, *, organization) -> dict:
    errors: dict[str, list] = {}
    out: dict = {}
    for field, limit in TEXT_LIMITS.items():
        if field not in values:
            continue
        text = _text(values[field])
        if error := text_error(text, limit=limit, multiline=field in MULTILINE):
            errors[field] = [error]
        out[field] = text
    if "name" in out and not out["name"] and "name" not in errors:
        errors["name"] = [_("请填写项目名称。")]
    if "category" in values:
        category = _text(values["category"])
        if category not in ServiceCategory.values:
            errors["category"] = [_("请选择服务类别。") if not category else _("请选择有效的服务类别。")]
        out["category"] = category
    if "region_code" in values:
        out["region_code"] = region_clean(values["region_code"], organization=organization, errors=errors)
    if "budget" in values:
        raw = values["budget"]
        out["budget"] = None
        if raw not in (None, ""):
            try:
                if isinstance(raw, bool | float):
                    raise InvalidOperation
                amount = Decimal(_text(raw))
                if not amount.is_finite() or amount < 0 or amount >= BUDGET_MAX:
                    raise InvalidOperation
                out["budget"] = amount.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                errors["budget"] = [_("预算须为不小于0的金额（元），最多两位小数。")]
    for field in ("starts_on", "ends_on"):
        if field in values:
            out[field] = _date(values[field], field, errors)
    if errors:
        raise _invalid(errors)
    return out


def _dates_check(project: Project) -> None:
    if project.starts_on and project.ends_on and project.ends_on < project.starts_on:
        raise _invalid({"ends_on": [_("结束日期不能早于开始日期。")]})


def _history(project: Project, *, old: str, actor, note: str = "") -> None:
    ProjectStatusChange.objects.create(
        project=project, from_status=old, to_status=project.status, note=note[:NOTE_MAX],
        actor=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip


def _detail(project: Project) -> dict:
    return {
        "name": project.name,
        "organization_id": project.organization_id,
        "region_code": project.region_code,
        "category": project.category,
        "budget": str(project.budget) if project.budget is not None else None,
        "starts_on": project.starts_on.isoformat() if project.starts_on else None,
        "ends_on": project.ends_on.isoformat() if project.ends_on else None,
    }


def project_create(*, actor, organization_id, values: ProjectInput, request=None) -> Project:
    """A new draft project of an organization the actor administers (404 for an organization
    outside their view, 403 when they see it but do not administer it — a region manager)."""
    from zhiyuan.organizations.models import Organization

    org = get_for(actor, Organization, organization_id, VIEW)
    probe = Project(organization=org, region_code=org.region_code)
    if not can(actor, probe, MANAGE):
        refuse(
            actor=actor, action="activities.project.create", object_type="activities.project", request=request,
            message=_("只有组织管理员可以为本组织申报项目。"), detail={"organization_id": org.pk},
        )  # fmt: skip
    if not org.is_active:
        raise Conflict("organization_inactive", _("组织当前不是正常状态，不能申报项目。"))
    data = given(values)
    data.setdefault("name", "")
    data.setdefault("category", "")
    data.setdefault("region_code", "")
    cleaned = _clean(data, organization=org)
    project = Project(organization=org, created_by=actor if getattr(actor, "pk", None) else None, **cleaned)
    _dates_check(project)
    with transaction.atomic():
        project.save()
        _history(project, old="", actor=actor)
        audit_record(actor=actor, action="activities.project.create", obj=project, request=request, detail=_detail(project))
    return project


def _require(actor, project: Project, action: str, audit_action: str, message, request) -> None:
    if not can(actor, project, action):
        refuse(actor=actor, action=audit_action, obj=project, request=request, message=message)


def _locked(project: Project) -> Project:
    return Project.objects.select_for_update(of=("self",)).select_related("organization").get(pk=project.pk)


def project_update(*, actor, project: Project, change: ProjectInput, request=None) -> Project:
    """Edit a draft or rejected project (its organization's admins)."""
    _require(actor, project, MANAGE, "activities.project.update", _("只有申报组织的管理员可以修改项目。"), request)
    cleaned = _clean(given(change), organization=project.organization)
    with transaction.atomic():
        project = _locked(project)
        if project.status not in EDITABLE:
            raise Conflict(
                "not_editable",
                _("项目当前状态为「%(s)s」，只有草稿或未通过的项目可以修改。") % {"s": project.get_status_display()},
            )
        for k, v in cleaned.items():
            setattr(project, k, v)
        _dates_check(project)
        project.save()
        audit_record(
            actor=actor, action="activities.project.update", obj=project, request=request,
            detail={"fields": sorted(cleaned), **_detail(project)},
        )  # fmt: skip
    return project


def _transition(*, actor, project: Project, to: str, allowed: tuple, audit_action: str, note: str = "", request=None,
                detail: dict | None = None, before=None) -> Project:  # fmt: skip
    with transaction.atomic():
        project = _locked(project)
        if project.status not in allowed:
            raise Conflict("bad_status", _("项目当前状态为「%(s)s」，不能执行此操作。") % {"s": project.get_status_display()})
        if before is not None:
            before(project)
        old = project.status
        project.status = to
        project.save()
        _history(project, old=old, actor=actor, note=note)
        audit_record(
            actor=actor, action=audit_action, obj=project, request=request,
            detail={"from": old, "to": to, **({"note": note} if note else {}), **(detail or {})},
        )  # fmt: skip
    return project


def _note(value, *, required: bool, message=None) -> str:
    note = _text(value)
    if error := text_error(note, limit=NOTE_MAX, multiline=True):
        raise _invalid({"note": [error]})
    if required and not note:
        raise _invalid({"note": [message or _("请填写意见。")]})
    return note


def project_submit(*, actor, project: Project, request=None) -> Project:
    """Send a draft (or a rejected project after changes) to the region manager for review. The
    proposal must be complete: target group, summary, goals and dates."""
    _require(actor, project, MANAGE, "activities.project.submit", _("只有申报组织的管理员可以提交项目。"), request)

    def complete(p: Project) -> None:
        missing = {f: [m] for f, m in SUBMIT_REQUIRED.items() if not getattr(p, f)}
        if missing:
            raise DomainError("incomplete", _("项目申报信息不完整，请补充后再提交。"), fields=missing, status=422)
        if not p.organization.is_active:
            raise Conflict("organization_inactive", _("组织当前不是正常状态，不能提交项目。"))

    return _transition(
        actor=actor, project=project, to=ProjectStatus.SUBMITTED, allowed=EDITABLE,
        audit_action="activities.project.submit", request=request, before=complete,
    )  # fmt: skip


def _require_reviewer(actor, project: Project, audit_action: str, request) -> None:
    _require(actor, project, REVIEW, audit_action, _("只有项目所在区域的管理员可以审核和评估项目。"), request)
    if org_admin_test(actor, project):
        refuse(actor=actor, action=audit_action, obj=project, request=request, message=_("不能审核或评估本组织申报的项目。"))


def project_review(*, actor, project: Project, decision: str, note: str = "", is_demonstration: bool = False,
                   is_brand: bool = False, request=None) -> Project:  # fmt: skip
    """Approve (立项) or reject a submitted project, with the reviewer's note (required to reject:
    the organization sees it). On approval the reviewer may mark it a demonstration or brand
    project."""
    if decision not in ("approve", "reject"):
        raise _invalid({"decision": [_("请选择通过或不通过。")]})
    audit_action = "activities.project.approve" if decision == "approve" else "activities.project.reject"
    _require_reviewer(actor, project, audit_action, request)
    note = _note(note, required=decision == "reject", message=_("不通过时请填写审核意见，申报组织将看到该意见。"))
    approve = decision == "approve"
    flags = {"is_demonstration": bool(is_demonstration), "is_brand": bool(is_brand)}
    if not approve and (flags["is_demonstration"] or flags["is_brand"]):
        raise _invalid({"is_demonstration": [_("未通过的项目不能设为示范或品牌项目。")]})

    def stamp(p: Project) -> None:
        p.review_note, p.reviewed_by, p.reviewed_at = note, actor, timezone.now()
        if approve:
            p.is_demonstration, p.is_brand = flags["is_demonstration"], flags["is_brand"]

    return _transition(
        actor=actor, project=project, to=ProjectStatus.APPROVED if approve else ProjectStatus.REJECTED,
        allowed=(ProjectStatus.SUBMITTED,), audit_action=audit_action, note=note, request=request,
        detail=flags if approve else None, before=stamp,
    )  # fmt: skip


def project_start(*, actor, project: Project, request=None) -> Project:
    """An approved project starts running (its organization's admins)."""
    _require(actor, project, MANAGE, "activities.project.start", _("只有申报组织的管理员可以启动项目。"), request)
    return _transition(
        actor=actor, project=project, to=ProjectStatus.RUNNING, allowed=(ProjectStatus.APPROVED,),
        audit_action="activities.project.start", request=request,
    )  # fmt: skip


def project_close(*, actor, project: Project, note: str = "", request=None) -> Project:
    """结项: a running project closes, with an optional summary note (its organization's admins)."""
    _require(actor, project, MANAGE, "activities.project.close", _("只有申报组织的管理员可以结项。"), request)
    note = _note(note, required=False)
    return _transition(
        actor=actor, project=project, to=ProjectStatus.CLOSED, allowed=(ProjectStatus.RUNNING,),
        audit_action="activities.project.close", note=note, request=request,
    )  # fmt: skip


def project_evaluate(*, actor, project: Project, outcome: str, score, request=None) -> Project:
    """成效评估 of a closed project by its region's manager: the outcome in words and a score
    of 0–100."""
    _require_reviewer(actor, project, "activities.project.evaluate", request)
    outcome = _text(outcome)
    errors: dict = {}
    if error := text_error(outcome, limit=2000, multiline=True):
        errors["outcome"] = [error]
    elif not outcome:
        errors["outcome"] = [_("请填写成效评估。")]
    try:
        if isinstance(score, bool):
            raise ValueError
        number = int(_text(score))
        if not 0 <= number <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors["outcome_score"] = [_("评估得分须为0至100的整数。")]
        number = None
    if errors:
        raise _invalid(errors)

    def stamp(p: Project) -> None:
        p.outcome, p.outcome_score = outcome, number

    return _transition(
        actor=actor, project=project, to=ProjectStatus.EVALUATED, allowed=(ProjectStatus.CLOSED,),
        audit_action="activities.project.evaluate", request=request, detail={"score": number}, before=stamp,
    )  # fmt: skip


FLAGGABLE = (ProjectStatus.APPROVED, ProjectStatus.RUNNING, ProjectStatus.CLOSED, ProjectStatus.EVALUATED)


def project_flags_set(*, actor, project: Project, is_demonstration: bool, is_brand: bool, request=None) -> Project:
    """The reviewing side marks (or unmarks) an approved project as a demonstration or brand
    project later on. The status does not change; audited."""
    _require_reviewer(actor, project, "activities.project.flags", request)
    with transaction.atomic():
        project = _locked(project)
        if project.status not in FLAGGABLE:
            raise Conflict("bad_status", _("只有已立项的项目可以设为示范或品牌项目。"))
        project.is_demonstration, project.is_brand = bool(is_demonstration), bool(is_brand)
        project.save(update_fields=["is_demonstration", "is_brand", "updated_at"])
        audit_record(
            actor=actor, action="activities.project.flags", obj=project, request=request,
            detail={"is_demonstration": project.is_demonstration, "is_brand": project.is_brand},
        )  # fmt: skip
    return project


def project_get(*, actor, id, action: str = VIEW) -> Project:
    """Fetch-and-authorize: 404 missing or outside the view scope, 403 visible but ``action``
    not allowed."""
    return get_for(actor, Project.objects.select_related("organization", "reviewed_by"), id, action)


def project_history(*, project: Project) -> list[ProjectStatusChange]:
    return list(project.status_changes.select_related("actor").order_by("id"))


__all__ = [
    "NotFound",
    "PermissionDenied",
    "ProjectInput",
    "project_close",
    "project_create",
    "project_evaluate",
    "project_flags_set",
    "project_get",
    "project_history",
    "project_review",
    "project_start",
    "project_submit",
    "project_update",
]

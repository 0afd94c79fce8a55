"""Writes of the stations app (SPEC STA-1, REG-4; ACC-2 station admins; ACC-3 audit).

Every write is validated here, once (pages and API call the same functions), runs in one
transaction and appends an audit entry in it. Validation errors are ``DomainError`` with Chinese
messages per field; nothing is half-saved.
"""

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.models import RoleAssignment, User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.services import role_assignment_add, role_assignment_end, role_object_moved
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.inputs import UNSET, Unset, given
from zhiyuan.core.models import AuditEntry
from zhiyuan.core.text import text_error
from zhiyuan.organizations.models import Organization
from zhiyuan.regions.codes import normalize_code, prefix_q, region_prefix
from zhiyuan.regions.models import Level, Region
from zhiyuan.stations.models import (
    PARENT_LEVELS,
    REGION_LEVELS,
    SIX_HAVES,
    Function,
    Kind,
    NetworkLevel,
    ServicePoint,
    Status,
)
from zhiyuan.stations.permissions import can_edit_operations, can_manage_point, can_manage_points, region_in_scope

INVALID_DATA = _("提交的数据有误，请检查后重试。")
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# A mainland mobile, or a landline with area code (0752-2345678, 075212345678, 400/800 lines),
# optionally with an extension.
PHONE_RE = re.compile(r"(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?|[48]00-?[0-9]{3}-?[0-9]{4})")

CHECKLIST_FIELDS = tuple(f for f, _label in SIX_HAVES)
# What a station admin edits on their own point (「我的站点」); managers edit everything.
OPERATIONS_FIELDS = ("opening_hours", "service_phone", "contact_name", "contact_phone", "functions", *CHECKLIST_FIELDS)
MANAGER_FIELDS = (
    "name",
    "network_level",
    "kind",
    "parent_id",
    "region_code",
    "address",
    "latitude",
    "longitude",
    "operator_organization_id",
    *OPERATIONS_FIELDS,
)


@dataclass(frozen=True, kw_only=True)
class ServicePointInput:
    """A point's fields as submitted (manager form, API body, demo data), checked by the service.
    An update leaves out (``UNSET``) what it does not change."""

    name: str | Unset = UNSET
    network_level: str | Unset = UNSET
    kind: str | Unset = UNSET
    parent_id: int | str | Unset | None = UNSET
    region_code: str | Unset = UNSET
    address: str | Unset = UNSET
    latitude: Decimal | str | float | Unset | None = UNSET
    longitude: Decimal | str | float | Unset | None = UNSET
    operator_organization_id: int | str | Unset | None = UNSET
    # operations (what a station admin may change too)
    opening_hours: str | Unset = UNSET
    service_phone: str | Unset = UNSET
    contact_name: str | Unset = UNSET
    contact_phone: str | Unset = UNSET
    functions: list[str] | Unset | None = UNSET
    # the six-haves checklist (models.SIX_HAVES)
    has_place: bool | Unset | None = UNSET
    has_team: bool | Unset | None = UNSET
    has_projects: bool | Unset | None = UNSET
    has_facilities: bool | Unset | None = UNSET
    has_rules: bool | Unset | None = UNSET
    has_signage: bool | Unset | None = UNSET


TEXT_LIMITS = {
    "name": 100,
    "address": 200,
    "opening_hours": 200,
    "service_phone": 20,
    "contact_name": 50,
    "contact_phone": 20,
}


def _text(value) -> str:
    return str(value if value is not None else "").replace("\x00", "").strip()


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y")
    return bool(value)


def _coordinate(value, *, low: int, high: int, label, errors: dict, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors[field] = [_("%(label)s须为数字。") % {"label": label}]
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = [_("%(label)s须为数字，例如 23.111530。") % {"label": label}]
        return None
    if not number.is_finite() or not low <= number <= high:
        errors[field] = [_("%(label)s应在 %(low)d 到 %(high)d 之间。") % {"label": label, "low": low, "high": high}]
        return None
    return number.quantize(Decimal("0.000001"))


# Input fields holding the id of a related object, and the attribute the object is set on.
RELATED_FIELDS = {"parent_id": "parent", "operator_organization_id": "operator_organization"}


def _current_values(point: ServicePoint) -> dict:
    values = {f: getattr(point, f) for f in MANAGER_FIELDS}
    values["functions"] = list(point.functions or [])
    return values


def _positive_id(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**62 else None


def _clean_operator(*, actor, raw, instance: ServicePoint | None, errors: dict) -> Organization | None:
    """The operating organization (optional): a newly chosen one must be active and inside the
    actor's scope (``Organization.objects.visible_to``). An unchanged operator is kept as it is,
    so a station admin can save opening hours, and a point run by an organization that was
    suspended later can still be edited."""
    if raw in (None, ""):
        return None
    org_id = _positive_id(raw)
    if org_id is None:
        errors["operator_organization_id"] = [_("请填写有效的组织编号。")]
        return None
    if instance is not None and org_id == instance.operator_organization_id:
        return instance.operator_organization
    org = Organization.objects.visible_to(actor).filter(pk=org_id).first()
    if org is None:
        errors["operator_organization_id"] = [_("运营组织不存在或不在您的管辖范围内。")]
    elif not org.is_active:
        errors["operator_organization_id"] = [
            _("运营组织「%(name)s」当前状态为“%(status)s”，只有状态正常的组织可以运营站点。")
            % {"name": org.name, "status": org.get_status_display()}
        ]
    else:
        return org
    return None


def _clean(*, actor, values: dict, instance: ServicePoint | None) -> dict:
    """Validate a complete set of point values; returns the cleaned values or raises with
    every field error at once."""
    errors: dict[str, list] = {}
    out: dict = {}
    for field, limit in TEXT_LIMITS.items():
        text = _text(values.get(field))
        if error := text_error(text, limit=limit):
            errors[field] = [error]
        out[field] = text
    if not out["name"] and "name" not in errors:
        errors["name"] = [_("请填写站点名称。")]
    if not out["address"] and "address" not in errors:
        errors["address"] = [_("请填写地址。")]
    for field in ("service_phone", "contact_phone"):
        if out[field] and field not in errors and not PHONE_RE.fullmatch(out[field]):
            errors[field] = [_("请输入有效的电话号码：11位手机号或带区号的固定电话（如 0752-2345678）。")]
    if out["contact_phone"] and not out["contact_name"] and "contact_name" not in errors:
        errors["contact_name"] = [_("填写联系人电话时请同时填写联系人。")]

    level = _text(values.get("network_level"))
    if level not in ("", *NetworkLevel.values):
        errors["network_level"] = [_("请选择有效的阵地层级。")]
    out["network_level"] = level
    kind = _text(values.get("kind")) or Kind.STATION
    if kind not in Kind.values:
        errors["kind"] = [_("请选择有效的站点类型（站、岗、点、室）。")]
    out["kind"] = kind

    region = None
    raw_code = _text(values.get("region_code"))
    try:
        code = normalize_code(raw_code) if raw_code else ""
    except ValueError:
        code = None
    if not raw_code:
        errors["region_code"] = [_("请选择所在区划。")]
    elif code is None:
        errors["region_code"] = [_("请输入有效的区划代码（2、4、6、9或12位数字）。")]
    else:
        region = Region.objects.filter(code=code).only("code", "level").first()
        if region is None:
            errors["region_code"] = [_("该区划不存在。")]
        elif "network_level" not in errors and region.level not in REGION_LEVELS[level]:
            allowed = "、".join(str(Level(n).label) for n in REGION_LEVELS[level])
            errors["region_code"] = [_("该层级的站点应位于%(levels)s区划。") % {"levels": allowed}]
    out["region_code"] = region.code if region else ""

    out["latitude"] = _coordinate(values.get("latitude"), low=-90, high=90, label=_("纬度"), errors=errors, field="latitude")
    out["longitude"] = _coordinate(values.get("longitude"), low=-180, high=180, label=_("经度"), errors=errors, field="longitude")
    if "latitude" not in errors and "longitude" not in errors and (out["latitude"] is None) != (out["longitude"] is None):
        missing = "latitude" if out["latitude"] is None else "longitude"
        errors[missing] = [_("经度和纬度须同时填写，或同时留空。")]

    parent = None
    raw_parent = values.get("parent_id")
    if raw_parent not in (None, ""):
        parent_id = _positive_id(raw_parent)
        if parent_id is not None and instance is not None and parent_id == instance.parent_id:
            # Unchanged: a station admin saving their point's opening hours may not see its parent.
            parent = instance.parent
        elif parent_id is not None:
            parent = ServicePoint.objects.visible_to(actor).filter(pk=parent_id).first()
        if parent is None:
            errors["parent_id"] = [_("上级阵地不存在或无权访问。")]
    if "network_level" not in errors:
        allowed_parents = PARENT_LEVELS[level]
        if level == NetworkLevel.CENTRE and parent is not None:
            errors["parent_id"] = [_("新时代文明实践中心没有上级阵地。")]
        elif level in (NetworkLevel.INSTITUTE, NetworkLevel.STATION) and parent is None and "parent_id" not in errors:
            need = NetworkLevel.CENTRE.label if level == NetworkLevel.INSTITUTE else NetworkLevel.INSTITUTE.label
            errors["parent_id"] = [_("请选择上级%(parent)s。") % {"parent": need}]
        elif parent is not None:
            if instance is not None and parent.pk == instance.pk:
                errors["parent_id"] = [_("上级阵地不能是站点本身。")]
            elif parent.network_level not in allowed_parents:
                errors["parent_id"] = [_("上级阵地的层级不符合「中心 → 所 → 站」的结构。")]
            elif parent.status != Status.ACTIVE:
                errors["parent_id"] = [_("上级阵地已关闭。")]
            elif region is not None and not region.code.startswith(region_prefix(parent.region_code)):
                errors["parent_id"] = [_("站点所在区划须在上级阵地的区划范围内。")]
    out["parent"] = parent

    out["operator_organization"] = _clean_operator(
        actor=actor, raw=values.get("operator_organization_id"), instance=instance, errors=errors
    )

    functions = values.get("functions") or []
    if isinstance(functions, str):
        functions = [functions]
    if not isinstance(functions, list | tuple) or any(str(f) not in Function.values for f in functions):
        errors["functions"] = [_("请选择有效的站点功能。")]
        functions = []
    out["functions"] = [f for f in Function.values if f in {str(x) for x in functions}]  # canonical order, no repeats
    for field in CHECKLIST_FIELDS:
        out[field] = _bool(values.get(field))

    if errors:
        raise DomainError("invalid", INVALID_DATA, fields=errors)
    duplicate = ServicePoint.objects.filter(region_code=out["region_code"], name=out["name"])
    if instance is not None:
        duplicate = duplicate.exclude(pk=instance.pk)
    if duplicate.exists():
        raise DomainError("duplicate", INVALID_DATA, fields={"name": [_("同一区划内已有同名站点。")]})
    return out


class _Refused(Exception):
    """Raised inside a service's transaction; ``audit_denials`` records the refusal after the
    transaction has rolled back (a denied entry must survive the rollback)."""

    def __init__(self, error: DomainError, *, point, detail: dict | None = None):
        super().__init__(str(error.message))
        self.error, self.point, self.detail = error, point, detail


def _refuse(*, point, message) -> None:
    raise _Refused(PermissionDenied(message), point=point)


def _out_of_scope(*, point, region_code: str) -> None:
    msg = _("所选区划不在您的管辖范围内。")
    error = DomainError("out_of_scope", msg, fields={"region_code": [msg]}, status=403)
    raise _Refused(error, point=point, detail={"region_code": region_code})


def audit_denials(action: str):
    """Audit a refused write (result ``denied``) and raise its 403."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, actor, request=None, **kwargs):
            try:
                return fn(*args, actor=actor, request=request, **kwargs)
            except _Refused as refused:
                audit_record(
                    actor=actor,
                    action=action,
                    obj=refused.point,
                    object_type="" if refused.point else "stations.servicepoint",
                    result=AuditEntry.Result.DENIED,
                    request=request,
                    detail=refused.detail,
                )
                raise refused.error from None

        return wrapper

    return decorate


@audit_denials("stations.point.create")
def service_point_create(*, actor: User, values: ServicePointInput, request=None) -> ServicePoint:
    """Create a point (STA-1, REG-4): region managers inside their region, platform admins
    anywhere. The structure centre → institute → station is enforced (levels, parents, regions)."""
    if not can_manage_points(actor):
        _refuse(
            point=None,
            message=_("只有区域管理员和平台管理员可以新建站点。"),
        )
    with transaction.atomic():
        cleaned = _clean(actor=actor, values={f: None for f in MANAGER_FIELDS} | given(values), instance=None)
        if not region_in_scope(actor, cleaned["region_code"]):
            _out_of_scope(point=None, region_code=cleaned["region_code"])
        try:
            with transaction.atomic():
                point = ServicePoint.objects.create(created_by=actor, **cleaned)
        except IntegrityError:
            raise DomainError("duplicate", INVALID_DATA, fields={"name": [_("同一区划内已有同名站点。")]}) from None
        audit_record(
            actor=actor,
            action="stations.point.create",
            obj=point,
            request=request,
            detail={
                "name": point.name,
                "region_code": point.region_code,
                "network_level": point.network_level,
                "kind": point.kind,
                "operator_organization_id": point.operator_organization_id,
            },
        )
    return point


def _save_changes(*, actor, point: ServicePoint, cleaned: dict, allowed: tuple, action: str, request) -> ServicePoint:
    changed = []
    for field in allowed:
        attr = RELATED_FIELDS.get(field, field)
        new = cleaned[attr]
        if field in RELATED_FIELDS:
            differs = (new.pk if new is not None else None) != getattr(point, field)
        else:
            differs = new != getattr(point, attr)
        if differs:
            setattr(point, attr, new)
            changed.append(field)
    if changed:
        point.save(update_fields=[*(RELATED_FIELDS.get(f, f) for f in changed), "updated_at"])
        # Field names only: values may hold personal data (the contact's phone).
        audit_record(actor=actor, action=action, obj=point, request=request, detail={"fields": changed})
    return point


@audit_denials("stations.point.update")
def service_point_update(*, actor: User, point: ServicePoint, change: ServicePointInput, request=None) -> ServicePoint:
    """Change any field of a point the actor manages. The fields ``change`` leaves ``UNSET`` keep
    their values. A point with sub-points keeps its level and stays where they
    can follow (their regions must remain inside it)."""
    with transaction.atomic():
        point = ServicePoint.objects.select_for_update().get(pk=point.pk)
        if not can_manage_point(actor, point):
            _refuse(point=point, message=_("您不能修改此站点。"))
        values = _current_values(point)
        values.update({k: v for k, v in given(change).items() if k in MANAGER_FIELDS})
        cleaned = _clean(actor=actor, values=values, instance=point)
        if cleaned["region_code"] != point.region_code and not region_in_scope(actor, cleaned["region_code"]):
            _out_of_scope(point=point, region_code=cleaned["region_code"])
        children = point.children.all()
        if children.exists():
            if cleaned["network_level"] != point.network_level:
                raise DomainError("has_children", INVALID_DATA, fields={"network_level": [_("该站点有下级站点，不能更改层级。")]})
            prefix = region_prefix(cleaned["region_code"])
            if children.exclude(prefix_q("region_code", prefix)).exists():
                raise DomainError("has_children", INVALID_DATA, fields={"region_code": [_("下级站点须在该站点的区划范围内。")]})
        old_region = point.region_code
        try:
            with transaction.atomic():
                point = _save_changes(
                    actor=actor,
                    point=point,
                    cleaned=cleaned,
                    allowed=MANAGER_FIELDS,
                    action="stations.point.update",
                    request=request,
                )
        except IntegrityError:
            raise DomainError("duplicate", INVALID_DATA, fields={"name": [_("同一区划内已有同名站点。")]}) from None
        if point.region_code != old_region:
            # The station admins' assignments carry the point's region, so they stay in the
            # role list (and in the hands) of the managers of its new region.
            role_object_moved(role=Role.STATION_ADMIN, object_id=point.pk, region_code=point.region_code)
        return point


@audit_denials("stations.point.operations")
def service_point_operations_update(*, actor: User, point: ServicePoint, change: ServicePointInput, request=None) -> ServicePoint:
    """「我的站点」: a station admin (or a manager) updates opening hours, contact, functions and
    the six-haves checklist. Other fields of ``change`` are ignored."""
    with transaction.atomic():
        point = ServicePoint.objects.select_for_update().get(pk=point.pk)
        if not can_edit_operations(actor, point):
            _refuse(point=point, message=_("您不能修改此站点。"))
        if point.status != Status.ACTIVE:
            raise Conflict("closed", _("站点已关闭，不能修改。"))
        values = _current_values(point)
        values["parent_id"] = point.parent_id
        values.update({k: v for k, v in given(change).items() if k in OPERATIONS_FIELDS})
        cleaned = _clean(actor=actor, values=values, instance=point)
        return _save_changes(
            actor=actor,
            point=point,
            cleaned=cleaned,
            allowed=OPERATIONS_FIELDS,
            action="stations.point.operations",
            request=request,
        )


@audit_denials("stations.point.close")
def service_point_close(*, actor: User, point: ServicePoint, reason: str = "", request=None) -> ServicePoint:
    """Close a point (kept, hidden from the public list). A point with active sub-points cannot
    be closed: close those first."""
    reason = _text(reason)[:200]
    with transaction.atomic():
        point = ServicePoint.objects.select_for_update().get(pk=point.pk)
        if not can_manage_point(actor, point):
            _refuse(point=point, message=_("您不能关闭此站点。"))
        if point.status == Status.CLOSED:
            raise Conflict("already_closed", _("站点已关闭。"))
        if point.children.filter(status=Status.ACTIVE).exists():
            raise Conflict("has_active_children", _("该站点还有运行中的下级站点，请先关闭下级站点。"))
        point.status = Status.CLOSED
        point.closed_at = timezone.now()
        point.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(actor=actor, action="stations.point.close", obj=point, request=request, detail={"reason": reason})
    return point


@audit_denials("stations.point.reopen")
def service_point_reopen(*, actor: User, point: ServicePoint, request=None) -> ServicePoint:
    """Reopen a closed point; its parent must be running."""
    with transaction.atomic():
        point = ServicePoint.objects.select_for_update(of=("self",)).select_related("parent").get(pk=point.pk)
        if not can_manage_point(actor, point):
            _refuse(point=point, message=_("您不能重新启用此站点。"))
        if point.status == Status.ACTIVE:
            raise Conflict("already_active", _("站点正在运行中。"))
        if point.parent is not None and point.parent.status != Status.ACTIVE:
            raise Conflict("parent_closed", _("上级阵地已关闭，请先重新启用上级阵地。"))
        point.status = Status.ACTIVE
        point.closed_at = None
        point.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(actor=actor, action="stations.point.reopen", obj=point, request=request)
    return point


@audit_denials("stations.admin.assign")
def station_admin_assign(*, actor: User, point: ServicePoint, mobile: str, request=None) -> RoleAssignment:
    """ACC-2: make the registered user with ``mobile`` a station admin of ``point``
    (``RoleAssignment(role=station_admin, object_id=point.id)``; the point's region is stored
    too, so the assignment shows in its region managers' role list)."""
    mobile = _text(mobile)
    if not can_manage_point(actor, point):
        _refuse(point=point, message=_("您不能为此站点指定管理员。"))
    if not MOBILE_RE.fullmatch(mobile):
        msg = _("请输入11位中国大陆手机号码。")
        raise DomainError("invalid", msg, fields={"mobile": [msg]})
    user = User.objects.filter(mobile=mobile).first()
    if user is None:
        msg = _("未找到该手机号对应的用户，请先让其注册账号。")
        raise DomainError("user_not_found", msg, fields={"mobile": [msg]})
    if not user.is_active:
        msg = _("该用户已停用，不能指定为站点管理员。")
        raise DomainError("user_inactive", msg, fields={"mobile": [msg]})
    with transaction.atomic():
        point = ServicePoint.objects.select_for_update().get(pk=point.pk)
        if point.status != Status.ACTIVE:
            raise Conflict("closed", _("站点已关闭，不能指定管理员。"))
        existing = RoleAssignment.objects.filter(user=user, role=Role.STATION_ADMIN, object_id=point.pk, active=True)
        if existing.exists():
            msg = _("该用户已是本站点的管理员。")
            raise Conflict("already_admin", msg, fields={"mobile": [msg]})
        assignment = role_assignment_add(
            user=user, role=Role.STATION_ADMIN, region_code=point.region_code, object_id=point.pk, granted_by=actor
        )
        audit_record(
            actor=actor,
            action="stations.admin.assign",
            obj=point,
            request=request,
            detail={"assignment_id": assignment.pk, "user_id": user.pk, "user": user.audit_label},
        )
    return assignment


@audit_denials("stations.admin.revoke")
def station_admin_revoke(*, actor: User, point: ServicePoint, assignment_id, request=None) -> RoleAssignment:
    """End a station admin's assignment to ``point`` (kept, marked revoked)."""
    if not can_manage_point(actor, point):
        _refuse(point=point, message=_("您不能撤销此站点的管理员。"))
    try:
        pk = int(assignment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    with transaction.atomic():
        assignment = (
            RoleAssignment.objects.select_for_update()
            .select_related("user")
            .filter(pk=pk, role=Role.STATION_ADMIN, object_id=point.pk)
            .first()
        )
        if assignment is None:
            raise NotFound()
        if not assignment.active:
            raise Conflict("already_revoked", _("该管理员已被撤销。"))
        role_assignment_end(assignment=assignment, actor=actor)
        audit_record(
            actor=actor,
            action="stations.admin.revoke",
            obj=point,
            request=request,
            detail={"assignment_id": assignment.pk, "user_id": assignment.user_id, "user": assignment.user.audit_label},
        )
    return assignment

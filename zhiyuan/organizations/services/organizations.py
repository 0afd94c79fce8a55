"""Organization writes: application, review, suspension, reinstatement, deregistration and
profile changes (SPEC ORG-1…ORG-3; ACC-3 audit).

Every write is validated here, once (pages and API call the same functions), runs in one
transaction and appends an audit entry in it. Validation errors are ``DomainError`` with Chinese
messages per field; nothing is half-saved. A refused write (403) is audited as ``denied``.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from zhiyuan.accounts.models import User
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, fields_allowed_check
from zhiyuan.core.inputs import UNSET, Unset, given
from zhiyuan.core.text import text_error
from zhiyuan.organizations.models import (
    LEGAL_ENTITY_KINDS,
    Kind,
    Membership,
    Organization,
    OrganizationCategory,
    OrganizationStatusChange,
    SponsorType,
    Status,
    TeamCategory,
)
from zhiyuan.organizations.permissions import can_edit_profile, can_manage_members, can_review, region_in_scope
from zhiyuan.organizations.services.common import (
    INVALID_DATA,
    PHONE_RE,
    admin_grant,
    admin_revoke,
    refuse,
    text,
)
from zhiyuan.regions.codes import normalize_code, region_prefix
from zhiyuan.regions.models import Region
from zhiyuan.volunteers.codes import ServiceCategory

# Anti-abuse: how many applications one person may have waiting for review at once.
MAX_PENDING_APPLICATIONS = 5

TEXT_LIMITS = {
    "name": 100,
    "intro": 500,
    "address": 200,
    "contact_name": 50,
    "contact_phone": 20,
    "sponsor_name": 100,
}
MULTILINE_FIELDS = frozenset({"intro"})  # the others are single-line: no tabs or line breaks
# What an organization admin may change on their own organization; managers also change the
# name, the region and the USCC. The kind and the parent are fixed once applied for.
PROFILE_FIELDS = (
    "intro", "address", "contact_name", "contact_phone", "sponsor_type", "sponsor_name", "team_category", "categories",
)  # fmt: skip
MANAGER_FIELDS = ("name", "region_code", "uscc", *PROFILE_FIELDS)
APPLY_FIELDS = ("name", "kind", "region_code", "parent_id", "uscc", *PROFILE_FIELDS)

REASON_MAX = 200
MAX_CATEGORIES = 8


@dataclass(frozen=True, kw_only=True)
class OrganizationInput:
    """An organization's fields as submitted (application page, API body, demo data), checked by
    ``organization_apply`` / ``organization_update``. An update leaves out (``UNSET``) what it
    does not change; fields the caller's role may not change are refused, not ignored."""

    name: str | Unset = UNSET
    kind: str | Unset = UNSET  # fixed once applied for
    region_code: str | Unset = UNSET
    parent_id: int | str | Unset | None = UNSET  # fixed once applied for
    uscc: str | Unset = UNSET
    intro: str | Unset = UNSET
    address: str | Unset = UNSET
    contact_name: str | Unset = UNSET
    contact_phone: str | Unset = UNSET
    sponsor_type: str | Unset = UNSET
    sponsor_name: str | Unset = UNSET
    team_category: str | Unset = UNSET
    categories: list[str] | str | Unset | None = UNSET  # service category codes (or "a,b"); [] clears


def categories_clean(value) -> tuple[list[str], str | None]:
    """Service categories (codes of ``volunteers.codes.ServiceCategory``): a list, or a string of
    codes separated by commas; duplicates dropped, order kept. Returns ``(codes, error)``."""
    if value is None or value == "":
        return [], None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple | set | frozenset):
        return [], _("服务类别格式错误，应为服务类别代码的列表。")
    codes = []
    for item in value:
        code = text(item).lower() if isinstance(item, str) else None
        if code is None or code not in ServiceCategory.values:
            return [], _("请从列表中选择服务类别（%(value)s 不是有效的服务类别代码）。") % {"value": text(item)[:32]}
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_CATEGORIES:
        return [], _("最多选择 %(n)d 个服务类别。") % {"n": MAX_CATEGORIES}
    return codes, None


def category_codes(org: Organization) -> list[str]:
    return [c.code for c in org.categories.all()]


def _set_categories(org: Organization, codes: list[str]) -> None:
    org.categories.all().delete()
    OrganizationCategory.objects.bulk_create([OrganizationCategory(organization=org, code=c) for c in codes])


def uscc_clean(raw) -> str:
    """ORG-2: a Unified Social Credit Code (GB 32100-2015) checked with python-stdnum ``cn.uscc``:
    18 characters, the first 8 digits, the rest from the code alphabet, and the check character.
    Returns the compact upper-case form; raises ``DomainError`` with a field message."""
    value = text(raw).replace(" ", "").replace("-", "").upper()
    try:
        return stdnum_uscc.validate(value)
    except InvalidLength:
        msg = _("统一社会信用代码应为18位（当前%(n)d位）。") % {"n": len(value)}
    except InvalidChecksum:
        msg = _("统一社会信用代码校验位错误，请核对后重新输入。")
    except ValidationError:
        msg = _("统一社会信用代码格式不正确：前8位为数字，其余为数字或大写字母（不使用I、O、Z、S、V）。")
    raise DomainError("invalid_uscc", INVALID_DATA, fields={"uscc": [msg]})


def _clean(*, actor, values: dict, instance: Organization | None) -> dict:
    """Validate a complete set of organization values; every field error at once."""
    errors: dict[str, list] = {}
    out: dict = {}
    for field, limit in TEXT_LIMITS.items():
        value = text(values.get(field))
        error = text_error(value, limit=limit, multiline=field in MULTILINE_FIELDS)
        if error:
            errors[field] = [error]
        out[field] = value
    required = {
        "name": _("请填写组织名称。"),
        "address": _("请填写地址。"),
        "contact_name": _("请填写联系人。"),
        "contact_phone": _("请填写联系电话。"),
    }
    for field, msg in required.items():
        if not out[field] and field not in errors:
            errors[field] = [msg]
    if out["contact_phone"] and "contact_phone" not in errors and not PHONE_RE.fullmatch(out["contact_phone"]):
        errors["contact_phone"] = [_("请输入有效的电话号码：11位手机号或带区号的固定电话（如 0752-2345678）。")]

    out["categories"], error = categories_clean(values.get("categories"))
    if error:
        errors["categories"] = [error]

    kind = text(values.get("kind"))
    if kind not in Kind.values:
        errors["kind"] = [_("请选择组织类型。") if not kind else _("请选择有效的组织类型。")]
    out["kind"] = kind

    # ORG-2: legal entities carry a valid USCC; teams are unregistered and carry none.
    raw_uscc = text(values.get("uscc"))
    out["uscc"] = ""
    if kind in LEGAL_ENTITY_KINDS:
        if not raw_uscc:
            errors["uscc"] = [_("志愿服务组织须填写统一社会信用代码。")]
        else:
            try:
                out["uscc"] = uscc_clean(raw_uscc)
            except DomainError as exc:
                errors.update(exc.fields)
    elif kind == Kind.TEAM and raw_uscc:
        errors["uscc"] = [_("志愿服务队伍为未登记团体，无需填写统一社会信用代码；已登记的请选择组织类型。")]

    # ORG-1: a team names its sponsor and its category; legal entities carry neither.
    for field in ("sponsor_type", "team_category"):
        out[field] = text(values.get(field))
    if kind == Kind.TEAM:
        if out["sponsor_type"] not in SponsorType.values:
            errors["sponsor_type"] = [_("请选择主管单位类型（机关、企事业单位、学校、社区）。")]
        if not out["sponsor_name"] and "sponsor_name" not in errors:
            errors["sponsor_name"] = [_("请填写主管单位名称。")]
        if out["team_category"] not in TeamCategory.values:
            errors["team_category"] = [_("请选择队伍类别。")]
    elif kind:
        out["sponsor_type"] = out["team_category"] = ""
        out["sponsor_name"] = ""

    region = None
    raw_code = text(values.get("region_code"))
    try:
        code = normalize_code(raw_code) if raw_code else ""
    except ValueError:
        code = None
    if not raw_code:
        errors["region_code"] = [_("请选择所在区划。")]
    elif code is None:
        errors["region_code"] = [_("请输入有效的区划代码（2、4、6、9或12位数字）。")]
    else:
        region = Region.objects.filter(code=code).only("code").first()
        if region is None:
            errors["region_code"] = [_("该区划不存在。")]
    out["region_code"] = region.code if region else ""

    parent = instance.parent if instance is not None else None
    if instance is None:
        raw_parent = values.get("parent_id")
        if raw_parent not in (None, ""):
            try:
                parent = Organization.objects.filter(pk=int(raw_parent)).first()
            except (TypeError, ValueError):
                parent = None
            # Only the parent's admins (or its managers) may start a sub-team under it; anyone
            # else is told the same as for a missing one.
            if parent is None or not can_manage_members(actor, parent):
                errors["parent_id"] = [_("上级组织不存在，或您不是其管理员。")]
                parent = None
            elif parent.status != Status.ACTIVE:
                errors["parent_id"] = [_("上级组织当前不是正常状态，不能设立下级队伍。")]
            elif kind and kind != Kind.TEAM:
                errors["kind"] = [_("下级组织须为志愿服务队伍。")]
            elif region is not None and not region.code.startswith(region_prefix(parent.region_code)):
                errors["region_code"] = [_("下级队伍所在区划须在上级组织的区划范围内。")]
    out["parent"] = parent

    if errors:
        raise DomainError("invalid", INVALID_DATA, fields=errors)
    _check_unique(out=out, instance=instance)
    return out


def _check_unique(*, out: dict, instance: Organization | None) -> None:
    others = Organization.objects.exclude(status=Status.REJECTED)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if out["uscc"] and others.filter(uscc=out["uscc"]).exists():
        raise DomainError("duplicate_uscc", INVALID_DATA, fields={"uscc": [_("该统一社会信用代码已被其他组织使用。")]})
    if others.filter(region_code=out["region_code"], name=out["name"]).exists():
        raise DomainError("duplicate_name", INVALID_DATA, fields={"name": [_("同一区划内已有同名组织。")]})


def _duplicate_error() -> DomainError:
    return DomainError("duplicate", INVALID_DATA, fields={"name": [_("同名组织或统一社会信用代码已存在。")]})


def _history(*, org: Organization, old: str, actor, reason: str = "") -> None:
    OrganizationStatusChange.objects.create(
        organization=org,
        from_status=old,
        to_status=org.status,
        reason=reason,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def organization_apply(*, actor: User, application: OrganizationInput, request=None) -> Organization:
    """ORG-3: any signed-in user applies to create an organization (or, as admin of an active
    organization, a sub-team under it). It waits as ``pending`` for the region manager of its
    region; the applicant becomes its first admin when it is approved."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        refuse(actor=None, action="organizations.org.apply", object_type="organizations.organization", request=request)
    values = {f: None for f in APPLY_FIELDS} | given(application)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()  # serialize one person's applications
        cleaned = _clean(actor=actor, values=values, instance=None)
        pending = Organization.objects.filter(created_by=actor, status=Status.PENDING).count()
        if pending >= MAX_PENDING_APPLICATIONS:
            raise Conflict(
                "too_many_pending",
                _("您已有 %(n)d 个申请正在审核中，请等待审核结果后再提交。") % {"n": pending},
            )
        try:
            with transaction.atomic():
                categories = cleaned.pop("categories")
                org = Organization.objects.create(created_by=actor, status=Status.PENDING, **cleaned)
        except IntegrityError:
            raise _duplicate_error() from None
        _set_categories(org, categories)
        _history(org=org, old="", actor=actor)
        audit_record(
            actor=actor,
            action="organizations.org.apply",
            obj=org,
            request=request,
            detail={
                "name": org.name,
                "kind": org.kind,
                "region_code": org.region_code,
                "uscc": org.uscc,
                "parent_id": org.parent_id,
                "categories": categories,
            },
        )
    return org


def _creator_becomes_admin(*, org: Organization, actor) -> None:
    """The applicant becomes the organization's admin: the role, and (by the role's hook) an
    active admin membership when they are a registered volunteer."""
    user = org.created_by
    if user is not None and user.is_active:
        admin_grant(org=org, user=user, actor=actor)


def organization_review(*, actor: User, org: Organization, decision: str, reason: str = "", request=None) -> Organization:
    """ORG-3: approve (→ active, the applicant becomes admin) or reject (→ rejected, with a
    reason) a pending application. Only the region manager whose region holds the organization,
    or a platform admin."""
    action = "organizations.org.approve" if decision == "approve" else "organizations.org.reject"
    if not can_review(actor, org):
        refuse(actor=actor, action=action, obj=org, request=request, message=_("只有组织所在区域的管理员可以审核。"))
    reason = text(reason)
    if decision not in ("approve", "reject"):
        raise DomainError("invalid", INVALID_DATA, fields={"decision": [_("请选择通过或不通过。")]})
    if error := text_error(reason, limit=REASON_MAX, multiline=True):
        raise DomainError("invalid", INVALID_DATA, fields={"reason": [error]})
    if decision == "reject" and not reason:
        raise DomainError("invalid", INVALID_DATA, fields={"reason": [_("不通过时请填写原因，申请人将看到该原因。")]})
    with transaction.atomic():
        org = Organization.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=org.pk)
        if org.status != Status.PENDING:
            raise Conflict("not_pending", _("该申请已审核（当前状态：%(s)s）。") % {"s": org.get_status_display()})
        if (
            decision == "approve"
            and org.parent_id
            and not Organization.objects.filter(pk=org.parent_id, status=Status.ACTIVE).exists()
        ):
            raise Conflict("parent_inactive", _("上级组织当前不是正常状态，不能通过该队伍的申请。"))
        old = org.status
        org.status = Status.ACTIVE if decision == "approve" else Status.REJECTED
        org.status_reason = reason
        org.reviewed_by, org.reviewed_at = actor, timezone.now()
        org.save(update_fields=["status", "status_reason", "reviewed_by", "reviewed_at", "updated_at"])
        _history(org=org, old=old, actor=actor, reason=reason)
        if decision == "approve":
            _creator_becomes_admin(org=org, actor=actor)
        audit_record(actor=actor, action=action, obj=org, request=request, detail={"reason": reason, "name": org.name})
    return org


# (action, allowed from, to, reason required)
TRANSITIONS = {
    "suspend": ((Status.ACTIVE,), Status.SUSPENDED, True),
    "reinstate": ((Status.SUSPENDED,), Status.ACTIVE, False),
    "deregister": ((Status.ACTIVE, Status.SUSPENDED), Status.DEREGISTERED, True),
}


def organization_status_change(*, actor: User, org: Organization, action: str, reason: str = "", request=None) -> Organization:
    """ORG-3: suspend (active → suspended), reinstate (suspended → active) or deregister (active or
    suspended → deregistered), by the organization's region managers; suspension and
    deregistration need a reason. Deregistration ends every open membership and admin role, and
    needs the sub-teams deregistered first."""
    if action not in TRANSITIONS:
        raise DomainError("invalid", INVALID_DATA, fields={"action": [_("请选择有效的操作（暂停、恢复、注销）。")]})
    audit_action = f"organizations.org.{action}"
    if not can_review(actor, org):
        refuse(
            actor=actor, action=audit_action, obj=org, request=request, message=_("只有组织所在区域的管理员可以变更组织状态。")
        )
    allowed, target, needs_reason = TRANSITIONS[action]
    reason = text(reason)
    if error := text_error(reason, limit=REASON_MAX, multiline=True):
        raise DomainError("invalid", INVALID_DATA, fields={"reason": [error]})
    if needs_reason and not reason:
        raise DomainError("invalid", INVALID_DATA, fields={"reason": [_("请填写原因。")]})
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        if org.status not in allowed:
            raise Conflict(
                "bad_status",
                _("当前状态为「%(s)s」，不能执行此操作。") % {"s": org.get_status_display()},
            )
        if (
            action == "reinstate"
            and org.parent_id
            and not Organization.objects.filter(pk=org.parent_id, status=Status.ACTIVE).exists()
        ):
            raise Conflict("parent_inactive", _("上级组织当前不是正常状态，请先恢复上级组织。"))
        ended = 0
        if action == "deregister":
            if org.sub_teams.filter(status__in=[Status.PENDING, Status.ACTIVE, Status.SUSPENDED]).exists():
                raise Conflict("has_sub_teams", _("该组织还有未注销的下级队伍，请先注销下级队伍。"))
            ended = _end_memberships(org=org, actor=actor)
            admin_revoke(org=org, user_ids=None, actor=actor)
        old = org.status
        org.status, org.status_reason = target, reason
        org.save(update_fields=["status", "status_reason", "updated_at"])
        _history(org=org, old=old, actor=actor, reason=reason)
        audit_record(
            actor=actor, action=audit_action, obj=org, request=request, detail={"reason": reason, "memberships_ended": ended}
        )
    return org


def _end_memberships(*, org: Organization, actor) -> int:
    now = timezone.now()
    msg = str(_("组织已注销"))
    n = Membership.objects.filter(organization=org, status__in=(Membership.Status.APPLIED, Membership.Status.INVITED)).update(
        status=Membership.Status.REJECTED, reason=msg, decided_by=actor, ended_at=now, updated_at=now
    )
    n += Membership.objects.filter(organization=org, status=Membership.Status.ACTIVE).update(
        status=Membership.Status.REMOVED, reason=msg, decided_by=actor, ended_at=now, updated_at=now
    )
    Organization.objects.filter(pk=org.pk).update(member_count=0)  # nobody is an active member any more
    org.member_count = 0
    return n


def organization_update(*, actor: User, org: Organization, change: OrganizationInput, request=None) -> Organization:
    """Change an organization's profile. Its admins change the profile fields (intro, address,
    contact, sponsor); its region managers also the name, region and USCC (a new region must be
    inside their scope). The fields ``change`` leaves ``UNSET`` keep their values."""
    if not can_edit_profile(actor, org):
        refuse(actor=actor, action="organizations.org.update", obj=org, request=request, message=_("您不能修改此组织。"))
    manager = can_review(actor, org)
    allowed = MANAGER_FIELDS if manager else PROFILE_FIELDS
    data = given(change)
    fields_allowed_check(data, allowed)
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        if org.status in (Status.REJECTED, Status.DEREGISTERED):
            raise Conflict("closed", _("该组织已注销或申请未通过，不能修改。"))
        values = {f: getattr(org, f) for f in (*MANAGER_FIELDS, "kind") if f != "categories"}
        before_categories = values["categories"] = category_codes(org)
        values.update({k: v for k, v in data.items() if k in allowed})
        cleaned = _clean(actor=actor, values=values, instance=org)
        if cleaned["region_code"] != org.region_code:
            if not region_in_scope(actor, cleaned["region_code"]):
                msg = _("所选区划不在您的管辖范围内。")
                raise DomainError("out_of_scope", msg, fields={"region_code": [msg]}, status=403)
            if org.parent_id and not cleaned["region_code"].startswith(region_prefix(org.parent.region_code)):
                raise DomainError(
                    "invalid", INVALID_DATA, fields={"region_code": [_("下级队伍所在区划须在上级组织的区划范围内。")]}
                )
            prefix = region_prefix(cleaned["region_code"])
            if org.sub_teams.exclude(status=Status.REJECTED).exclude(region_code__startswith=prefix).exists():
                raise DomainError("invalid", INVALID_DATA, fields={"region_code": [_("下级队伍须在该组织的区划范围内。")]})
        changed = [f for f in allowed if f != "categories" and cleaned[f] != getattr(org, f)]
        if "categories" in allowed and cleaned["categories"] != before_categories:
            _set_categories(org, cleaned["categories"])
            changed.append("categories")
        if changed:
            for f in changed:
                if f != "categories":
                    setattr(org, f, cleaned[f])
            try:
                with transaction.atomic():
                    org.save(update_fields=[*(f for f in changed if f != "categories"), "updated_at"])
            except IntegrityError:
                raise _duplicate_error() from None
            if "region_code" in changed:
                from zhiyuan.accounts.roles import Role
                from zhiyuan.accounts.services import role_object_moved

                role_object_moved(role=Role.ORG_ADMIN, object_id=org.pk, region_code=org.region_code)
            # Field names only: values may hold personal data (the contact's phone).
            audit_record(actor=actor, action="organizations.org.update", obj=org, request=request, detail={"fields": changed})
    return org


def organization_suspend(*, actor: User, org: Organization, reason: str, request=None) -> Organization:
    return organization_status_change(actor=actor, org=org, action="suspend", reason=reason, request=request)


def organization_reinstate(*, actor: User, org: Organization, reason: str = "", request=None) -> Organization:
    return organization_status_change(actor=actor, org=org, action="reinstate", reason=reason, request=request)


def organization_deregister(*, actor: User, org: Organization, reason: str, request=None) -> Organization:
    return organization_status_change(actor=actor, org=org, action="deregister", reason=reason, request=request)

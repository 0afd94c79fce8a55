"""Writes of the accounts app: login with lockout, TOTP, password and profile, role grants,
API tokens (SPEC ACC-1, ACC-2, ACC-4; RULES "Security baseline": 等保 2.0 level 3 — unique user
ids, password complexity, lockout after failed logins, session time-out, two factors for
administrators, audit records with subject, object, time, type and result).

Every write by a manager and every login outcome is audited (``zhiyuan.core.audit``) in the same
transaction as the change.
"""

import datetime
import hmac
import math
import re
import secrets
import time

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.api_auth import token_hash
from zhiyuan.accounts.models import ApiToken, RoleAssignment, User
from zhiyuan.accounts.ratelimit import rate_limit_hit
from zhiyuan.accounts.roles import API_TOKEN_ROLES, TWO_FACTOR_ROLES, Role
from zhiyuan.accounts.scopes import (
    actor_has_role,
    actor_is_platform_admin,
    actor_region_prefixes,
    actor_role_cache_clear,
    role_hooks,
    role_object_get,
)
from zhiyuan.core.audit import audit_record, client_ip
from zhiyuan.core.crypto import blind_index, mask_mobile, seal, unseal
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.core.text import has_control_chars
from zhiyuan.regions.codes import region_prefix as code_region_prefix
from zhiyuan.regions.selectors import region_find

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
MAX_PASSWORD_LENGTH = 128  # argon2 takes any length; a cap keeps hashing cheap for hostile input
TOTP_PURPOSE = "accounts.totp"
TOTP_STEP = 30
TOTP_WINDOW = 1  # accept the previous, current and next 30-second code (clock drift)
TOKEN_SECRET_PREFIX = "zyt_"
MAX_ACTIVE_TOKENS = 20
GRANTABLE_ROLES = (Role.REGION_MANAGER, Role.PLATFORM_ADMIN, Role.ORG_ADMIN, Role.STATION_ADMIN)
OBJECT_ROLES = (Role.ORG_ADMIN, Role.STATION_ADMIN)  # bound to an organization / a service point
# Per object role: the object missing, outside the granter's scope, not active.
OBJECT_ROLE_MESSAGES = {
    Role.ORG_ADMIN: (
        _("该组织不存在，请核对组织编号。"),
        _("组织「%(name)s」当前状态为“%(status)s”，只有状态正常的组织可以指定组织管理员。"),
    ),
    Role.STATION_ADMIN: (
        _("该站点不存在，请核对站点编号。"),
        _("站点「%(name)s」当前状态为“%(status)s”，不能指定站点管理员。"),
    ),
}

INVALID_LOGIN = _("手机号或密码错误。")
INVALID_DATA = _("提交的数据有误，请检查后重试。")
TOTP_INVALID = _("验证码错误或已过期，请输入验证器上当前显示的6位数字。")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- login, lockout ---------------------------------------------------------------------------


def _locked_error(remaining: datetime.timedelta) -> DomainError:
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    return DomainError(
        "account_locked",
        _("登录失败次数过多，账号已被临时锁定，请在 %(minutes)d 分钟后再试。") % {"minutes": minutes},
        status=403,
    )


def _login_rate_check(request) -> None:
    ip = client_ip(request) or "unknown"
    limit = settings.ZHIYUAN_LOGIN_RATE
    if rate_limit_hit(f"login:{ip}", limit, 60):
        raise DomainError(
            "rate_limited",
            _("登录尝试过于频繁（每分钟最多 %(limit)d 次），请稍后再试。") % {"limit": limit},
            status=429,
        )


def _phantom_failure(*, request, mobile: str, password: str):
    """An unknown mobile number fails exactly like a wrong password, lockout included, so the
    login page does not tell which numbers have an account. The counter lives in the cache
    under a keyed hash of the number (never the number itself)."""
    User().set_password(password[:MAX_PASSWORD_LENGTH])  # same hashing time as a real check
    key = "login-phantom:" + blind_index(mobile[:32], purpose="accounts.login")
    now = time.time()
    state = cache.get(key) or {"failures": 0, "locked_until": 0.0}
    if state["locked_until"] > now:
        raise _locked_error(datetime.timedelta(seconds=state["locked_until"] - now))
    if state["locked_until"]:
        state = {"failures": 0, "locked_until": 0.0}
    state["failures"] += 1
    lockout = settings.ZHIYUAN_LOGIN_LOCKOUT_SECONDS
    locked = state["failures"] >= settings.ZHIYUAN_LOGIN_MAX_FAILURES
    if locked:
        state["locked_until"] = now + lockout
    cache.set(key, state, timeout=lockout + 60)
    audit_record(
        actor=None,
        action="accounts.login",
        object_type="accounts.user",
        result=AuditEntry.Result.FAILED,
        request=request,
        detail={"mobile": mask_mobile(mobile[:11]) if MOBILE_RE.fullmatch(mobile) else "", "reason": "unknown_account"},
    )
    if locked:
        raise _locked_error(datetime.timedelta(seconds=lockout))
    raise DomainError("invalid_login", INVALID_LOGIN, status=400)


def _register_failure(*, user: User, request, reason: str, error: DomainError) -> None:
    """Count one failed attempt (password or second factor) and lock the account at the limit.

    Runs in its own transaction and raises after it commits: the count must survive the error."""
    lockout = settings.ZHIYUAN_LOGIN_LOCKOUT_SECONDS
    with transaction.atomic():
        u = User.objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        if u.locked_until and u.locked_until <= now:  # an expired lock starts a fresh count
            u.failed_logins, u.locked_until = 0, None
        u.failed_logins = min(u.failed_logins + 1, 32000)
        locked = u.failed_logins >= settings.ZHIYUAN_LOGIN_MAX_FAILURES
        if locked:
            u.locked_until = now + datetime.timedelta(seconds=lockout)
        u.save(update_fields=["failed_logins", "locked_until"])
        audit_record(
            actor=u,
            action="accounts.login",
            obj=u,
            result=AuditEntry.Result.FAILED,
            request=request,
            detail={"reason": reason, "failures": u.failed_logins},
        )
        if locked:
            audit_record(
                actor=u,
                action="accounts.login.lockout",
                obj=u,
                result=AuditEntry.Result.DENIED,
                request=request,
                detail={"failures": u.failed_logins, "until": u.locked_until.isoformat(), "seconds": lockout},
            )
    user.failed_logins, user.locked_until = u.failed_logins, u.locked_until
    if locked:
        raise _locked_error(datetime.timedelta(seconds=lockout))
    raise error


def _refuse_if_locked(*, user: User, request) -> None:
    now = timezone.now()
    if user.locked_until and user.locked_until > now:
        audit_record(
            actor=user,
            action="accounts.login",
            obj=user,
            result=AuditEntry.Result.DENIED,
            request=request,
            detail={"reason": "locked"},
        )
        raise _locked_error(user.locked_until - now)


def _login_succeeded(*, user: User, request, second_factor: str) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None
        audit_record(
            actor=user,
            action="accounts.login",
            obj=user,
            result=AuditEntry.Result.OK,
            request=request,
            detail={"second_factor": second_factor},
        )


def login_attempt(*, request, mobile: str, password: str) -> User:
    """First step of a login: mobile number and password (ACC-1).

    * per client address at most ``ZHIYUAN_LOGIN_RATE`` attempts a minute (429);
    * after ``ZHIYUAN_LOGIN_MAX_FAILURES`` failures the account is locked for
      ``ZHIYUAN_LOGIN_LOCKOUT_SECONDS`` and the message says how many minutes remain;
    * an unknown number and a wrong password give the same message (no account enumeration);
    * every outcome is audited (``accounts.login`` ok / failed / denied, ``accounts.login.lockout``).

    Returns the user. When ``user.totp_enabled`` the caller must still ask for the code
    (``login_totp``) before logging the user in; the failure count is then reset only after the
    second factor, so a known password does not buy unlimited code guesses."""
    _login_rate_check(request)
    mobile = str(mobile or "").strip()
    password = str(password or "")
    user = None
    if MOBILE_RE.fullmatch(mobile):
        user = User.objects.filter(mobile=mobile).first()
    if user is None:
        _phantom_failure(request=request, mobile=mobile, password=password)
    _refuse_if_locked(user=user, request=request)
    ok = len(password) <= MAX_PASSWORD_LENGTH and user.check_password(password)
    if not ok or not user.is_active:
        _register_failure(
            user=user,
            request=request,
            reason="password" if not ok else "inactive",
            error=DomainError("invalid_login", INVALID_LOGIN, status=400),
        )
    if user.totp_enabled:
        audit_record(actor=user, action="accounts.login.password", obj=user, request=request, detail={"second_factor": "pending"})
    else:
        _login_succeeded(user=user, request=request, second_factor="none")
    return user


def login_totp(*, request, user: User, code: str) -> User:
    """Second step of a login: the 6-digit TOTP code. Wrong codes count towards the lockout."""
    _login_rate_check(request)
    user.refresh_from_db(fields=["failed_logins", "locked_until", "totp_enabled", "totp_last_step", "is_active"])
    _refuse_if_locked(user=user, request=request)
    try:
        totp_verify(user=user, code=code)
    except DomainError as exc:
        _register_failure(user=user, request=request, reason="totp", error=exc)
    _login_succeeded(user=user, request=request, second_factor="totp")
    return user


# --- TOTP (RFC 6238) --------------------------------------------------------------------------


def _normalize_code(code) -> str:
    return re.sub(r"\s", "", str(code or ""))[:16]


def totp_begin(*, user: User) -> str:
    """Start setting up the second factor: a fresh secret, stored sealed (AES-GCM) and pending
    until ``totp_confirm``. Refused while TOTP is enabled (disable first)."""
    if user.totp_enabled:
        raise Conflict("totp_already_enabled", _("两步验证已经启用。"))
    secret = pyotp.random_base32()
    user.totp_secret_sealed = seal(secret, purpose=TOTP_PURPOSE)
    user.save(update_fields=["totp_secret_sealed"])
    return secret


def totp_secret(*, user: User) -> str:
    """The (pending or enabled) secret in base32, for the set-up page and the authenticator app."""
    if not user.totp_secret_sealed:
        raise DomainError("totp_not_started", _("尚未生成两步验证密钥。"))
    return unseal(user.totp_secret_sealed, purpose=TOTP_PURPOSE)


def totp_uri(*, user: User) -> str:
    return pyotp.TOTP(totp_secret(user=user)).provisioning_uri(name=user.mobile, issuer_name=str(settings.ZHIYUAN_TOTP_ISSUER))


def _totp_match(secret: str, code: str, *, after_step: int) -> int | None:
    """The time step whose code equals ``code`` within ±TOTP_WINDOW and later than ``after_step``."""
    if not re.fullmatch(r"[0-9]{6}", code):
        return None
    otp = pyotp.TOTP(secret)
    now_step = int(time.time()) // TOTP_STEP
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        if hmac.compare_digest(otp.generate_otp(step), code) and step > after_step:
            return step
    return None


@transaction.atomic
def totp_confirm(*, user: User, code: str, request=None) -> None:
    """Enable TOTP once the user proves the authenticator app shows the right code."""
    if user.totp_enabled:
        raise Conflict("totp_already_enabled", _("两步验证已经启用。"))
    secret = totp_secret(user=user)
    if _totp_match(secret, _normalize_code(code), after_step=-1) is None:
        raise DomainError("totp_invalid", TOTP_INVALID, fields={"code": [TOTP_INVALID]})
    user.totp_enabled = True
    user.save(update_fields=["totp_enabled"])
    audit_record(actor=user, action="accounts.totp.enable", obj=user, request=request)


def totp_verify(*, user: User, code: str) -> None:
    """Check a code of an enabled second factor; each 30-second step is accepted once (a code
    seen by someone else cannot be replayed). Raises DomainError when the code is refused."""
    if not user.totp_enabled:
        raise DomainError("totp_not_enabled", _("尚未启用两步验证。"))
    code = _normalize_code(code)
    secret = totp_secret(user=user)
    step = _totp_match(secret, code, after_step=-1)
    if step is None:
        raise DomainError("totp_invalid", TOTP_INVALID, fields={"code": [TOTP_INVALID]})
    # Conditional update: two requests racing with the same code cannot both win.
    updated = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    if not updated:
        msg = _("此验证码已经使用过，请等待验证器显示新的验证码后再试。")
        raise DomainError("totp_replayed", msg, fields={"code": [msg]})
    user.totp_last_step = step


@transaction.atomic
def totp_disable(*, user: User, password: str, request=None) -> None:
    """Turn the second factor off (password required). Refused for region managers and
    platform admins, who must keep it (等保 level 3)."""
    if actor_has_role(user, *TWO_FACTOR_ROLES):
        raise PermissionDenied(_("区域管理员和平台管理员必须启用两步验证，不能关闭。"))
    if not user.check_password(str(password or "")[:MAX_PASSWORD_LENGTH]):
        msg = _("密码不正确。")
        raise DomainError("wrong_password", msg, fields={"password": [msg]})
    if not user.totp_enabled:
        raise Conflict("totp_not_enabled", _("尚未启用两步验证。"))
    user.totp_enabled = False
    user.totp_secret_sealed = ""
    user.save(update_fields=["totp_enabled", "totp_secret_sealed"])
    audit_record(actor=user, action="accounts.totp.disable", obj=user, request=request)


# --- password and profile ---------------------------------------------------------------------


def password_problems(*, user: User, new_password: str) -> list:
    """What is wrong with a new password: every validator in ``AUTH_PASSWORD_VALIDATORS``
    (length, common, numeric, complexity — 等保 level 3) and a length cap. Empty when fine."""
    if len(new_password) > MAX_PASSWORD_LENGTH:
        return [_("密码不能超过 %(n)d 个字符。") % {"n": MAX_PASSWORD_LENGTH}]
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, request=None) -> None:
    """Change the password after checking the current one; the new one passes every validator
    in ``AUTH_PASSWORD_VALIDATORS`` (length, common, numeric, complexity — 等保 level 3)."""
    old_password, new_password = str(old_password or ""), str(new_password or "")
    if len(old_password) > MAX_PASSWORD_LENGTH or not user.check_password(old_password):
        msg = _("当前密码不正确。")
        raise DomainError("wrong_password", msg, fields={"old_password": [msg]})
    if new_password == old_password:
        problems = [_("新密码不能与当前密码相同。")]
    else:
        problems = password_problems(user=user, new_password=new_password)
    if problems:
        raise DomainError("invalid", _("新密码不符合要求。"), fields={"new_password": problems})
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="accounts.password.change", obj=user, request=request)


@transaction.atomic
def profile_update(*, user: User, display_name: str, email: str, request=None) -> User:
    """The login's own display name and e-mail (the volunteer profile lives in volunteers)."""
    display_name = str(display_name or "").strip()
    email = str(email or "").strip()
    fields: dict = {}
    if len(display_name) > 50:
        fields["display_name"] = [_("姓名不能超过50个字符。")]
    if has_control_chars(display_name):  # NUL, zero-width and bidi characters (core.text)
        fields["display_name"] = [_("姓名包含无效字符。")]
    if email:
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            fields["email"] = [_("请输入有效的电子邮箱地址。")]
    if fields:
        raise DomainError("invalid", INVALID_DATA, fields=fields)
    changed = [f for f, v in (("display_name", display_name), ("email", email)) if getattr(user, f) != v]
    if changed:
        user.display_name, user.email = display_name, email
        user.save(update_fields=changed)
        audit_record(actor=user, action="accounts.profile.update", obj=user, request=request, detail={"fields": changed})
    return user


# --- roles (ACC-2) ----------------------------------------------------------------------------


def _assignment_region_prefix(region_code: str) -> str | None:
    try:
        return code_region_prefix(region_code) if region_code else None
    except ValueError:
        return None


def can_manage_assignment(actor, *, role: str, region_code: str) -> bool:
    """Platform admins grant and revoke any role. A region manager grants and revokes
    ``region_manager`` for regions strictly inside their own region (a county office appoints
    town offices, never a peer or itself), and organization and station admins of objects
    inside their region (``region_code`` is then the object's region), as they already do on
    the organization and station pages."""
    if actor_is_platform_admin(actor):
        return True
    if role in OBJECT_ROLES:
        return bool(region_code) and any(region_code.startswith(mine) for mine in actor_region_prefixes(actor))
    if role != Role.REGION_MANAGER:
        return False
    prefix = _assignment_region_prefix(region_code)
    if not prefix:
        return False
    return any(prefix.startswith(mine) and prefix != mine for mine in actor_region_prefixes(actor))


def grantable_roles(actor) -> list[str]:
    if actor_is_platform_admin(actor):
        return list(GRANTABLE_ROLES)
    if actor_region_prefixes(actor):
        return [Role.REGION_MANAGER, *OBJECT_ROLES]
    return []


def role_grant(*, actor: User, user: User, role: str, region_code: str = "", object_id=None, request=None) -> RoleAssignment:
    """Give ``user`` a role bound to a scope (ACC-2), audited ``accounts.role.grant``.

    Region managers carry a region (2/4/6/9/12-digit code, stored as 12 digits); organization and
    station admins the id of their organization or service point — which must exist, lie inside
    the granter's scope and be active (an organization in status 正常, a point 运行中) — and its
    region, so the assignment shows in that region's role list; platform admins nothing.
    A refused grant is audited too (result ``denied``)."""
    fields: dict = {}
    role = str(role or "")
    if role not in GRANTABLE_ROLES:
        fields["role"] = [_("请选择有效的角色。")]
    code = ""
    obj_id = None
    if role == Role.REGION_MANAGER:
        region = region_find(str(region_code or "").strip()[:12]) if region_code else None
        if not region_code:
            fields["region_code"] = [_("区域管理员须指定管辖区划。")]
        elif region is None:
            fields["region_code"] = [_("该区划不存在。")]
        else:
            code = region.code
    target = None
    if role in OBJECT_ROLES:
        try:
            obj_id = int(object_id)
            if obj_id <= 0 or obj_id > 2**62:
                raise ValueError
        except (TypeError, ValueError):
            fields["object_id"] = [_("请填写有效的管辖对象编号。")]
        else:
            try:
                target = role_object_get(role, obj_id)
            except LookupError:
                target = None
            if target is None:
                fields["object_id"] = [OBJECT_ROLE_MESSAGES[role][0]]
            else:
                code = target.region_code
    if fields:
        raise DomainError("invalid", INVALID_DATA, fields=fields)
    if not can_manage_assignment(actor, role=role, region_code=code):
        audit_record(
            actor=actor,
            action="accounts.role.grant",
            obj=user,
            result=AuditEntry.Result.DENIED,
            request=request,
            detail={"role": role, "region_code": code, "object_id": obj_id},
        )
        if role in OBJECT_ROLES:
            # Rule 8: another region's organization or point answers exactly like a missing one.
            raise DomainError("invalid", INVALID_DATA, fields={"object_id": [OBJECT_ROLE_MESSAGES[role][0]]})
        if role == Role.REGION_MANAGER:
            raise PermissionDenied(_("区域管理员只能为本辖区内的下级区划授予区域管理员角色。"))
        raise PermissionDenied(_("只有平台管理员可以授予此角色。"))
    if target is not None and not target.active:
        msg = OBJECT_ROLE_MESSAGES[role][1] % {"name": target.name, "status": target.status_label}
        raise DomainError("object_inactive", msg, fields={"object_id": [msg]})
    if not user.is_active:
        raise DomainError("user_inactive", _("该用户已停用，不能授予角色。"))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialize grants to one user
        exists = RoleAssignment.objects.filter(user=user, role=role, object_id=obj_id, active=True)
        if role not in OBJECT_ROLES:
            exists = exists.filter(region_code=code)  # an object role is one per object, whatever region it recorded
        if exists.exists():
            raise Conflict("role_exists", _("该用户已拥有此角色。"))
        assignment = role_assignment_add(user=user, role=role, region_code=code, object_id=obj_id, granted_by=actor)
        audit_record(
            actor=actor,
            action="accounts.role.grant",
            obj=assignment,
            request=request,
            detail={"user": user.audit_label, "user_id": user.pk, "role": role, "region_code": code, "object_id": obj_id},
        )
    return assignment


def role_assignment_add(*, user: User, role: str, region_code: str = "", object_id=None, granted_by=None) -> RoleAssignment:
    """The one writer of new role assignments (ACC-2); callers check permission and audit.

    An object role is one per user and object: an active assignment is returned as it is. The
    role's registered hooks run in the same transaction (granting ``org_admin`` anywhere makes the
    admin membership: the organizations app's hook)."""
    with transaction.atomic():
        if object_id is not None:
            existing = RoleAssignment.objects.filter(user=user, role=role, object_id=object_id, active=True).first()
            if existing is not None:
                return existing
        assignment = RoleAssignment.objects.create(
            user=user,
            role=role,
            region_code=region_code,
            object_id=object_id,
            granted_by=granted_by if getattr(granted_by, "pk", None) else None,
            granted_at=timezone.now(),
        )
        for hooks in role_hooks(role):
            if hooks.on_grant is not None:
                hooks.on_grant(assignment, granted_by)
    actor_role_cache_clear(user)
    return assignment


def role_assignment_end(*, assignment: RoleAssignment, actor=None) -> RoleAssignment:
    """The one writer that ends an assignment (kept, marked revoked); the role's hooks run in the
    same transaction (revoking ``org_admin`` makes the admin an ordinary member)."""
    with transaction.atomic():
        assignment.active = False
        assignment.revoked_at = timezone.now()
        assignment.revoked_by = actor if getattr(actor, "pk", None) else None
        assignment.save(update_fields=["active", "revoked_at", "revoked_by"])
        for hooks in role_hooks(assignment.role):
            if hooks.on_revoke is not None:
                hooks.on_revoke(assignment, actor)
    actor_role_cache_clear(assignment.user)
    if actor is not None and actor is not assignment.user:
        actor_role_cache_clear(actor)
    return assignment


def role_assignments_end(*, role: str, object_id: int, user_ids=None, actor=None) -> int:
    """End the active ``role`` assignments to ``object_id`` (of ``user_ids`` only, when given)."""
    qs = RoleAssignment.objects.select_for_update().select_related("user").filter(role=role, object_id=object_id, active=True)
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    with transaction.atomic():
        ended = list(qs)
        for assignment in ended:
            role_assignment_end(assignment=assignment, actor=actor)
    return len(ended)


def role_object_moved(*, role: str, object_id: int, region_code: str) -> None:
    """An organization or point moved region: its admins' assignments carry the new region, so
    they stay in the role list (and the hands) of the managers of that region."""
    RoleAssignment.objects.filter(role=role, object_id=object_id).update(region_code=region_code)


def role_revoke(*, actor: User, assignment: RoleAssignment, request=None) -> RoleAssignment:
    """End a role assignment (kept, marked revoked), audited ``accounts.role.revoke``. The
    caller fetches ``assignment`` through ``selectors.role_assignment_get`` (404 outside scope);
    a visible assignment the actor may not manage is refused with 403 and audited ``denied``."""
    if not can_manage_assignment(actor, role=assignment.role, region_code=assignment.region_code):
        audit_record(actor=actor, action="accounts.role.revoke", obj=assignment, result=AuditEntry.Result.DENIED, request=request)
        raise PermissionDenied(_("您不能撤销此角色：区域管理员只能撤销本辖区下级区划的区域管理员角色。"))
    with transaction.atomic():
        assignment = RoleAssignment.objects.select_for_update().select_related("user").get(pk=assignment.pk)
        if not assignment.active:
            raise Conflict("already_revoked", _("该角色已被撤销。"))
        if assignment.role == Role.PLATFORM_ADMIN:
            others = list(
                RoleAssignment.objects.select_for_update()
                .filter(role=Role.PLATFORM_ADMIN, active=True, user__is_active=True)
                .exclude(pk=assignment.pk)
                .values_list("pk", flat=True)
            )
            if not others:
                raise Conflict("last_platform_admin", _("不能撤销最后一位平台管理员。"))
        role_assignment_end(assignment=assignment, actor=actor)
        audit_record(
            actor=actor,
            action="accounts.role.revoke",
            obj=assignment,
            request=request,
            detail={
                "user": assignment.user.audit_label,
                "user_id": assignment.user_id,
                "role": assignment.role,
                "region_code": assignment.region_code,
                "object_id": assignment.object_id,
            },
        )
    actor_role_cache_clear(assignment.user)
    return assignment


# --- API tokens (ACC-4) -----------------------------------------------------------------------


def _token_region_prefix(actor, value: str) -> tuple[str, list]:
    value = str(value or "").strip()
    if not value:
        return "", []
    region = region_find(value)
    if region is None:
        return "", [_("该区划不存在。")]
    prefix = code_region_prefix(region.code)
    if actor_is_platform_admin(actor):
        return prefix, []
    if any(prefix.startswith(mine) for mine in actor_region_prefixes(actor)):
        return prefix, []
    return "", [_("只能限定在您管辖的区划范围内。")]


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    name: str,
    can_write: bool = False,
    region_prefix: str = "",
    expires_at: datetime.datetime | None = None,
    request=None,
) -> tuple[ApiToken, str]:
    """Create an API token acting as ``actor`` (ACC-4). Returns ``(token, secret)``: the secret
    is shown once; only its SHA-256 is stored. A token may be read-only and narrowed to a region
    inside the actor's scope. Creation is rate limited, and a token cannot create tokens."""
    if getattr(actor, "_zy_token", None) is not None:
        raise PermissionDenied(_("不能使用API令牌创建新的API令牌，请登录后在网页上操作。"))
    if not actor_has_role(actor, *API_TOKEN_ROLES):
        raise PermissionDenied(_("API令牌供管理员以及组织、站点管理员对接其他系统使用，您当前的角色无需创建令牌。"))
    fields: dict = {}
    name = str(name or "").strip()
    if not name:
        fields["name"] = [_("请填写令牌名称。")]
    elif len(name) > 100:
        fields["name"] = [_("名称不能超过100个字符。")]
    elif has_control_chars(name):
        fields["name"] = [_("名称包含无效字符。")]
    prefix, problems = _token_region_prefix(actor, region_prefix)
    if problems:
        fields["region_prefix"] = problems
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at)
        if expires_at <= timezone.now():
            fields["expires_at"] = [_("过期时间须晚于当前时间。")]
    if fields:
        raise DomainError("invalid", INVALID_DATA, fields=fields)
    rate = _setting("ZHIYUAN_API_TOKEN_CREATE_RATE", 10)
    if rate_limit_hit(f"token-create:{actor.pk}", rate, 3600):
        raise DomainError("rate_limited", _("创建API令牌过于频繁（每小时最多 %(n)d 个），请稍后再试。") % {"n": rate}, status=429)
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).exclude(expires_at__lte=timezone.now())
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise Conflict("too_many_tokens", _("有效的API令牌最多 %(n)d 个，请先吊销不用的令牌。") % {"n": MAX_ACTIVE_TOKENS})
    secret = TOKEN_SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        key_prefix=secret[:12],
        key_hash=token_hash(secret),
        can_write=bool(can_write),
        region_prefix=prefix,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="accounts.token.create",
        obj=token,
        request=request,
        detail={"name": name, "can_write": token.can_write, "region_prefix": prefix, "key_prefix": token.key_prefix},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int, request=None) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working at once (401)."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is not None:
        raise Conflict("already_revoked", _("该令牌已被吊销。"))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="accounts.token.revoke", obj=token, request=request, detail={"key_prefix": token.key_prefix})
    return token


def user_find_by_mobile(mobile: str) -> User | None:
    mobile = str(mobile or "").strip()
    if not MOBILE_RE.fullmatch(mobile):
        return None
    return User.objects.filter(mobile=mobile).first()

"""Account recovery (SPEC ACC-1; RULES "Security baseline": 等保 2.0 level 3 account management).

Who may help whom
    Platform admins help anyone but themselves. A region manager helps the people of their
    region: volunteers living there (the volunteers app tells where a person lives through a
    *person region provider*) and holders of roles bound there — region managers strictly below
    their own level, organization and station admins of objects inside it. Nobody outside that
    scope can be looked up: missing and out-of-scope answer alike (404).

What they may do, each audited
    * unlock a locked account (``account_unlock``);
    * issue a one-time password-reset code, shown once (``password_reset_code_issue``);
    * reset the second factor (``totp_reset_request``). For a region manager or platform admin
      this takes two people: one asks, another approves (``totp_reset_approve``).

Self-service
    A person asks for an SMS code for their mobile number (``recovery_sms_send``, rate-limited per
    number and per client address, the same answer whether or not the number has an account) and
    sets a new password with it, or with a manager's code (``recovery_password_reset``). Neither way turns off a second factor.

Secrets are random, stored as keyed hashes (``core.crypto.blind_index``), expire, and work once.
"""

import datetime
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.models import RecoveryCode, RoleAssignment, TotpResetRequest, User
from zhiyuan.accounts.ratelimit import rate_limit_hit
from zhiyuan.accounts.roles import TWO_FACTOR_ROLES, Role
from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_region_prefixes
from zhiyuan.accounts.services import MOBILE_RE, password_problems
from zhiyuan.core.audit import audit_record, client_ip
from zhiyuan.core.crypto import blind_index, mask_mobile
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.core.sms import SmsError, sms_send
from zhiyuan.regions.codes import region_prefix

SECRET_PURPOSE = "accounts.recovery"
CODE_INVALID = _("验证码错误或已过期，请重新获取。")

_person_region_providers: list[Callable] = []


def register_person_region_provider(provider: Callable) -> None:
    """``provider(user) -> iterable of 12-digit region codes`` where the person belongs (e.g.
    the volunteers app: the residence region of their volunteer profile)."""
    if provider not in _person_region_providers:
        _person_region_providers.append(provider)


def _secret_hash(secret: str) -> str:
    return blind_index(secret, purpose=SECRET_PURPOSE)


# --- who may help whom ------------------------------------------------------------------------------


def _held_roles(user: User) -> list[RoleAssignment]:
    return list(RoleAssignment.objects.filter(user=user, active=True).only("role", "region_code"))


def user_is_manager(user: User) -> bool:
    """Does ``user`` hold a role that must keep a second factor (region manager, platform admin)?"""
    return RoleAssignment.objects.filter(user=user, active=True, role__in=TWO_FACTOR_ROLES).exists()


def can_help(actor, user: User) -> bool:
    """May ``actor`` unlock, reset or look up ``user``'s account (module docstring)?"""
    if actor is None or user.pk == getattr(actor, "pk", None):
        return False
    if actor_is_platform_admin(actor):
        return True
    mine = actor_region_prefixes(actor)
    if not mine:
        return False
    regions: list[str] = []
    for a in _held_roles(user):
        if a.role == Role.PLATFORM_ADMIN:
            return False
        if a.role == Role.REGION_MANAGER:
            theirs = region_prefix(a.region_code)
            if not any(theirs.startswith(p) and theirs != p for p in mine):
                return False  # a peer, a superior, or elsewhere
        if a.region_code:
            regions.append(a.region_code)
    for provider in _person_region_providers:
        regions.extend(provider(user))
    return any(code.startswith(p) for code in regions for p in mine)


def require_helper(actor) -> None:
    """Only platform admins and region managers help with accounts (403 for anyone else)."""
    if actor is None or not (actor_is_platform_admin(actor) or actor_region_prefixes(actor)):
        raise PermissionDenied(_("只有平台管理员和区域管理员可以处理账号求助。"))


def account_is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


def account_get_for_help(*, actor, user_id=None, mobile: str | None = None) -> User:
    """The account ``actor`` may help, by id or by exact mobile number; 404 otherwise (missing
    and outside the scope look alike)."""
    require_helper(actor)
    user = None
    if mobile is not None:
        mobile = str(mobile).strip()
        if not MOBILE_RE.fullmatch(mobile):
            msg = _("请输入11位中国大陆手机号码。")
            raise DomainError("invalid", msg, fields={"mobile": [msg]})
        user = User.objects.filter(mobile=mobile).first()
    elif user_id is not None:
        user = User.objects.filter(pk=user_id).first()
    if user is None or not can_help(actor, user):
        raise NotFound(_("在您的管辖范围内没有找到该账号。"))
    return user


# --- manager actions --------------------------------------------------------------------------------


@transaction.atomic
def account_unlock(*, actor, user: User, request=None) -> User:
    """Clear a lockout (failed-login count and lock time)."""
    user = account_get_for_help(actor=actor, user_id=user.pk)
    was_locked = account_is_locked(user)
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    user.failed_logins, user.locked_until = 0, None
    audit_record(actor=actor, action="accounts.account.unlock", obj=user, request=request, detail={"was_locked": was_locked})
    return user


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def normalize_code(code) -> str:
    """A code as typed: spaces and hyphens dropped, letters upper-cased."""
    return "".join(ch for ch in str(code or "") if ch not in " -\t").upper()[:20]


@transaction.atomic
def password_reset_code_issue(*, actor, user: User, request=None) -> tuple[str, datetime.datetime]:
    """A one-time code (12 characters, shown to the manager once; only its hash is kept) that the
    person types on the recovery page with their mobile number to set a new password. Earlier
    unused codes a manager issued for the account stop working. A code rather than a link: a
    secret in a URL ends up in access logs and browser history."""
    user = account_get_for_help(actor=actor, user_id=user.pk)
    now = timezone.now()
    RecoveryCode.objects.filter(user=user, channel=RecoveryCode.Channel.MANAGER, used_at__isnull=True).update(used_at=now)
    code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(12))
    expires = now + datetime.timedelta(hours=settings.ZHIYUAN_PASSWORD_RESET_CODE_HOURS)
    RecoveryCode.objects.create(
        user=user,
        channel=RecoveryCode.Channel.MANAGER,
        secret_hash=_secret_hash(f"{user.pk}:{code}"),
        issued_by=actor,
        expires_at=expires,
    )
    audit_record(
        actor=actor, action="accounts.password.reset_code", obj=user, request=request, detail={"expires": expires.isoformat()}
    )
    return "-".join(code[i : i + 4] for i in range(0, 12, 4)), expires


def _password_set(*, user: User, new_password: str, code: RecoveryCode, request) -> None:
    new_password = str(new_password or "")
    problems = password_problems(user=user, new_password=new_password)
    if problems:
        raise DomainError("invalid", _("新密码不符合要求。"), fields={"new_password": problems})
    user.set_password(new_password)
    user.failed_logins, user.locked_until = 0, None
    user.save(update_fields=["password", "failed_logins", "locked_until"])
    code.used_at = timezone.now()
    code.save(update_fields=["used_at"])
    audit_record(
        actor=user,
        action="accounts.password.reset",
        obj=user,
        request=request,
        detail={"channel": code.channel, "issued_by": code.issued_by.audit_label if code.issued_by else ""},
    )


def _totp_clear(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(totp_enabled=False, totp_secret_sealed="", totp_last_step=0)
    user.totp_enabled, user.totp_secret_sealed, user.totp_last_step = False, "", 0


def _expire_stale_requests(user: User) -> None:
    limit = timezone.now() - datetime.timedelta(hours=settings.ZHIYUAN_TOTP_RESET_REQUEST_HOURS)
    TotpResetRequest.objects.filter(user=user, status=TotpResetRequest.Status.PENDING, created_at__lt=limit).update(
        status=TotpResetRequest.Status.CANCELLED
    )


@transaction.atomic
def totp_reset_request(*, actor, user: User, reason: str, request=None) -> TotpResetRequest:
    """Reset ``user``'s second factor. For a region manager or platform admin the reset waits for
    a second manager's approval (status ``pending``); anyone else's is reset at once (``done``).
    The person sets up a new authenticator at their next login."""
    user = account_get_for_help(actor=actor, user_id=user.pk)
    reason = str(reason or "").strip()
    if not reason or len(reason) > 200:
        msg = _("请填写原因（200字以内）。")
        raise DomainError("invalid", msg, fields={"reason": [msg]})
    if not user.totp_enabled:
        raise Conflict("totp_not_enabled", _("该账号尚未启用两步验证，无需重置。"))
    User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time per account
    _expire_stale_requests(user)
    if TotpResetRequest.objects.filter(user=user, status=TotpResetRequest.Status.PENDING).exists():
        raise Conflict("totp_reset_pending", _("该账号已有待复核的两步验证重置申请，请由另一位管理员复核。"))
    two_person = user_is_manager(user)
    req = TotpResetRequest.objects.create(
        user=user,
        reason=reason,
        requested_by=actor,
        status=TotpResetRequest.Status.PENDING if two_person else TotpResetRequest.Status.DONE,
        completed_at=None if two_person else timezone.now(),
    )
    if two_person:
        audit_record(actor=actor, action="accounts.totp.reset_request", obj=user, request=request, detail={"request": req.pk})
    else:
        _totp_clear(user=user)
        audit_record(actor=actor, action="accounts.totp.reset", obj=user, request=request, detail={"request": req.pk})
    return req


def totp_reset_request_get(*, actor, request_id: int) -> TotpResetRequest:
    req = TotpResetRequest.objects.select_related("user", "requested_by").filter(pk=request_id).first()
    if req is None or not can_help(actor, req.user):
        raise NotFound()
    return req


@transaction.atomic
def totp_reset_approve(*, actor, request_id: int, request=None) -> TotpResetRequest:
    """The second person approves a pending reset of a manager's second factor: not the one who
    asked, not the person concerned, and with the account inside their own scope."""
    req = totp_reset_request_get(actor=actor, request_id=request_id)
    req = TotpResetRequest.objects.select_for_update().select_related("user", "requested_by").get(pk=req.pk)
    _expire_stale_requests(req.user)
    req.refresh_from_db(fields=["status"])
    if req.status != TotpResetRequest.Status.PENDING:
        raise Conflict("totp_reset_not_pending", _("该申请已处理或已过期。"))
    if req.requested_by_id == actor.pk:
        raise PermissionDenied(_("重置管理员的两步验证需要另一位管理员复核，申请人不能自己复核。"))
    req.status, req.approved_by, req.completed_at = TotpResetRequest.Status.DONE, actor, timezone.now()
    req.save(update_fields=["status", "approved_by", "completed_at"])
    _totp_clear(user=req.user)
    audit_record(
        actor=actor,
        action="accounts.totp.reset",
        obj=req.user,
        request=request,
        detail={"request": req.pk, "requested_by": req.requested_by.audit_label},
    )
    return req


@transaction.atomic
def totp_reset_cancel(*, actor, request_id: int, request=None) -> TotpResetRequest:
    req = totp_reset_request_get(actor=actor, request_id=request_id)
    req = TotpResetRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != TotpResetRequest.Status.PENDING:
        raise Conflict("totp_reset_not_pending", _("该申请已处理或已过期。"))
    req.status = TotpResetRequest.Status.CANCELLED
    req.save(update_fields=["status"])
    audit_record(actor=actor, action="accounts.totp.reset_cancel", obj=req.user, request=request, detail={"request": req.pk})
    return req


def totp_reset_pending_for(*, actor) -> list[TotpResetRequest]:
    """Pending resets the actor may approve (asked by someone else, inside their scope)."""
    candidates = (
        TotpResetRequest.objects.select_related("user", "requested_by")
        .filter(status=TotpResetRequest.Status.PENDING)
        .exclude(requested_by=actor)
        .order_by("created_at")[:200]
    )
    limit = timezone.now() - datetime.timedelta(hours=settings.ZHIYUAN_TOTP_RESET_REQUEST_HOURS)
    return [r for r in candidates if r.created_at >= limit and can_help(actor, r.user)]


# --- self-service by SMS ----------------------------------------------------------------------------


def _rate_refused(message) -> DomainError:
    return DomainError("rate_limited", message, status=429)


def recovery_sms_send(*, mobile: str, request=None) -> None:
    """Send a 6-digit code to ``mobile`` when it has an active account. The answer is the same
    either way (no account enumeration); limits per number and per client address apply to
    both, and every request is audited with the number masked."""
    mobile = str(mobile or "").strip()
    if not MOBILE_RE.fullmatch(mobile):
        msg = _("请输入11位中国大陆手机号码。")
        raise DomainError("invalid", msg, fields={"mobile": [msg]})
    ip = client_ip(request) or "unknown"
    per_ip = settings.ZHIYUAN_RECOVERY_SMS_PER_IP_HOUR
    if rate_limit_hit(f"recovery-ip:{ip}", per_ip, 3600):
        raise _rate_refused(_("获取验证码过于频繁（每小时最多 %(n)d 次），请稍后再试。") % {"n": per_ip})
    per_mobile = settings.ZHIYUAN_RECOVERY_SMS_PER_MOBILE_HOUR
    if rate_limit_hit("recovery-mobile:" + blind_index(mobile, purpose=SECRET_PURPOSE), per_mobile, 3600):
        raise _rate_refused(_("该手机号获取验证码过于频繁（每小时最多 %(n)d 次），请稍后再试。") % {"n": per_mobile})
    user = User.objects.filter(mobile=mobile, is_active=True).first()
    if user is None:
        audit_record(
            actor=None,
            action="accounts.recovery.sms",
            object_type="accounts.user",
            result=AuditEntry.Result.FAILED,
            request=request,
            detail={"mobile": mask_mobile(mobile), "reason": "unknown_account"},
        )
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    minutes = settings.ZHIYUAN_RECOVERY_CODE_MINUTES
    with transaction.atomic():
        now = timezone.now()
        RecoveryCode.objects.filter(user=user, channel=RecoveryCode.Channel.SMS, used_at__isnull=True).update(used_at=now)
        RecoveryCode.objects.create(
            user=user,
            channel=RecoveryCode.Channel.SMS,
            secret_hash=_secret_hash(f"{user.pk}:{code}"),
            expires_at=now + datetime.timedelta(minutes=minutes),
        )
        detail = {"mobile": mask_mobile(mobile)}
        audit_record(actor=None, action="accounts.recovery.sms", obj=user, request=request, detail=detail)
    try:
        sms_send(mobile=mobile, template="recovery_code", params={"code": code, "minutes": minutes})
    except SmsError as exc:
        raise DomainError("sms_failed", _("短信发送失败，请稍后再试。"), status=503) from exc


def recovery_password_reset(*, mobile: str, code: str, new_password: str, request=None) -> User:
    """Set a new password with a code: the SMS code the person asked for, or the one-time code a
    manager issued. A wrong code counts against every open code of the account; after
    ``ZHIYUAN_RECOVERY_CODE_ATTEMPTS`` wrong tries a code is spent and a new one is needed. The
    lockout is cleared with the new password; a second factor stays as it was."""
    ip = client_ip(request) or "unknown"
    if rate_limit_hit(f"recovery-reset:{ip}", settings.ZHIYUAN_LOGIN_RATE, 60):
        raise _rate_refused(_("尝试过于频繁，请稍后再试。"))
    mobile, code = str(mobile or "").strip(), normalize_code(code)
    fields_error = DomainError("invalid_code", CODE_INVALID, fields={"code": [CODE_INVALID]})
    user = User.objects.filter(mobile=mobile, is_active=True).first() if MOBILE_RE.fullmatch(mobile) else None
    if user is None:
        raise fields_error
    with transaction.atomic():
        records = list(
            RecoveryCode.objects.select_for_update(of=("self",))
            .select_related("issued_by")
            .filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at")
        )
        wanted = _secret_hash(f"{user.pk}:{code}")
        for record in records:
            if record.secret_hash == wanted:
                _password_set(user=user, new_password=new_password, code=record, request=request)
                return user
        if not records:
            raise fields_error
        for record in records:
            record.attempts += 1
            if record.attempts >= settings.ZHIYUAN_RECOVERY_CODE_ATTEMPTS:
                record.used_at = timezone.now()
            record.save(update_fields=["attempts", "used_at"])
        audit_record(
            actor=None,
            action="accounts.recovery.code_failed",
            obj=user,
            result=AuditEntry.Result.FAILED,
            request=request,
            detail={"attempts": max(r.attempts for r in records)},
        )
    raise fields_error

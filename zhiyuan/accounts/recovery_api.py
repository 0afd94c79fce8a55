"""/api/v1/accounts — account recovery: self-service by SMS code (anonymous), and the managers'
account help (unlock, one-time reset code, second-factor reset with two-person approval).
Thin: parse → one service → schema. Accounts are found by exact mobile number with a POST, so
the number stays out of URLs and access logs."""

import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema

from zhiyuan.accounts import recovery
from zhiyuan.accounts.models import TotpResetRequest, User
from zhiyuan.core.api import ERRORS, ErrorOut, InSchema

router = Router(tags=["account recovery"])


class RecoverySmsIn(InSchema):
    mobile: str


class RecoveryResetIn(InSchema):
    mobile: str
    code: str
    new_password: str


class RecoveryDoneOut(Schema):
    detail: str


class AccountLookupIn(InSchema):
    mobile: str


class AccountHelpOut(Schema):
    id: int
    display_name: str
    mobile_masked: str
    is_active: bool
    locked: bool
    locked_until: datetime.datetime | None = None
    totp_enabled: bool
    is_manager: bool
    pending_totp_reset: int | None = None


class ResetCodeOut(Schema):
    code: str
    expires_at: datetime.datetime


class TotpResetIn(InSchema):
    reason: str


class TotpResetOut(Schema):
    id: int
    user_id: int
    status: str
    reason: str
    requested_by: str
    approved_by: str = ""
    created_at: datetime.datetime
    completed_at: datetime.datetime | None = None


def account_out(user: User) -> dict:
    pending = user.totp_reset_requests.filter(status=TotpResetRequest.Status.PENDING).values_list("pk", flat=True).first()
    return {
        "id": user.pk,
        "display_name": user.display_name,
        "mobile_masked": user.masked_mobile,
        "is_active": user.is_active,
        "locked": recovery.account_is_locked(user),
        "locked_until": user.locked_until if recovery.account_is_locked(user) else None,
        "totp_enabled": user.totp_enabled,
        "is_manager": recovery.user_is_manager(user),
        "pending_totp_reset": pending,
    }


def totp_reset_out(r: TotpResetRequest) -> dict:
    return {
        "id": r.pk,
        "user_id": r.user_id,
        "status": r.status,
        "reason": r.reason,
        "requested_by": r.requested_by.audit_label,
        "approved_by": r.approved_by.audit_label if r.approved_by else "",
        "created_at": r.created_at,
        "completed_at": r.completed_at,
    }


@router.post(
    "/recovery/sms", auth=None, response={202: RecoveryDoneOut, **ERRORS, 503: ErrorOut}, operation_id="send_recovery_code"
)
def send_recovery_code(request, payload: RecoverySmsIn):
    """Send a 6-digit password-reset code by SMS. The answer is the same whether or not the
    number has an account; limited per number and per client address (429)."""
    recovery.recovery_sms_send(mobile=payload.mobile, request=request)
    return 202, {"detail": _("如果该手机号已注册，验证码已通过短信发送，请在有效期内使用。")}


@router.post("/recovery/reset", auth=None, response={200: RecoveryDoneOut, **ERRORS}, operation_id="reset_password_with_code")
def reset_password_with_code(request, payload: RecoveryResetIn):
    """Set a new password with the SMS code or a manager's one-time reset code."""
    recovery.recovery_password_reset(
        mobile=payload.mobile, code=payload.code, new_password=payload.new_password, request=request
    )
    return 200, {"detail": _("密码已重置，请使用新密码登录。")}


@router.post("/help/lookup", response={200: AccountHelpOut, **ERRORS}, operation_id="find_account_for_help")
def find_account_for_help(request, payload: AccountLookupIn):
    """An account inside the caller's scope by exact mobile number (region managers, platform admins)."""
    return 200, account_out(recovery.account_get_for_help(actor=request.user, mobile=payload.mobile))


@router.get("/help/{user_id}", response={200: AccountHelpOut, **ERRORS}, operation_id="get_account_for_help")
def get_account_for_help(request, user_id: int):
    return 200, account_out(recovery.account_get_for_help(actor=request.user, user_id=user_id))


@router.post("/help/{user_id}/unlock", response={200: AccountHelpOut, **ERRORS}, operation_id="unlock_account")
def unlock_account(request, user_id: int):
    user = recovery.account_get_for_help(actor=request.user, user_id=user_id)
    return 200, account_out(recovery.account_unlock(actor=request.user, user=user, request=request))


@router.post("/help/{user_id}/reset-code", response={201: ResetCodeOut, **ERRORS}, operation_id="issue_password_reset_code")
def issue_password_reset_code(request, user_id: int):
    """A one-time password-reset code, returned once (only its hash is kept)."""
    user = recovery.account_get_for_help(actor=request.user, user_id=user_id)
    code, expires = recovery.password_reset_code_issue(actor=request.user, user=user, request=request)
    return 201, {"code": code, "expires_at": expires}


@router.post("/help/{user_id}/totp-reset", response={201: TotpResetOut, **ERRORS}, operation_id="request_totp_reset")
def request_totp_reset(request, user_id: int, payload: TotpResetIn):
    """Reset the second factor: at once for most people (status ``done``); for a region manager
    or platform admin a request (``pending``) that another manager approves."""
    user = recovery.account_get_for_help(actor=request.user, user_id=user_id)
    req = recovery.totp_reset_request(actor=request.user, user=user, reason=payload.reason, request=request)
    return 201, totp_reset_out(req)


@router.get("/totp-resets", response={200: list[TotpResetOut], **ERRORS}, operation_id="list_pending_totp_resets")
def list_pending_totp_resets(request):
    """Pending second-factor resets the caller may approve."""
    recovery.require_helper(request.user)
    return 200, [totp_reset_out(r) for r in recovery.totp_reset_pending_for(actor=request.user)]


@router.post("/totp-resets/{request_id}/approve", response={200: TotpResetOut, **ERRORS}, operation_id="approve_totp_reset")
def approve_totp_reset(request, request_id: int):
    return 200, totp_reset_out(recovery.totp_reset_approve(actor=request.user, request_id=request_id, request=request))


@router.post("/totp-resets/{request_id}/cancel", response={200: TotpResetOut, **ERRORS}, operation_id="cancel_totp_reset")
def cancel_totp_reset(request, request_id: int):
    return 200, totp_reset_out(recovery.totp_reset_cancel(actor=request.user, request_id=request_id, request=request))

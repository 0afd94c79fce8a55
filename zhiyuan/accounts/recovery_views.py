"""Account-recovery pages: self-service by SMS code (anonymous) and the managers' account-help
page (unlock, one-time reset code, second-factor reset with two-person approval). Thin: the
rules are in ``accounts.recovery``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from zhiyuan.accounts import recovery
from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.models import TotpResetRequest
from zhiyuan.accounts.recovery_forms import AccountLookupForm, RecoveryResetForm, RecoverySendForm, TotpResetForm
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_roles
from zhiyuan.accounts.views import domain_http
from zhiyuan.core.errors import DomainError

RECOVER_MOBILE_KEY = "zy_recover_mobile"


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def recover_start(request):
    """Step 1: the mobile number; an SMS code is sent when it has an account."""
    status = 200
    form = RecoverySendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recovery.recovery_sms_send(mobile=form.cleaned_data["mobile"], request=request)
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status if exc.status in (429, 503) else 200
        else:
            request.session[RECOVER_MOBILE_KEY] = form.cleaned_data["mobile"]
            messages.info(request, _("如果该手机号已注册，验证码已通过短信发送，请在有效期内使用。"))
            return redirect("accounts:recover_reset")
    return render(request, "accounts/recover_start.html", {"form": form}, status=status)


@sensitive_post_parameters("code", "new_password", "new_password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def recover_reset(request):
    """Step 2: the code (from the SMS, or the one a manager issued) and the new password."""
    status = 200
    if request.method == "POST":
        form = RecoveryResetForm(request.POST)
        if form.is_valid():
            try:
                recovery.recovery_password_reset(
                    mobile=form.cleaned_data["mobile"],
                    code=form.cleaned_data["code"],
                    new_password=form.cleaned_data["new_password"],
                    request=request,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = 429 if exc.status == 429 else 200
            else:
                request.session.pop(RECOVER_MOBILE_KEY, None)
                messages.success(request, _("密码已重置，请使用新密码登录。"))
                return redirect("accounts:login")
    else:
        form = RecoveryResetForm(initial={"mobile": request.session.get(RECOVER_MOBILE_KEY, "")})
    return render(request, "accounts/recover_reset.html", {"form": form}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@domain_http
def account_help(request):
    """A manager finds an account by exact mobile number (POST: the number stays out of URLs and
    access logs) and sees the second-factor resets waiting for their approval."""
    recovery.require_helper(request.user)
    form = AccountLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = recovery.account_get_for_help(actor=request.user, mobile=form.cleaned_data["mobile"])
        except DomainError as exc:
            if exc.status != 404:
                raise
            form.add_error("mobile", exc.message)
        else:
            return redirect("accounts:account_help_detail", user_id=user.pk)
    pending = recovery.totp_reset_pending_for(actor=request.user)
    return render(request, "accounts/account_help.html", {"form": form, "pending": pending})


def _detail_context(request, user, **extra) -> dict:
    pending = user.totp_reset_requests.filter(status=TotpResetRequest.Status.PENDING).select_related("requested_by").first()
    return {
        "account": user,
        "account_roles": sorted({str(Role(r.role).label) for r in actor_roles(user)}),
        "is_manager": recovery.user_is_manager(user),
        "locked": recovery.account_is_locked(user),
        "pending": pending,
        "can_approve": pending is not None and pending.requested_by_id != request.user.pk,
        "totp_form": TotpResetForm(),
        **extra,
    }


@login_required
@never_cache
@require_http_methods(["GET"])
@domain_http
def account_help_detail(request, user_id: int):
    user = recovery.account_get_for_help(actor=request.user, user_id=user_id)
    return render(request, "accounts/account_help_detail.html", _detail_context(request, user))


@login_required
@never_cache
@require_POST
@domain_http
def account_help_action(request, user_id: int, action: str):
    """unlock | reset-code | totp-reset | totp-approve | totp-cancel on one account."""
    user = recovery.account_get_for_help(actor=request.user, user_id=user_id)
    extra: dict = {}
    try:
        if action == "unlock":
            recovery.account_unlock(actor=request.user, user=user, request=request)
            messages.success(request, _("账号已解锁。"))
        elif action == "reset-code":
            code, expires = recovery.password_reset_code_issue(actor=request.user, user=user, request=request)
            # Shown once, in this response only (never stored, never in a redirect URL).
            return render(
                request,
                "accounts/account_help_detail.html",
                _detail_context(request, user, issued_code=code, issued_expires=expires),
            )
        elif action == "totp-reset":
            form = TotpResetForm(request.POST)
            if not form.is_valid():
                return render(request, "accounts/account_help_detail.html", _detail_context(request, user, totp_form=form))
            req = recovery.totp_reset_request(actor=request.user, user=user, reason=form.cleaned_data["reason"], request=request)
            if req.status == TotpResetRequest.Status.PENDING:
                messages.info(request, _("已提交两步验证重置申请，需由另一位管理员复核后生效。"))
            else:
                messages.success(request, _("两步验证已重置，该用户下次登录时需重新设置。"))
        elif action in ("totp-approve", "totp-cancel"):
            pending = user.totp_reset_requests.filter(status=TotpResetRequest.Status.PENDING).first()
            if pending is None:
                raise DomainError("totp_reset_not_pending", _("该申请已处理或已过期。"), status=409)
            if action == "totp-approve":
                recovery.totp_reset_approve(actor=request.user, request_id=pending.pk, request=request)
                messages.success(request, _("已复核，两步验证已重置。"))
            else:
                recovery.totp_reset_cancel(actor=request.user, request_id=pending.pk, request=request)
                messages.info(request, _("已取消重置申请。"))
        else:
            raise DomainError("not_found", _("对象不存在或无权访问。"), status=404)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        extra["action_error"] = exc.message
        return render(request, "accounts/account_help_detail.html", _detail_context(request, user, **extra), status=exc.status)
    return redirect("accounts:account_help_detail", user_id=user.pk)

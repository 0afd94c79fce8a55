"""Pages of the accounts app: login (with the TOTP step), logout, TOTP set-up, account settings,
API tokens, role management and the audit log. Thin: every rule is in ``services``/``selectors``."""

import datetime
import functools
import io
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts import selectors, services
from zhiyuan.accounts.forms import (
    ApiTokenForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RevokeForm,
    RoleGrantForm,
    TotpCodeForm,
    TotpDisableForm,
    apply_domain_error,
)
from zhiyuan.accounts.lists import AUDIT, ROLES, TOKENS
from zhiyuan.accounts.models import User
from zhiyuan.accounts.permissions import can_manage_roles, can_read_audit
from zhiyuan.accounts.roles import API_TOKEN_ROLES, REGION_SCOPED_ROLES, TWO_FACTOR_ROLES, Role
from zhiyuan.accounts.scopes import (
    actor_has_role,
    actor_is_platform_admin,
    actor_region_prefixes,
    actor_roles,
    role_object_get,
    role_object_picker,
)
from zhiyuan.core.audit import audit_record, audit_verify
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import excel_safe, list_export_response, list_page
from zhiyuan.core.models import AuditEntry
from zhiyuan.core.picker import picker_results
from zhiyuan.regions.models import Region

PENDING_KEY = "zy_login_pending"
PENDING_SECONDS = 5 * 60  # the half-authenticated state (password ok, code not yet) expires
MAX_EXPORT_ROWS = 50_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def domain_http(view):
    """Selectors and services raise NotFound / PermissionDenied; pages answer 404 / 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(str(exc.message)) from None
            if exc.status == 403:
                raise DjangoPermissionDenied(str(exc.message)) from None
            raise

    return wrapper


def safe_next(request, value) -> str:
    """Only a path on this site (no open redirect through ``?next=``)."""
    value = str(value or "")[:2000]
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return value
    return ""


def xlsx_response(filename: str, title: str, header: list, rows) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append([str(h) for h in header])
    for n, row in enumerate(rows):
        if n >= MAX_EXPORT_ROWS:
            ws.append([_("（仅导出前 %(n)d 行，请缩小筛选范围）") % {"n": MAX_EXPORT_ROWS}])
            break
        ws.append([excel_safe(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(buf.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- login / logout -----------------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Mobile number + password; with TOTP enabled, a second page asks for the code."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    status = 200
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            try:
                user = services.login_attempt(
                    request=request, mobile=form.cleaned_data["mobile"], password=form.cleaned_data["password"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = 429 if exc.status == 429 else 200
            else:
                if user.totp_enabled:
                    request.session.cycle_key()
                    request.session[PENDING_KEY] = {"uid": user.pk, "at": time.time(), "next": next_url}
                    return redirect("accounts:login_totp")
                auth_login(request, user)
                return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    else:
        form = LoginForm()
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


def _pending_user(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, {}
    if time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, {}
    return User.objects.filter(pk=pending.get("uid"), is_active=True, totp_enabled=True).first(), pending


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_totp(request):
    """Second step of the login: the 6-digit code. The state from the first step lives in the
    session for five minutes; after that the user starts again."""
    user, pending = _pending_user(request)
    if user is None:
        messages.error(request, _("验证已超时，请重新输入手机号和密码。"))
        return redirect("accounts:login")
    status = 200
    if request.method == "POST":
        form = TotpCodeForm(request.POST)
        if form.is_valid():
            try:
                services.login_totp(request=request, user=user, code=form.cleaned_data["code"])
            except DomainError as exc:
                if exc.code == "account_locked":
                    request.session.pop(PENDING_KEY, None)
                    messages.error(request, exc.message)
                    return redirect("accounts:login")
                form.add_error("code", exc.message)
                status = 429 if exc.status == 429 else 200
            else:
                request.session.pop(PENDING_KEY, None)
                auth_login(request, user)
                return redirect(safe_next(request, pending.get("next")) or settings.LOGIN_REDIRECT_URL)
    else:
        form = TotpCodeForm()
    return render(request, "accounts/login_totp.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request):
    """POST signs out (a GET only shows the button: a link or an image must not sign anyone out)."""
    if request.method == "POST":
        if request.user.is_authenticated:
            audit_record(actor=request.user, action="accounts.logout", obj=request.user, request=request)
        auth_logout(request)
        messages.info(request, _("您已安全退出。"))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "accounts/logout.html")


# --- TOTP set-up ----------------------------------------------------------------------------------


def _qr_svg(uri: str) -> str:
    import segno

    # segno draws the data as path geometry; no caller text reaches the markup.
    return mark_safe(segno.make(uri, error="m").svg_inline(scale=5, dark="#1f2328"))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def totp_setup(request):
    """Scan the QR code (or type the secret), then confirm with a code. Region managers and
    platform admins are sent here by the middleware until this is done (``?required=1``)."""
    user = request.user
    required = request.GET.get("required") == "1" or (not user.totp_enabled and actor_has_role(user, *TWO_FACTOR_ROLES))
    if user.totp_enabled:
        return render(request, "accounts/totp_setup.html", {"enabled": True, "required": False})
    form = TotpCodeForm()
    if request.method == "POST" and request.POST.get("action") == "regenerate":
        services.totp_begin(user=user)
        messages.info(request, _("已生成新的密钥，请重新扫描二维码。"))
        return redirect(request.get_full_path())
    if request.method == "POST":
        form = TotpCodeForm(request.POST)
        if form.is_valid():
            try:
                services.totp_confirm(user=user, code=form.cleaned_data["code"], request=request)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("两步验证已启用。以后登录时，请在输入密码后输入验证器上的6位验证码。"))
                return redirect("accounts:settings")
    if not user.totp_secret_sealed:
        services.totp_begin(user=user)
    secret = services.totp_secret(user=user)
    uri = services.totp_uri(user=user)
    context = {
        "enabled": False,
        "required": required,
        "form": form,
        "qr_svg": _qr_svg(uri),
        "secret_grouped": _grouped(secret),
        "issuer": settings.ZHIYUAN_TOTP_ISSUER,
    }
    return render(request, "accounts/totp_setup.html", context)


# --- account settings -------------------------------------------------------------------------------


@sensitive_post_parameters("old_password", "new_password", "new_password2", "password")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_settings(request):
    """Profile (display name, e-mail), password change, second-factor status."""
    user = request.user
    profile_form = ProfileForm(initial={"display_name": user.display_name, "email": user.email})
    password_form = PasswordChangeForm()
    disable_form = TotpDisableForm()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "profile":
        profile_form = ProfileForm(request.POST)
        if profile_form.is_valid():
            try:
                services.profile_update(user=user, request=request, **profile_form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(profile_form, exc)
            else:
                messages.success(request, _("个人信息已保存。"))
                return redirect("accounts:settings")
    elif action == "password":
        password_form = PasswordChangeForm(request.POST)
        if password_form.is_valid():
            try:
                services.password_change(
                    user=user,
                    old_password=password_form.cleaned_data["old_password"],
                    new_password=password_form.cleaned_data["new_password"],
                    request=request,
                )
            except DomainError as exc:
                apply_domain_error(password_form, exc)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("密码已修改。"))
                return redirect("accounts:settings")
    elif action == "totp_disable":
        disable_form = TotpDisableForm(request.POST)
        if disable_form.is_valid():
            try:
                services.totp_disable(user=user, password=disable_form.cleaned_data["password"], request=request)
            except DomainError as exc:
                apply_domain_error(disable_form, exc)
            else:
                messages.success(request, _("两步验证已关闭。"))
                return redirect("accounts:settings")
    elif action == "notifications":
        _notification_preferences_save(request)
        return redirect(reverse("accounts:settings") + "#notifications")
    roles = [_role_display(r) for r in actor_roles(user)]
    context = {
        "notice_preferences": _notification_preferences(user),
        "profile_form": profile_form,
        "password_form": password_form,
        "disable_form": disable_form,
        "roles": roles,
        "totp_required": actor_has_role(user, *TWO_FACTOR_ROLES),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/account_settings.html", context, status=status)


def _notification_preferences(user) -> list[dict]:
    """The rows of the settings page's 通知设置: each topic with its e-mail and SMS choice."""
    from zhiyuan.core.notifications import notice_topics, preferences_of

    prefs = preferences_of(user)
    return [{"topic": t, "email": prefs[t.key]["email"], "sms": prefs[t.key]["sms"]} for t in notice_topics()]


def _notification_preferences_save(request) -> None:
    """A checkbox left unticked is not posted: every topic gets exactly what the form shows."""
    from zhiyuan.core.notifications import notice_topics, notification_preferences_set

    choices = {
        t.key: {"email": f"email:{t.key}" in request.POST, "sms": bool(t.sms_template) and f"sms:{t.key}" in request.POST}
        for t in notice_topics()
    }
    notification_preferences_set(actor=request.user, choices=choices)
    messages.success(request, _("通知设置已保存。"))


def _role_display(ref) -> dict:
    label = Role(ref.role).label if ref.role in Role.values else ref.role
    region = ""
    if ref.region_prefix:
        r = Region.objects.filter(code=ref.region_prefix.ljust(12, "0")).only("full_name").first()
        region = r.full_name if r else ref.region_prefix
    object_name = ""
    if ref.object_id is not None:
        try:
            found = role_object_get(ref.role, ref.object_id)
        except LookupError:  # no app resolves this role's objects
            found = None
        object_name = found.name if found else ""
    return {"role": ref.role, "label": label, "region": region, "object_id": ref.object_id, "object_name": object_name}


# --- API tokens -------------------------------------------------------------------------------------


def _token_form(request, data=None):
    form = ApiTokenForm(data)
    if not actor_has_role(request.user, *REGION_SCOPED_ROLES):
        del form.fields["region_prefix"]  # an organization's or station's admin has no region to narrow to
        return form
    prefixes = actor_region_prefixes(request.user)
    if len(prefixes) == 1 and not actor_is_platform_admin(request.user):
        form.fields["region_prefix"].set_root(prefixes[0])
    return form


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The user's API tokens; a new token's secret is shown once, in this response only."""
    form = _token_form(request)
    created = None
    status = 200
    if request.method == "POST":
        form = _token_form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            expires_at = None
            if data["lifetime"]:
                expires_at = timezone.now() + datetime.timedelta(days=int(data["lifetime"]))
            try:
                token, secret = services.api_token_create(
                    actor=request.user,
                    name=data["name"],
                    can_write=data["can_write"],
                    region_prefix=data.get("region_prefix", ""),
                    expires_at=expires_at,
                    request=request,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status if exc.status in (403, 409, 429) else 400
            else:
                created = {"token": token, "secret": secret}
                form = _token_form(request)
        else:
            status = 400
    extra = {
        "form": form,
        "created": created,
        "can_create": actor_has_role(request.user, *API_TOKEN_ROLES),
        "region_scoped": actor_has_role(request.user, *REGION_SCOPED_ROLES),
        "row_attr": "data-token",
        "list_id": "tokens",
    }
    return list_page(request, TOKENS, "accounts/api_tokens.html", extra=extra, status=status)


@login_required
@require_POST
@domain_http
def api_token_revoke(request, token_id: int):
    try:
        token = services.api_token_revoke(actor=request.user, token_id=token_id, request=request)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("令牌“%(name)s”已吊销。") % {"name": token.name})
    return redirect("accounts:tokens")


# --- role management ------------------------------------------------------------------------------------


def _require_role_manager(request):
    if not can_manage_roles(request.user):
        raise DjangoPermissionDenied


def _region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))


def _export(request, spec, page: str):
    """``list_export_response``; invalid filters go back to the list page, which names them."""
    try:
        return list_export_response(request, spec)
    except DomainError as exc:
        if exc.status != 422:
            raise
        messages.error(request, exc.message)
        query = request.GET.urlencode()
        return redirect(reverse(page) + (f"?{query}" if query else ""))


@login_required
@require_GET
@domain_http
def role_list(request):
    """Role assignments inside the actor's scope (``lists.ROLES``): search, filters, keyset pages,
    cards on a phone, Excel export."""
    _require_role_manager(request)
    extra = {"can_grant": bool(services.grantable_roles(request.user)), "row_attr": "data-assignment", "list_id": "roles"}
    return list_page(request, ROLES, "accounts/role_list.html", extra=extra)


@login_required
@require_GET
@domain_http
def role_export(request):
    """The filtered list as .xlsx, streamed (masked, formula-safe, capped, audited once as
    ``accounts.role.export``)."""
    _require_role_manager(request)
    return _export(request, ROLES, "accounts:roles")


def _grant_form(request, data=None) -> RoleGrantForm:
    prefixes = actor_region_prefixes(request.user)
    root = prefixes[0] if len(prefixes) == 1 and not actor_is_platform_admin(request.user) else None
    return RoleGrantForm(data, roles=services.grantable_roles(request.user), root=root, actor=request.user)


def _grant_error(form: RoleGrantForm, exc: DomainError, *, role: str) -> None:
    """Show the service's message about the object on the picker the role uses."""
    picker = form.object_field(role)
    if picker and "object_id" in exc.fields:
        fields = {(picker if k == "object_id" else k): v for k, v in exc.fields.items()}
        exc = DomainError(exc.code, exc.message, fields=fields, status=exc.status)
    apply_domain_error(form, exc)


@login_required
@require_GET
def role_object_options(request):
    """The grant form's picker results (htmx): organizations or service points, by ``role``,
    that the actor may see; only for roles the actor may grant."""
    _require_role_manager(request)
    role = request.GET.get("role", "")
    find = role_object_picker(role)
    if find is None or role not in services.grantable_roles(request.user):
        raise Http404
    return picker_results(request, functools.partial(find, actor=request.user))


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def role_grant(request):
    """Grant a role to a registered user found by mobile number."""
    _require_role_manager(request)
    if not services.grantable_roles(request.user):
        raise DjangoPermissionDenied
    form = _grant_form(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            user = services.user_find_by_mobile(data["mobile"])
            if user is None:
                form.add_error("mobile", _("未找到该手机号对应的用户，请先让其注册账号。"))
            else:
                try:
                    assignment = services.role_grant(
                        actor=request.user,
                        user=user,
                        role=data["role"],
                        region_code=data["region_code"],
                        object_id=data["object_id"],
                        request=request,
                    )
                except DomainError as exc:
                    _grant_error(form, exc, role=data["role"])
                    status = exc.status
                else:
                    messages.success(
                        request,
                        _("已为%(user)s授予“%(role)s”角色。") % {"user": user.audit_label, "role": assignment.get_role_display()},
                    )
                    return redirect("accounts:role_detail", assignment_id=assignment.pk)
    return render(request, "accounts/role_grant.html", {"form": form}, status=status)


@login_required
@require_GET
@domain_http
def role_detail(request, assignment_id: int):
    assignment = selectors.role_assignment_get(actor=request.user, id=assignment_id)
    assignment.region_name = _region_names([assignment.region_code]).get(assignment.region_code, "")
    assignment.object_name = _object_name(assignment)
    can_revoke = assignment.active and services.can_manage_assignment(
        request.user, role=assignment.role, region_code=assignment.region_code
    )
    return render(
        request,
        "accounts/role_detail.html",
        {"assignment": assignment, "can_revoke": can_revoke, "revoke_form": RevokeForm()},
    )


def _object_name(assignment) -> str:
    """The name of the organization or service point an object role is bound to ("" if none)."""
    if assignment.role not in services.OBJECT_ROLES or not assignment.object_id:
        return ""
    try:
        target = role_object_get(assignment.role, assignment.object_id)
    except LookupError:
        return ""
    return target.name if target else ""


@login_required
@require_POST
@domain_http
def role_revoke(request, assignment_id: int):
    """Revoke after an explicit confirmation; 404 outside the scope, 403 when visible but not
    the actor's to revoke."""
    assignment = selectors.role_assignment_get(actor=request.user, id=assignment_id)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.role_revoke(actor=request.user, assignment=assignment, request=request)
        except DomainError as exc:
            if exc.status == 403:
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("角色已撤销。"))
            return redirect("accounts:role_detail", assignment_id=assignment.pk)
    assignment.region_name = _region_names([assignment.region_code]).get(assignment.region_code, "")
    assignment.object_name = _object_name(assignment)
    can_revoke = assignment.active and services.can_manage_assignment(
        request.user, role=assignment.role, region_code=assignment.region_code
    )
    return render(
        request,
        "accounts/role_detail.html",
        {"assignment": assignment, "can_revoke": can_revoke, "revoke_form": form},
        status=400,
    )


# --- audit log ----------------------------------------------------------------------------------------------


def _require_platform_admin(request):
    if not actor_is_platform_admin(request.user):
        raise DjangoPermissionDenied


def _require_audit_reader(request):
    if not can_read_audit(request.user):
        raise DjangoPermissionDenied


def _audit_extra(request) -> dict:
    return {"can_verify": actor_is_platform_admin(request.user), "row_attr": "data-entry", "list_id": "audit"}


@login_required
@require_GET
@domain_http
def audit_list(request):
    """The audit log (``lists.AUDIT``): platform admins all of it, region managers their region's
    entries (ACC-3); filters, keyset pages, Excel export; chain verification for platform admins."""
    _require_audit_reader(request)
    return list_page(request, AUDIT, "accounts/audit_list.html", extra=_audit_extra(request))


@login_required
@require_GET
@domain_http
def audit_export(request):
    """The filtered log as .xlsx, streamed (audited once as ``accounts.audit.export``)."""
    _require_audit_reader(request)
    return _export(request, AUDIT, "accounts:audit")


@login_required
@require_POST
@domain_http
def audit_verify_view(request):
    """Walk the hash chain now and show the result (htmx fragment, or the full page)."""
    _require_platform_admin(request)
    checked, broken, why = audit_verify()
    audit_record(
        actor=request.user,
        action="accounts.audit.verify",
        object_type="core.auditentry",
        result=AuditEntry.Result.OK if not why else AuditEntry.Result.FAILED,
        request=request,
        detail={"checked": checked, "broken_id": broken.id if broken else None},
    )
    context = {"checked": checked, "broken": broken, "why": why, "verified": True}
    if getattr(request, "htmx", False):
        return render(request, "accounts/partials/_audit_verify.html", context)
    return list_page(request, AUDIT, "accounts/audit_list.html", extra={**_audit_extra(request), **context})

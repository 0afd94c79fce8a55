"""Pages for the person: registration, profile, e-card, privacy and rights. Thin: each view
calls the same services as the API (STYLE.md). Manager pages live in ``views_manage.py``."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.ratelimit import rate_limit_hit
from zhiyuan.core.audit import client_ip
from zhiyuan.core.errors import DomainError
from zhiyuan.core.maps import map_config
from zhiyuan.volunteers import availability, code_tables, documents, minors
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.forms import (
    CorrectionForm,
    PhotoForm,
    ProfileForm,
    ReasonForm,
    RegistrationForm,
    apply_domain_error,
)
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.numbers import format_volunteer_no
from zhiyuan.volunteers.selectors import privacy_notice_current, region_full_name, volunteer_for, volunteer_or_none
from zhiyuan.volunteers.services.card import CARD_TOKEN_TTL, star_level_label, star_level_of
from zhiyuan.volunteers.texts import OATH_TEXT

REGISTER_RATE = 20  # POSTs per client address per hour (also limits probing which numbers are registered)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _guardian_needed(form) -> bool:
    """Show the guardian fields open when the submitted birth date (from the document number
    or the date field) makes the person a minor, or when the service asked for them."""
    if any(k.startswith("guardian") for k in form.errors):
        return True
    data = form.data
    birth = None
    try:
        doc = documents.document_parse(data.get("id_type", ""), (data.get("id_number") or "")[:64])
        birth = getattr(doc, "birth_date", None)
    except (DomainError, ImportError):
        birth = None
    if birth is None:
        from zhiyuan.volunteers.validation import clean_date

        birth, _err = clean_date(data.get("birth_date"), label="")
    return minors.is_minor_birth(birth)


def _add_service_errors(form, *, existing_user) -> None:
    """When the form itself refused something (two passwords differ, an unknown document type),
    still run the registration rules over what was typed, so every problem is reported in one
    pass instead of one round per submit. Fields that already carry an error keep only it."""
    data = {**{k: form.data.get(k, "") for k in form.fields if k != "password2"}, **form.cleaned_data}
    data.pop("password2", None)
    for name in ("guardian_consent", "accept_privacy", "accept_oath"):
        data[name] = form.cleaned_data.get(name, False)
    try:
        svc.registration_validate(registration=svc.RegistrationInput(**data), existing_user=existing_user)
    except DomainError as exc:
        exc.fields = {k: v for k, v in exc.fields.items() if not form.errors.get(k)}
        if exc.fields:
            apply_domain_error(form, exc)


@never_cache
@require_http_methods(["GET", "POST"])
def volunteer_register_view(request):
    """VOL-1: registration for a visitor (login + volunteer in one transaction), or for a
    signed-in person who has no volunteer profile yet (no second login is created)."""
    if request.user.is_authenticated and volunteer_or_none(request.user) is not None:
        return redirect("volunteers:profile")
    with_account = not request.user.is_authenticated
    notice = privacy_notice_current()
    if request.method == "POST":
        form = RegistrationForm(request.POST, with_account=with_account)
        if rate_limit_hit(f"vol-register:{client_ip(request)}", REGISTER_RATE, 3600):
            form.is_valid()
            form.add_error(None, _("注册请求过于频繁，请稍后再试。"))
        elif form.is_valid():
            try:
                if with_account:
                    volunteer = svc.volunteer_register(actor=None, registration=form.service_input(), request=request)
                    login(request, volunteer.user, backend=settings.AUTHENTICATION_BACKENDS[0])
                else:
                    volunteer = svc.volunteer_register(
                        actor=request.user, user=request.user, registration=form.service_input(), request=request
                    )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("注册成功！您的志愿者编号是 %(no)s。") % {"no": format_volunteer_no(volunteer.volunteer_no)},
                )
                return redirect("volunteers:card")
        else:
            _add_service_errors(form, existing_user=None if with_account else request.user)
    else:
        form = RegistrationForm(
            initial={"privacy_version": notice.version if notice else "", "id_type": "111"}, with_account=with_account
        )
    context = {
        "form": form,
        "notice": notice,
        "oath_text": OATH_TEXT,
        "guardian_open": request.method == "POST" and _guardian_needed(form),
        "with_account": with_account,
    }
    return render(request, "volunteers/volunteer_register.html", context)


@require_POST
def register_guardian_partial(request):
    """htmx: re-render the guardian fieldset when the document number or birth date changes,
    open when they show a minor. Parses the number in memory only (nothing stored)."""
    form = RegistrationForm(request.POST, with_account=not request.user.is_authenticated)
    return render(request, "volunteers/partials/_guardian.html", {"form": form, "guardian_open": _guardian_needed(form)})


def privacy_notice_view(request):
    notice = privacy_notice_current()
    if notice is None:
        raise Http404
    return render(request, "volunteers/privacy_notice_detail.html", {"notice": notice, "oath_text": OATH_TEXT})


# --- the person's own pages ---------------------------------------------------------------


def _mine_or_register(request):
    v = volunteer_or_none(request.user)
    if v is None:
        messages.info(request, _("您还没有注册为志愿者，请先完成注册。"))
    return v


@never_cache
@login_required
@require_GET
def volunteer_profile(request):
    """VOL-4: my profile. The person sees their own full document number (behind a tap)."""
    v = _mine_or_register(request)
    if v is None:
        return redirect("volunteers:register")
    status = svc.consent_status(volunteer=v)
    context = {
        "v": v,
        "id_number": documents.document_unseal(v.id_number_sealed),
        "id_type_label": documents.id_type_label(v.id_type),
        "gender_label": code_tables.label("gender", v.gender),
        "age": minors.age_on(v.birth_date),
        "is_minor": minors.volunteer_is_minor(v),
        "region_name": region_full_name(v.region_code),
        "political_status": code_tables.label("political_status", v.political_status),
        "education": code_tables.label("education", v.education),
        "ethnicity": code_tables.label("ethnicity", v.ethnicity),
        "skills": [(code_tables.label("skill", s.code), s.detail) for s in v.skills.all()],
        "categories": [code_tables.label("service_category", c.code) for c in v.service_categories.all()],
        "availability": availability.describe(v.availability),
        "consent": status,
        "corrections": v.correction_requests.all()[:10],
    }
    return render(request, "volunteers/volunteer_profile.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def volunteer_profile_edit(request):
    v = _mine_or_register(request)
    if v is None:
        return redirect("volunteers:register")
    skill_details = {s.code: s.detail for s in v.skills.all()}
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                svc.volunteer_update_profile(actor=request.user, change=form.service_input(request.POST), request=request)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("个人资料已保存。"))
                return redirect("volunteers:profile")
        skill_details = {k[len("skill_detail_") :]: val for k, val in request.POST.items() if k.startswith("skill_detail_")}
        checked = set(request.POST.getlist("availability"))
    else:
        form = ProfileForm(
            initial={
                "political_status": v.political_status,
                "education": v.education,
                "ethnicity": v.ethnicity,
                "email": request.user.email,
                "region_code": v.region_code,
                "home_lat": v.home_lat if v.home_lat is not None else "",
                "home_lng": v.home_lng if v.home_lng is not None else "",
                "skills": list(skill_details),
                "service_categories": [c.code for c in v.service_categories.all()],
            }
        )
        checked = set(availability.keys_from_mask(v.availability))
    grid = [
        {**row, "slots": [{**s, "on": s["key"] in checked} for s in row["slots"]]} for row in availability.availability_grid(0)
    ]
    selected_skills = set(form["skills"].value() or [])
    skills = [
        {"code": c, "label": lbl, "checked": c in selected_skills, "detail": skill_details.get(c, "")}
        for c, lbl in code_tables.skill_choices()
    ]
    context = {
        "form": form,
        "v": v,
        "grid": grid,
        "skills": skills,
        "has_location": v.home_lat is not None,
        "map": map_config(),
    }
    return render(request, "volunteers/volunteer_profile_edit.html", context)


# --- e-card (VOL-8) -------------------------------------------------------------------------


def _qr_context(request, v: Volunteer) -> dict:
    import segno

    try:
        token, expires = svc.card_token_issue(actor=request.user)
    except DomainError as exc:
        return {"card_error": exc.message}
    url = request.build_absolute_uri(reverse("volunteers:card_verify")) + "?t=" + token
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#1f2328", light="#ffffff", border=2)
    return {"qr_svg": svg, "expires_at": expires, "ttl": CARD_TOKEN_TTL}


@never_cache
@login_required
@require_GET
def volunteer_card(request):
    v = _mine_or_register(request)
    if v is None:
        return redirect("volunteers:register")
    level = star_level_of(v)
    context = {
        "v": v,
        "star_label": star_level_label(level),
        "star_level": level,
        "photo_form": PhotoForm(),
        "region_name": region_full_name(v.region_code),
        **_qr_context(request, v),
    }
    return render(request, "volunteers/volunteer_card.html", context)


@never_cache
@login_required
@require_GET
def volunteer_card_qr(request):
    """htmx fragment: a fresh QR every minute (the token lives 3 minutes)."""
    v = volunteer_for(request.user)
    return render(request, "volunteers/partials/_card_qr.html", _qr_context(request, v))


@login_required
@require_POST
def volunteer_photo_upload(request):
    volunteer_for(request.user)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            svc.volunteer_set_photo(actor=request.user, upload=form.cleaned_data["photo"])
        except DomainError as exc:
            for m in exc.fields.get("photo", [exc.message]):
                messages.error(request, m)
        else:
            messages.success(request, _("照片已更新。"))
    else:
        for errs in form.errors.values():
            for m in errs:
                messages.error(request, m)
    return redirect("volunteers:card")


@never_cache
@login_required
@require_GET
def volunteer_photo(request, volunteer_no: str):
    """The photo, only for the person and for managers who may see them (never public: no
    MEDIA_URL is served). Restricted people's photos are not shown to anyone but themselves."""
    own = volunteer_or_none(request.user)
    if own is not None and own.volunteer_no == volunteer_no:
        v = own
    else:
        v = Volunteer.objects.visible_to(request.user).filter(volunteer_no=volunteer_no).first()
    if v is None or not v.photo or not default_storage.exists(v.photo.name):
        raise Http404
    content_type = "image/png" if v.photo.name.endswith(".png") else "image/jpeg"
    response = FileResponse(default_storage.open(v.photo.name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@never_cache
@require_GET
def card_verify(request):
    """What an organizer's phone camera opens from the QR code: masked identity and status.
    Someone not signed in (often a volunteer trying their own code) is told why a login is
    needed and gets a login link that comes back here; nothing about the card is shown."""
    if not request.user.is_authenticated:
        return render(request, "volunteers/card_verify.html", {"needs_login": True, "next": request.get_full_path()})
    token = request.GET.get("t", "")
    context = {}
    try:
        check = svc.card_token_verify(token=token)
    except DomainError as exc:
        context["error"] = exc.message
        context["error_code"] = exc.code
    else:
        full = Volunteer.objects.visible_to(request.user).filter(pk=check.volunteer.pk).exists()
        context["info"] = svc.card_public_info(check.volunteer, full_name=full)
    return render(request, "volunteers/card_verify.html", context)


# --- privacy and rights (VOL-6) -------------------------------------------------------------


@never_cache
@login_required
@require_GET
def consent_manage(request):
    v = _mine_or_register(request)
    if v is None:
        return redirect("volunteers:register")
    context = {
        "v": v,
        "consent": svc.consent_status(volunteer=v),
        "consents": v.consents.select_related("notice").all(),
        "guardians": v.guardian_consents.all(),
        "history": v.status_changes.all()[:20],
        "withdraw_form": ReasonForm(),
        "exit_form": ReasonForm(),
    }
    return render(request, "volunteers/consent_manage.html", context)


@login_required
@require_POST
def consent_accept_view(request):
    kind = request.POST.get("kind", "privacy")
    try:
        svc.consent_accept(actor=request.user, kind=kind, version=request.POST.get("version", ""), request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录您的同意。"))
    return redirect("volunteers:consents")


@login_required
@require_POST
def consent_withdraw_view(request):
    kind = request.POST.get("kind", "privacy")
    form = ReasonForm(request.POST)
    if kind == "privacy" and not form.is_valid():
        messages.error(request, _("撤回同意前请勾选确认。"))
        return redirect("volunteers:consents")
    try:
        svc.consent_withdraw(actor=request.user, kind=kind, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if kind == "privacy":
            messages.success(request, _("您已撤回同意。平台已停止处理您的个人信息，记录按法定期限保存。"))
        else:
            messages.success(request, _("已撤回位置信息同意并删除居住位置。"))
    return redirect("volunteers:consents")


@login_required
@require_POST
def volunteer_exit_view(request):
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写退出原因并勾选确认。"))
        return redirect("volunteers:consents")
    try:
        svc.volunteer_exit(actor=request.user, reason=form.cleaned_data["reason"], request=request)
    except DomainError as exc:
        for m in exc.fields.get("reason", [exc.message]):
            messages.error(request, m)
    else:
        messages.success(request, _("您已退出志愿者队伍。服务记录将继续保存，如需恢复请联系所在地管理部门。"))
    return redirect("volunteers:consents")


@never_cache
@login_required
@require_GET
def my_data_download(request, fmt: str):
    volunteer_for(request.user)
    if fmt == "xlsx":
        response = HttpResponse(svc.my_data_xlsx(actor=request.user, request=request), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="my-volunteer-data.xlsx"'
    else:
        import json

        body = json.dumps(svc.my_data(actor=request.user, request=request), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="my-volunteer-data.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def correction_create(request):
    v = _mine_or_register(request)
    if v is None:
        return redirect("volunteers:register")
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                svc.correction_request_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("更正申请已提交，管理人员核实后处理。"))
                return redirect("volunteers:profile")
    else:
        form = CorrectionForm(initial={"field": request.GET.get("field", "name")})
    return render(request, "volunteers/correction_create.html", {"form": form, "v": v})


@login_required
@require_POST
def correction_cancel(request, request_id: int):
    try:
        svc.correction_request_cancel(actor=request.user, request_id=request_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("更正申请已撤销。"))
    return redirect("volunteers:profile")


# --- manager fragment (used by the manager pages in views_manage.py) -------------------------


@never_cache
@login_required
@require_POST
def volunteer_reveal_id_partial(request, volunteer_id: int):
    """htmx: ``hx-post`` here from a manager page to show the unmasked document number once.
    Scoped (404 outside the scope, 403 for roles that see but may not manage) and audited
    ``volunteer.reveal_id`` by the service; the answer is never cached."""
    reason = (request.POST.get("reason") or "")[:10_000]
    try:
        number = svc.volunteer_reveal_id_number(actor=request.user, volunteer_id=volunteer_id, reason=reason, request=request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise Http404 if exc.status == 404 else PermissionDenied from None
        return render(request, "volunteers/partials/_revealed_id.html", {"error": exc.message}, status=400)
    response = render(request, "volunteers/partials/_revealed_id.html", {"number": number})
    response["Cache-Control"] = "no-store"
    return response

"""Pages of the insurance app (FUN-4): the policy list with expiry alerts, a policy with its
document and insured list, the list import and the cover check. Thin: every rule is in
``services``/``selectors``/``coverage``; phone first (lists through ``core.lists``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.views import domain_http
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_export_response, list_page
from zhiyuan.insurance import imports, selectors, services
from zhiyuan.insurance.coverage import insurance_covered
from zhiyuan.insurance.forms import CancelForm, CoverCheckForm, DocumentForm, InsuredImportForm, PolicyForm
from zhiyuan.insurance.lists import INSURED, POLICIES
from zhiyuan.insurance.permissions import can_manage_policy, can_use_insurance

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_user(request):
    if not can_use_insurance(request.user):
        raise DjangoPermissionDenied


@login_required
@require_GET
@domain_http
def policy_list(request):
    _require_user(request)
    expiring = list(selectors.policies_expiring(actor=request.user)[:20])
    return list_page(
        request,
        POLICIES,
        "insurance/policy_list.html",
        extra={"expiring": expiring, "expiry_days": selectors.expiry_days()},
    )


@login_required
@require_GET
@domain_http
def policy_export(request):
    _require_user(request)
    return list_export_response(request, POLICIES)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def policy_create(request):
    _require_user(request)
    form = PolicyForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                policy = services.policy_create(actor=request.user, data=dict(form.cleaned_data), request=request)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("保单已登记。"))
                return redirect("insurance:detail", policy_id=policy.pk)
    return render(request, "insurance/policy_form.html", {"form": form}, status=status)


def _detail(request, policy, *, status=200, **extra):
    can_manage = can_manage_policy(request.user, policy)
    return list_page(
        request,
        INSURED,
        "insurance/policy_detail.html",
        context={"policy": policy},
        status=status,
        extra={
            "policy": policy,
            "can_manage": can_manage,
            "import_form": extra.pop("import_form", None) or InsuredImportForm(),
            "document_form": extra.pop("document_form", None) or DocumentForm(),
            "cancel_form": extra.pop("cancel_form", None) or CancelForm(initial={"on": selectors.today()}),
            "list_id": "insured",
            **extra,
        },
    )


@login_required
@require_GET
@domain_http
def policy_detail(request, policy_id: int):
    policy = selectors.policy_get(actor=request.user, id=policy_id)
    return _detail(request, policy)


@login_required
@require_POST
@domain_http
def policy_cancel(request, policy_id: int):
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.policy_cancel(
                actor=request.user, policy=policy, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"], request=request
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记退保。"))
            return redirect("insurance:detail", policy_id=policy.pk)
    return _detail(request, policy, status=400, cancel_form=form)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def policy_document(request, policy_id: int):
    """GET: the decrypted document for whoever may see the policy (audited); never a public URL.
    POST: upload a new one (managers of the policy)."""
    if request.method == "GET":
        policy = selectors.policy_get(actor=request.user, id=policy_id)
        body = services.policy_document_read(actor=request.user, policy=policy, request=request)
        response = HttpResponse(body, content_type=policy.document_type or "application/octet-stream")
        ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(policy.document_type, "bin")
        response["Content-Disposition"] = f'attachment; filename="policy-{policy.pk}.{ext}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.policy_document_upload(actor=request.user, policy=policy, upload=form.cleaned_data["file"], request=request)
        except DomainError as exc:
            if exc.status == 403:
                raise
            form.add_error("file", exc.as_dict()["fields"].get("file", [str(exc.message)])[0])
        else:
            messages.success(request, _("保单文件已上传。"))
            return redirect("insurance:detail", policy_id=policy.pk)
    return _detail(request, policy, status=400, document_form=form)


@login_required
@require_POST
@domain_http
def insured_import(request, policy_id: int):
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    form = InsuredImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, policy, status=400, import_form=form)
    try:
        report = services.insured_import(
            actor=request.user,
            policy=policy,
            upload=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
            request=request,
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        form.add_error(None, exc.message)
        return _detail(request, policy, status=400, import_form=form)
    if report.ok and not form.cleaned_data["dry_run"]:
        messages.success(
            request,
            _("名单已导入：新增 %(added)s 人，已在名单中 %(already)s 人。") % {"added": report.added, "already": report.already},
        )
        return redirect("insurance:detail", policy_id=policy.pk)
    policy.refresh_from_db()
    return _detail(request, policy, status=200 if report.ok else 400, report=report, import_form=form)


@login_required
@require_GET
@domain_http
def insured_export(request, policy_id: int):
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    return list_export_response(request, INSURED, context={"policy": policy})


@login_required
@require_POST
@domain_http
def insured_remove(request, policy_id: int, person_id: int):
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    services.insured_remove(actor=request.user, policy=policy, person_id=person_id, request=request)
    messages.success(request, _("已移出名单。"))
    return redirect("insurance:detail", policy_id=policy.pk)


@login_required
@require_GET
def list_template(request):
    _require_user(request)
    response = HttpResponse(imports.list_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="insured-list-template.xlsx"'
    return response


@login_required
@require_GET
@domain_http
def cover_check(request):
    """「保险核验」: is this volunteer insured for this organization on this date? Yes, or no
    with the reason (``coverage.insurance_covered``)."""
    _require_user(request)
    form = CoverCheckForm(request.GET or None, actor=request.user)
    answer = volunteer = None
    status = 200
    if request.GET and form.is_valid():
        org = selectors.organization_for_cover(actor=request.user, id=form.cleaned_data["organization"])
        found = selectors.cover_check_volunteers(
            actor=request.user, organization=org, numbers=[form.cleaned_data["volunteer_no"].strip()]
        )
        if not found:
            form.add_error("volunteer_no", _("没有找到该志愿者，或您无权查询。"))
            status = 404
        else:
            volunteer = found[0]
            answer = insurance_covered(volunteer=volunteer, organization=org, on=form.cleaned_data["on"])
    elif request.GET:
        status = 400
    return render(request, "insurance/cover_check.html", {"form": form, "answer": answer, "volunteer": volunteer}, status=status)


@login_required
@require_GET
def holder_options(request):
    """Results of the organization pickers (htmx) on the register and cover-check forms:
    active organizations the actor manages, matching what was typed."""
    import functools

    from zhiyuan.accounts.scopes import MANAGE
    from zhiyuan.core.picker import picker_results
    from zhiyuan.organizations.picker import organization_options

    _require_user(request)
    return picker_results(request, functools.partial(organization_options, actor=request.user, action=MANAGE))

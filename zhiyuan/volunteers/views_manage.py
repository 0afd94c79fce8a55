"""Manager pages for volunteers (SPEC §0 scope rule, VOL-2, VOL-9, VOL-10): the scoped list with
search, filters, pages and Excel export; exact search by document number (POST only); the
detail page with status history, audited reveal and status change; bulk import.

Thin: rules live in ``selectors_manage``, ``services`` and ``imports``."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.views import domain_http, xlsx_response
from zhiyuan.core.audit import audit_record
from zhiyuan.core.crypto import mask_mobile
from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers import code_tables, imports, minors
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.documents import id_type_label
from zhiyuan.volunteers.forms_manage import DocumentSearchForm, ImportForm, StatusChangeForm, VolunteerFilterForm
from zhiyuan.volunteers.permissions import can_manage_volunteer, is_volunteer_manager
from zhiyuan.volunteers.selectors_manage import (
    can_list_volunteers,
    region_names,
    volunteer_find_by_document,
    volunteer_list,
    volunteer_manage_get,
)
from zhiyuan.volunteers.services.import_jobs import (
    import_job_get,
    import_job_list,
    import_job_report_xlsx,
    import_job_submit,
)
from zhiyuan.volunteers.services.manage import MANAGER_TRANSITIONS, status_history

GENDER_LABELS = {"1": gettext_lazy("男"), "2": gettext_lazy("女"), "9": gettext_lazy("未说明"), "0": gettext_lazy("未知")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_list(request):
    if not can_list_volunteers(request.user):
        raise DjangoPermissionDenied


def _require_import(request):
    if not is_volunteer_manager(request.user):
        raise DjangoPermissionDenied


def _decorate(volunteers) -> list:
    """Display values of a page of volunteers: masked mobile, age, labels, region name."""
    volunteers = list(volunteers)
    names = region_names(v.region_code for v in volunteers)
    for v in volunteers:
        v.region_name = names.get(v.region_code, v.region_code)
        v.mobile_masked = mask_mobile(v.user.mobile) if v.user_id else ""
        v.age = minors.age_on(v.birth_date)
        v.gender_label = GENDER_LABELS.get(v.gender, v.gender)
        v.id_type_label = id_type_label(v.id_type)
    return volunteers


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@sensitive_post_parameters("id_number")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def volunteer_manage_list(request):
    """GET: filtered, sorted, paginated list. POST: exact search by document number (the number
    travels in the body only and is not rendered back)."""
    _require_list(request)
    form = VolunteerFilterForm(request.GET or None, actor=request.user)
    doc_form = DocumentSearchForm()
    doc_results = None
    status = 200
    if request.method == "POST":
        doc_form = DocumentSearchForm(request.POST)
        if doc_form.is_valid():
            doc_results = _decorate(
                volunteer_find_by_document(
                    actor=request.user, number=doc_form.cleaned_data["id_number"], id_type=doc_form.cleaned_data["id_type"]
                )
            )
            doc_form = DocumentSearchForm(initial={"id_type": doc_form.cleaned_data["id_type"]})
        else:
            status = 400
    page = Paginator(volunteer_list(actor=request.user, filters=form.filters()), form.rows_per_page()).get_page(
        request.GET.get("page")
    )
    page.object_list = _decorate(page.object_list)
    context = {
        "form": form,
        "doc_form": doc_form,
        "doc_results": doc_results,
        "page": page,
        "query": _query_without_page(request),
        "can_import": is_volunteer_manager(request.user),
    }
    return render(request, "volunteers/manage/volunteer_list.html", context, status=status)


@login_required
@require_GET
@domain_http
def volunteer_manage_export(request):
    """The filtered list as .xlsx: masked document and mobile only; restricted people are not in
    ``visible_to`` at all. Audited with the filter and the row count."""
    _require_list(request)
    form = VolunteerFilterForm(request.GET or None, actor=request.user)
    filters = form.filters()
    qs = volunteer_list(actor=request.user, filters=filters).prefetch_related("skills", "service_categories")
    count = qs.count()
    audit_record(
        actor=request.user, action="volunteer.export", object_type="volunteers.volunteer", request=request,
        detail={"filters": filters.as_audit(), "count": count},
    )  # fmt: skip
    names = region_names(qs.values_list("region_code", flat=True).distinct().order_by())
    header = [
        _("志愿者编号"), _("姓名"), _("证件类型"), _("证件号码"), _("性别"), _("出生日期"), _("年龄"), _("手机号"),
        _("居住区划代码"), _("居住地"), _("政治面貌"), _("技能特长"), _("服务意向"), _("状态"), _("注册时间"),
    ]  # fmt: skip

    def row(v):
        return [
            v.volunteer_no,
            v.name,
            id_type_label(v.id_type),
            v.id_number_masked,
            str(GENDER_LABELS.get(v.gender, v.gender)),
            v.birth_date.isoformat() if v.birth_date else "",
            minors.age_on(v.birth_date) if v.birth_date else "",
            mask_mobile(v.user.mobile),
            v.region_code,
            names.get(v.region_code, ""),
            code_tables.label("political_status", v.political_status),
            _("、").join(code_tables.label("skill", s.code) for s in v.skills.all()),
            _("、").join(code_tables.label("service_category", c.code) for c in v.service_categories.all()),
            str(v.get_status_display()),
            timezone.localtime(v.registered_at).strftime("%Y-%m-%d %H:%M"),
        ]

    return xlsx_response("volunteers.xlsx", _("志愿者"), header, (row(v) for v in qs.iterator(chunk_size=2000)))


def _detail_context(request, v, *, status_form=None) -> dict:
    [v] = _decorate([v])
    allowed = sorted(MANAGER_TRANSITIONS.get(v.status, set()))
    form = status_form or StatusChangeForm()
    form.fields["to_status"].choices = [(s, label) for s, label in v.Status.choices if s in allowed]
    return {
        "v": v,
        "history": list(status_history(volunteer=v)),
        "can_manage": can_manage_volunteer(request.user, v),
        "status_form": form,
        "political_status": code_tables.label("political_status", v.political_status),
        "education": code_tables.label("education", v.education),
        "ethnicity": code_tables.label("ethnicity", v.ethnicity),
        "skills": [(code_tables.label("skill", s.code), s.detail) for s in v.skills.all()],
        "categories": [code_tables.label("service_category", c.code) for c in v.service_categories.all()],
        "is_minor": minors.volunteer_is_minor(v),
    }


@never_cache
@login_required
@require_GET
@domain_http
def volunteer_manage_detail(request, volunteer_id: int):
    _require_list(request)
    v = volunteer_manage_get(actor=request.user, volunteer_id=volunteer_id)
    return render(request, "volunteers/manage/volunteer_detail.html", _detail_context(request, v))


@login_required
@require_POST
@domain_http
def volunteer_manage_status(request, volunteer_id: int):
    """Suspend / reinstate / exit with a reason (VOL-9) through the audited service."""
    _require_list(request)
    v = volunteer_manage_get(actor=request.user, volunteer_id=volunteer_id)
    form = StatusChangeForm(request.POST)
    if form.is_valid():
        try:
            svc.volunteer_change_status(
                actor=request.user, volunteer_id=v.pk, to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"], request=request,
            )  # fmt: skip
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("志愿者状态已变更。"))
            return redirect("volunteers:volunteers_manage:detail", volunteer_id=v.pk)
    v = volunteer_manage_get(actor=request.user, volunteer_id=volunteer_id)
    return render(request, "volunteers/manage/volunteer_detail.html", _detail_context(request, v, status_form=form), status=400)


# --- bulk import (VOL-10) ---------------------------------------------------------------------------


@login_required
@require_GET
def volunteer_import_template(request):
    _require_import(request)
    response = HttpResponse(imports.import_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="volunteer-import-template.xlsx"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def volunteer_import(request):
    """Upload page with my recent import jobs. A valid upload becomes an import job
    (``services/import_jobs.py``: small files run at once, large ones on the background worker)
    and the browser goes on to the job's page, which follows its progress."""
    _require_import(request)
    form = ImportForm(request.POST or None, request.FILES or None, initial={"client_id": uuid.uuid4().hex})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            dry_run = request.POST.get("action") != "import"
            mode = imports.mode_of(dry_run=dry_run, valid_only=form.cleaned_data["valid_only"])
            # The form's id names this submit; with the mode, so "check" then "import" of one form are two jobs.
            client_id = f"{form.cleaned_data['client_id']}:{mode}" if form.cleaned_data["client_id"] else ""
            try:
                try:
                    job, _created = import_job_submit(
                        actor=request.user, upload=form.cleaned_data["file"], mode=mode, client_id=client_id, request=request
                    )
                except DomainError as exc:
                    if exc.code != "client_id_reused":
                        raise
                    # A form restored by the browser's back button, sent with another file: a new submit.
                    job, _created = import_job_submit(actor=request.user, upload=form.cleaned_data["file"], mode=mode,
                                                      request=request)  # fmt: skip
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                apply_domain_error(form, exc)
            else:
                return redirect("volunteers:volunteers_manage:import_job", job_id=job.pk)
    context = {
        "form": form,
        "jobs": import_job_list(actor=request.user)[:10],
        "max_rows": imports.max_rows(),
        "max_mb": settings.ZHIYUAN_IMPORT_MAX_UPLOAD_MB,
    }
    return render(request, "volunteers/manage/volunteer_import.html", context, status=status)


IMPORT_ERRORS_PER_PAGE = 50
QUEUE_WARN_SECONDS = 60


@never_cache
@login_required
@require_GET
@domain_http
def volunteer_import_job(request, job_id: int):
    """An import job: progress while it runs (the htmx fragment polls itself every 2 s and stops
    when the job has finished), then the report: counts, file-level problems, the errors per row
    (paged) and the Excel download; a check that passed shows masked preview rows."""
    job = import_job_get(actor=request.user, job_id=job_id)
    errors = Paginator(job.errors.only("row", "field", "message"), IMPORT_ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    waited = (timezone.now() - job.created_at).total_seconds()
    context = {
        "job": job,
        "errors": errors,
        "queue_warning": job.status == job.Status.QUEUED and waited > QUEUE_WARN_SECONDS,
    }
    if request.htmx:
        return render(request, "volunteers/manage/partials/_import_job.html", context)
    return render(request, "volunteers/manage/import_job_detail.html", context)


@never_cache
@login_required
@require_GET
@domain_http
def volunteer_import_job_report(request, job_id: int):
    """The job's report as .xlsx (row, field, message; summary sheet)."""
    job = import_job_get(actor=request.user, job_id=job_id)
    response = HttpResponse(import_job_report_xlsx(job=job), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="volunteer-import-{job.pk}-report.xlsx"'
    response["Cache-Control"] = "no-store"
    return response

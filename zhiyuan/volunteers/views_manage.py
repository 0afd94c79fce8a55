"""Manager pages for volunteers (SPEC §0 scope rule, VOL-2, VOL-9, VOL-10): the scoped list with
search, filters, pages and Excel export; exact search by document number (POST only); the
detail page with status history, audited reveal and status change; bulk import.

Thin: rules live in ``selectors``, ``services`` and ``imports``."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.scopes import EXPORT
from zhiyuan.accounts.views import domain_http
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import keyset_page, list_cells, list_export_response, list_page, list_query
from zhiyuan.volunteers import code_tables, imports, minors
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.forms_manage import DocumentSearchForm, ImportForm, StatusChangeForm
from zhiyuan.volunteers.import_kinds import can_have_import_jobs, import_kind
from zhiyuan.volunteers.import_lists import IMPORT_JOBS
from zhiyuan.volunteers.lists import VOLUNTEERS, can_list_volunteers, volunteer_total, volunteers_decorate
from zhiyuan.volunteers.permissions import can_manage_volunteer, is_volunteer_manager
from zhiyuan.volunteers.selectors import volunteer_find_by_document, volunteer_manage_get
from zhiyuan.volunteers.services.import_jobs import (
    import_job_get,
    import_job_report_xlsx,
    import_job_submit,
)
from zhiyuan.volunteers.services.manage import MANAGER_TRANSITIONS, status_history

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_list(request):
    if not can_list_volunteers(request.user):
        raise DjangoPermissionDenied


def _require_import(request):
    if not is_volunteer_manager(request.user):
        raise DjangoPermissionDenied


@sensitive_post_parameters("id_number")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def volunteer_manage_list(request):
    """GET: the list (``lists.VOLUNTEERS``). POST: exact search by document number (the number
    travels in the body only and is not rendered back)."""
    _require_list(request)
    doc_form = DocumentSearchForm()
    doc_results = None
    status = 200
    if request.method == "POST":
        doc_form = DocumentSearchForm(request.POST)
        if doc_form.is_valid():
            try:
                found = volunteer_find_by_document(
                    actor=request.user, number=doc_form.cleaned_data["id_number"], id_type=doc_form.cleaned_data["id_type"]
                )
            except DomainError as e:  # not a valid number: say so (not "nobody found")
                apply_domain_error(doc_form, e)
            else:
                doc_results = list_cells(VOLUNTEERS, volunteers_decorate(list(found)))
                doc_form = DocumentSearchForm(initial={"id_type": doc_form.cleaned_data["id_type"]})
        if doc_form.errors:
            status = 400
    extra = {"doc_form": doc_form, "doc_results": doc_results, "can_import": is_volunteer_manager(request.user),
             "row_attr": "data-volunteer", "list_id": "volunteers",
             # kept totals (tallies), read only where the page shows them (not the htmx partial)
             "total": lambda: volunteer_total(request.user, request.GET)}  # fmt: skip
    return list_page(request, VOLUNTEERS, "volunteers/manage/volunteer_list.html", extra=extra, status=status)


@login_required
@require_GET
@domain_http
def volunteer_manage_export(request):
    """The filtered list as .xlsx, streamed (``core.lists.list_export``: masked, formula-safe,
    capped, audited once as ``volunteer.export``)."""
    _require_list(request)
    return list_export_response(request, VOLUNTEERS)


def _detail_context(request, v, *, status_form=None) -> dict:
    [v] = volunteers_decorate([v])
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
    recent, _next = keyset_page(list_query(actor=request.user, spec=IMPORT_JOBS, data=None).queryset, cursor=None, size=10)
    context = {
        "form": form,
        "spec": IMPORT_JOBS,
        "cells": list_cells(IMPORT_JOBS, recent),  # my latest jobs; the rest on the jobs page
        "row_attr": "data-job",
        "list_id": "recent-import-jobs",
        "max_rows": imports.max_rows(),
        "max_mb": settings.ZHIYUAN_IMPORT_MAX_UPLOAD_MB,
    }
    return render(request, "volunteers/manage/volunteer_import.html", context, status=status)


@never_cache
@login_required
@require_GET
@domain_http
def volunteer_import_jobs(request):
    """My import jobs (``import_lists.IMPORT_JOBS``): filters, keyset pages, cards on a phone —
    volunteers and the other kinds (training records), so an organization admin's too."""
    if not can_have_import_jobs(request.user):
        raise DjangoPermissionDenied
    extra = {"row_attr": "data-job", "list_id": "import-jobs"}
    return list_page(request, IMPORT_JOBS, "volunteers/manage/import_job_list.html", extra=extra)


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
    kind = import_kind(job.kind)
    errors = Paginator(job.errors.only("row", "field", "message"), IMPORT_ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    waited = (timezone.now() - job.created_at).total_seconds()
    context = {
        "job": job,
        "kind": kind,
        "back_url": kind.back_url(job) if kind.back_url else "",
        "done_text": kind.done_message % {"n": intcomma(job.rows_created)},
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
    job = import_job_get(actor=request.user, job_id=job_id, action=EXPORT)
    response = HttpResponse(import_job_report_xlsx(job=job), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="volunteer-import-{job.pk}-report.xlsx"'
    response["Cache-Control"] = "no-store"
    return response

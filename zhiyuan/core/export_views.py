"""Pages of background exports: "我的导出" (the actor's jobs with progress, htmx polling while
one runs), starting a job from a list's "导出 Excel" when it is over the synchronous cap, and the
signed, expiring download (``core/export_jobs.py``)."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhiyuan.core.errors import DomainError
from zhiyuan.core.export_jobs import (
    export_job_create,
    export_job_download,
    export_job_filename,
    export_job_link,
    export_jobs_of,
)
from zhiyuan.core.exports import export_specs, streaming_xlsx


def _domain_pages(view):
    """404 / 403 as the site's pages; any other refusal (410 expired, 409, 422) as a short page
    with the service's message and its status."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(str(exc.message)) from None
            if exc.status == 403:
                raise DjangoPermissionDenied(str(exc.message)) from None
            return render(request, "core/export_refused.html", {"message": exc.message, "fields": exc.as_dict()["fields"]},
                          status=exc.status)  # fmt: skip

    return wrapper


def _rows(request) -> list:
    specs = export_specs()
    out = []
    for job in export_jobs_of(actor=request.user):
        spec = specs.get(job.list_name)
        out.append({"job": job, "title": spec.export_title if spec else job.list_name, "link": export_job_link(job)})
    return out


@never_cache
@login_required
@require_GET
def export_job_list(request):
    """我的导出: newest first; while a job waits or runs, the list refreshes itself every 2 s."""
    rows = _rows(request)
    ctx = {"rows": rows, "active": any(not r["job"].finished for r in rows)}
    if getattr(request, "htmx", False) and not getattr(request.htmx, "boosted", False):
        return render(request, "core/partials/_export_jobs.html", ctx)
    return render(request, "core/export_jobs.html", ctx)


@login_required
@require_POST
@_domain_pages
def export_job_start(request):
    """Start a background export of ``list`` with the list page's query (``query``)."""
    params = QueryDict(request.POST.get("query", "")[:4000])
    export_job_create(actor=request.user, list_name=request.POST.get("list", ""), params=params or None, request=request)
    return redirect("exports:list")


@never_cache
@login_required
@require_GET
@_domain_pages
def export_job_file(request, job_id: int):
    """The signed link of a finished job: its owner only (404 otherwise), 410 after expiry."""
    job, chunks = export_job_download(actor=request.user, job_id=job_id, token=request.GET.get("t", ""), request=request)
    return streaming_xlsx(chunks, export_job_filename(job))

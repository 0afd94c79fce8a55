"""Background exports over the API (issue #7 item 3; ``core/export_jobs.py``): create a job,
follow its progress, download the file. A list's synchronous export is its own operation
(``core.exports.export_operation``, e.g. ``GET /volunteers/export.xlsx``)."""

import datetime as dt

from ninja import Field, Router, Schema

from zhiyuan.core.api import ERRORS, ErrorOut, InSchema, binary_download
from zhiyuan.core.export_jobs import (
    export_job_create,
    export_job_download,
    export_job_filename,
    export_job_get,
    export_job_link,
    export_jobs_of,
)
from zhiyuan.core.exports import streaming_xlsx

router = Router(tags=["exports"])


class ExportJobIn(InSchema):
    filters: dict[str, str | int | list[str]] = Field(
        default_factory=dict, description="the list operation's query parameters (no page_size or cursor)"
    )
    list: str = Field(..., max_length=64, description="the list's name, e.g. volunteer")


class ExportJobOut(Schema):
    id: int
    list: str
    status: str  # queued, running, done, failed, expired
    rows_done: int
    rows_total: int | None  # counted when the job starts
    progress: int  # percent
    truncated: bool  # more rows matched than ZHIYUAN_EXPORT_JOB_MAX_ROWS
    message: str
    filters: dict  # as audited: a free-text search shows as "*"
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
    download_url: str  # the signed page link (bound to the owner, expires); "" until done


class ExportJobListOut(Schema):
    items: list[ExportJobOut]


def _out(job) -> dict:
    return {
        "id": job.pk, "list": job.list_name, "status": job.status, "rows_done": job.rows_done,
        "rows_total": job.rows_total, "progress": job.progress, "truncated": job.truncated, "message": job.message,
        "filters": job.filters_summary, "created_at": job.created_at, "finished_at": job.finished_at,
        "expires_at": job.expires_at, "download_url": export_job_link(job),
    }  # fmt: skip


@router.post("/jobs", response={202: ExportJobOut, **ERRORS, 422: ErrorOut}, operation_id="create_export_job")
def create_export_job(request, payload: ExportJobIn):
    """Queue a background export of a list (for more rows than ``ZHIYUAN_EXPORT_SYNC_ROWS``;
    at most ``ZHIYUAN_EXPORT_JOB_MAX_ROWS``). The filters are those of the list operation;
    unknown or invalid ones are a 422 and nothing is saved; 403 without the export scope.
    Audited (``exports.job.create``)."""
    job = export_job_create(actor=request.user, list_name=payload.list, params=payload.filters, request=request)
    job.refresh_from_db()  # the immediate backend (tests) may have run it already
    return 202, _out(job)


@router.get("/jobs", response={200: ExportJobListOut, **ERRORS}, operation_id="list_export_jobs")
def list_export_jobs(request):
    """My background exports, newest first (the last 50)."""
    return {"items": [_out(j) for j in export_jobs_of(actor=request.user)]}


@router.get("/jobs/{job_id}", response={200: ExportJobOut, **ERRORS}, operation_id="get_export_job")
def get_export_job(request, job_id: int):
    """One of my background exports: status and progress. Anyone else's: 404."""
    return _out(export_job_get(actor=request.user, job_id=job_id))


@router.get(
    "/jobs/{job_id}/download",
    response={**ERRORS, 410: ErrorOut},
    operation_id="download_export_job",
    openapi_extra=binary_download(),
)
def download_export_job(request, job_id: int):
    """The finished file (.xlsx), to its owner only (404 otherwise); 409 while it is being
    written; 410 once expired (the file is deleted). Audited (``exports.job.download``)."""
    job, chunks = export_job_download(actor=request.user, job_id=job_id, request=request)
    return streaming_xlsx(chunks, export_job_filename(job))

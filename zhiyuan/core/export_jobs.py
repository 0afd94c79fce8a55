"""Background exports (issue #7 item 3): a list too large for the request is written by the
worker into a file encrypted at rest, downloaded by its owner through a signed link that
expires, then swept away.

- ``export_job_create``  validates like the synchronous export (403 / 422 before anything is
                         saved), keeps the filters sealed, audits ``exports.job.create`` and
                         queues ``core.tasks.export_job_task`` after the commit.
- ``export_job_run``     the task's work: counts up to the job cap (the progress total), streams
                         the rows through the .xlsx writer into ``filecrypt.encrypt_stream``
                         (constant memory) and records progress every ``PROGRESS_EVERY`` rows.
- ``export_job_lost``    the worker died (``core.workers.tasks_recover``): the job fails and its
                         partial file goes.
- ``export_job_download`` owner only (404 for anyone else), 410 once expired; audited
                         ``exports.job.download``; the file is authenticated before a byte leaves.
- ``export_jobs_sweep``  deletes expired and orphaned files (``manage.py exports_sweep``).
"""

import datetime as dt
import json
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.core import crypto, filecrypt
from zhiyuan.core.errors import DomainError, NotFound
from zhiyuan.core.exports import export_header, export_query, export_spec, rows_estimate
from zhiyuan.core.lists import export_rows, filterset_for, invalid_filters
from zhiyuan.core.models import ExportJob

logger = logging.getLogger(__name__)

FILTERS_PURPOSE = "core.export_job.filters"
FILE_PURPOSE = "core.export_job.file"
LINK_SALT = "zhiyuan.core.export_job.download"
TASK_PATH = "zhiyuan.core.tasks.export_job_task"
PROGRESS_EVERY = 5_000
LOST_MESSAGE = gettext_lazy("后台任务进程中断，导出没有完成，请重新导出。")
FAILED_MESSAGE = gettext_lazy("导出失败，请稍后重试；如果一再失败，请联系系统管理员。")


def export_dir() -> Path:
    path = Path(settings.ZHIYUAN_PRIVATE_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _params_json(params) -> dict:
    """A QueryDict (or a plain dict) as JSON: one value, or a list when repeated."""
    if params is None:
        return {}
    if isinstance(params, QueryDict):
        return {k: (v[0] if len(v) == 1 else v) for k, v in params.lists()}
    return {str(k): v for k, v in params.items()}


def _params_querydict(data: dict) -> QueryDict | None:
    if not data:
        return None
    qd = QueryDict(mutable=True)
    for k, v in data.items():
        qd.setlist(k, [str(x) for x in v] if isinstance(v, list) else [str(v)])
    return qd


def _spec_or_422(list_name: str):
    spec = export_spec(list_name or "")
    if spec is None:
        msg = _("没有名为“%(name)s”的可导出列表。") % {"name": (list_name or "")[:64]}
        raise DomainError("invalid", msg, fields={"list": [msg]}, status=422)
    return spec


def export_job_create(*, actor, list_name: str, params, request=None) -> ExportJob:
    """Queue a background export of the list ``list_name`` filtered by ``params``. The rule of
    the synchronous export applies first (scope, export scope, strict filters): a refused or
    invalid request saves nothing. At most ``ZHIYUAN_EXPORT_JOBS_PER_USER`` jobs of one user wait
    or run at once (409)."""
    from zhiyuan.core.audit import audit_record

    spec = _spec_or_422(list_name)
    params_data = _params_json(params)
    allowed = set(filterset_for(spec, None, for_schema=True).form.fields) - {"page_size"}
    unknown = sorted(k for k in params_data if k not in allowed)
    if unknown:
        raise invalid_filters({k: [_("没有这个筛选条件。")] for k in unknown})
    lq = export_query(actor=actor, spec=spec, params=_params_querydict(params_data))
    active = ExportJob.objects.filter(owner=actor, status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING))
    if active.count() >= settings.ZHIYUAN_EXPORT_JOBS_PER_USER:
        raise DomainError(
            "conflict",
            _("您已有 %(n)d 个导出正在进行，请等它们完成后再试。") % {"n": settings.ZHIYUAN_EXPORT_JOBS_PER_USER},
            status=409,
        )
    summary = lq.audit_filters()
    with transaction.atomic():
        job = ExportJob.objects.create(
            owner=actor,
            list_name=spec.name,
            filters_sealed=crypto.seal(json.dumps(params_data, ensure_ascii=False), purpose=FILTERS_PURPOSE),
            filters_summary=summary,
        )
        audit_record(actor=actor, action="exports.job.create", obj=job, request=request,
                     detail={"list": spec.name, "filters": summary})  # fmt: skip
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from zhiyuan.core.tasks import export_job_task

    export_job_task.enqueue(job_id)


def _fail(job_id: int, message, *, file_name: str = "") -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status__in=(ExportJob.Status.DONE, ExportJob.Status.EXPIRED)).update(
        status=ExportJob.Status.FAILED, message=str(message)[:300], finished_at=timezone.now(), file_key_sealed=""
    )
    if file_name:
        (export_dir() / file_name).unlink(missing_ok=True)


class _Progress:
    """Counts the rows on their way to the writer and records the count every ``every`` rows."""

    def __init__(self, job_id: int, rows, every: int):
        self.job_id, self.rows, self.every, self.done = job_id, rows, every, 0

    def __iter__(self):
        for row in self.rows:
            self.done += 1
            if self.done % self.every == 0:
                ExportJob.objects.filter(pk=self.job_id).update(rows_done=self.done)
            yield row


def export_job_run(*, job_id: int) -> str:
    """Write the job's export (the background task). The owner's scope is applied as it is now;
    a job whose owner lost the right fails with the reason. Returns the job's final status."""
    now = timezone.now()
    name = f"{uuid.uuid4().hex}.xlsx.zy"
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=now, file_name=name
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    try:
        spec = _spec_or_422(job.list_name)
        params = json.loads(crypto.unseal(job.filters_sealed, purpose=FILTERS_PURPOSE)) if job.filters_sealed else {}
        lq = export_query(actor=job.owner, spec=spec, params=_params_querydict(params))
        cap = settings.ZHIYUAN_EXPORT_JOB_MAX_ROWS
        total = rows_estimate(lq.queryset, cap)
        ExportJob.objects.filter(pk=job_id).update(rows_total=min(total, cap), truncated=total > cap)
        from zhiyuan.core.xlsx_write import xlsx_stream

        rows = _Progress(job_id, export_rows(spec, lq.queryset, limit=cap, chunked=True), PROGRESS_EVERY)
        body = xlsx_stream(str(spec.export_title or spec.name), export_header(spec), rows)
        sealed_key, size = filecrypt.encrypt_stream(body, export_dir() / name, purpose=FILE_PURPOSE)
    except DomainError as exc:
        _fail(job_id, exc.message, file_name=name)
        return ExportJob.Status.FAILED
    except Exception:
        logger.exception("export job %s failed", job_id)
        _fail(job_id, FAILED_MESSAGE, file_name=name)
        return ExportJob.Status.FAILED
    finished = timezone.now()
    done = min(rows.done, cap)  # the note row past the cap is not a data row
    updated = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE, rows_done=done, rows_total=done, finished_at=finished,
        expires_at=finished + dt.timedelta(hours=settings.ZHIYUAN_EXPORT_LINK_HOURS),
        file_key_sealed=sealed_key, file_size=size,
    )  # fmt: skip
    if not updated:  # failed meanwhile (declared lost): the file is not wanted
        (export_dir() / name).unlink(missing_ok=True)
        return ExportJob.objects.get(pk=job_id).status
    return ExportJob.Status.DONE


def export_job_lost(job_id: int) -> None:
    """The task's worker died (``core.workers.register_task_lost``): a queued or running job
    fails at once, and what it had written is deleted."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return
    _fail(job_id, LOST_MESSAGE, file_name=job.file_name)


# --- reading ----------------------------------------------------------------------------------------


def export_jobs_of(*, actor, limit: int = 50):
    """The actor's own jobs, newest first (nobody sees another person's export, not even a
    platform admin: the file holds what the owner's scope allowed)."""
    if not getattr(actor, "is_authenticated", False):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(owner=actor).order_by("-id")[:limit]


def export_job_get(*, actor, job_id) -> ExportJob:
    """The actor's job; 404 for a missing job and for anyone else's alike."""
    try:
        pk = int(job_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    job = ExportJob.objects.filter(pk=pk, owner_id=getattr(actor, "pk", None)).first() if pk > 0 else None
    if job is None:
        raise NotFound()
    return job


def export_job_link(job: ExportJob) -> str:
    """The signed download link of a finished job (bound to the job and its owner; valid
    ``ZHIYUAN_EXPORT_LINK_HOURS``), "" before it is done."""
    if job.status != ExportJob.Status.DONE:
        return ""
    token = signing.dumps({"j": job.pk, "o": job.owner_id}, salt=LINK_SALT)
    return reverse("exports:download", args=[job.pk]) + "?t=" + token


def _expired() -> DomainError:
    return DomainError(
        "expired",
        _("导出文件已过期（下载链接有效 %(h)d 小时），请重新导出。") % {"h": settings.ZHIYUAN_EXPORT_LINK_HOURS},
        status=410,
    )


def export_job_download(*, actor, job_id, token: str | None = None, request=None):
    """``(job, byte chunks)`` of the actor's finished job. 404 for another person's job or a link
    that is not this job's; 410 once the link or the file expired; 409 while it is not ready."""
    from zhiyuan.core.audit import audit_record

    job = export_job_get(actor=actor, job_id=job_id)
    if token is not None:
        try:
            claim = signing.loads(token, salt=LINK_SALT, max_age=settings.ZHIYUAN_EXPORT_LINK_HOURS * 3600)
        except signing.SignatureExpired:
            raise _expired() from None
        except signing.BadSignature:
            raise NotFound() from None
        if claim != {"j": job.pk, "o": job.owner_id}:
            raise NotFound()
    if job.status == ExportJob.Status.EXPIRED or (job.expires_at and job.expires_at <= timezone.now()):
        raise _expired()
    if job.status != ExportJob.Status.DONE:
        raise DomainError("not_ready", _("导出尚未完成，请稍后再下载。"), status=409)
    path = export_dir() / job.file_name
    if not path.is_file():
        raise _expired()
    chunks = filecrypt.decrypt_stream(path, sealed_key=job.file_key_sealed, purpose=FILE_PURPOSE)
    audit_record(actor=actor, action="exports.job.download", obj=job, request=request,
                 detail={"list": job.list_name, "rows": job.rows_done})  # fmt: skip
    return job, chunks


def export_job_filename(job: ExportJob) -> str:
    spec = export_spec(job.list_name)
    stem = (spec.export_filename if spec else "export.xlsx").rsplit(".", 1)[0]
    return f"{stem}-{job.pk}.xlsx"


# --- housekeeping -----------------------------------------------------------------------------------


def export_jobs_sweep(*, now=None) -> dict[str, int]:
    """Expire finished jobs past ``expires_at`` (their files deleted), delete files no job
    owns (a crash between writing and recording), fail jobs whose worker is gone. Returns
    counts for the command's report."""
    from zhiyuan.core.workers import tasks_recover

    now = now or timezone.now()
    counts = {"lost": tasks_recover(), "expired": 0, "files": 0}
    expired = ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now)
    for job in expired.only("id", "file_name"):
        if job.file_name:
            (export_dir() / job.file_name).unlink(missing_ok=True)
        counts["expired"] += ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).update(
            status=ExportJob.Status.EXPIRED, file_key_sealed="", file_size=0
        )
    keep = set(
        ExportJob.objects.filter(status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING, ExportJob.Status.DONE))
        .exclude(file_name="")
        .values_list("file_name", flat=True)
    )
    grace = (now - dt.timedelta(hours=1)).timestamp()
    for path in export_dir().glob("*.xlsx.zy"):
        if path.name not in keep and path.stat().st_mtime < grace:
            path.unlink(missing_ok=True)
            counts["files"] += 1
    return counts

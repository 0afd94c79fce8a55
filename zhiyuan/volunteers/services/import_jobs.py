"""Import jobs (SPEC VOL-10; issue #4: 100,000 rows without running out of memory, with progress).

An upload becomes an ``ImportJob``: the file is checked at once (a workbook? the required
columns? not too many rows?) and refused with a Chinese message if not; otherwise it is stored
encrypted under ``ZHIYUAN_PRIVATE_DIR`` (``core.filecrypt``; never served) and processed by
``import_job_run`` — the streaming engine of ``imports.py``, chunk by chunk, with the counts and
each chunk's errors saved on the job as it goes. The file is deleted when the job finishes.

* **Where it runs.** Files of up to ``ZHIYUAN_IMPORT_INLINE_ROWS`` rows (2,000: a few seconds)
  run in the request, so a small import answers at once and needs no worker; larger ones are
  queued for the background worker (django-tasks, ``tasks.import_job_task``; ``manage.py
  db_worker``). The job page and ``GET …/import/jobs/{id}`` show progress either way.
* **Repeats** (ARCHITECTURE rule 5). With a ``client_id``, a second submit with the same id
  returns the first job (409 if it names another file or mode). Without one, the same user
  sending the same file (SHA-256) in the same mode while the first job is queued or running,
  or up to ``ZHIYUAN_IMPORT_REPEAT_SECONDS`` after it finished, gets that job back. Failed jobs
  are never reused.
* **Who.** Platform admins and region managers submit; the job runs as its uploader with the
  uploader's roles at run time (a revoked role fails the job) narrowed to the API token's region
  if the upload came with a narrowed token. Only the uploader (while still managing the job's
  regions) and platform admins see a job.
* **Audit.** ``volunteer.import_upload`` when a job is created, ``volunteer.import_file`` when
  it finishes (counts, never values) or when an upload is refused.
* **Sweep** (``manage.py volunteers_import_sweep``, also run after every job and by ``run.py``
  before it starts the worker; the job page and API apply its first rule to the job shown): a
  running job without progress for ``ZHIYUAN_IMPORT_STALE_MINUTES`` (its worker died) and a job still
  queued after ``ZHIYUAN_IMPORT_FILE_DAYS`` fail and lose their file; stray files go, and so do
  leftovers over an hour old in ``FILE_UPLOAD_TEMP_DIR`` (large uploads, scratch files); a
  check's preview rows are cleared after ``ZHIYUAN_IMPORT_PREVIEW_DAYS``; finished jobs and
  their reports are deleted after ``ZHIYUAN_IMPORT_REPORT_DAYS``.
"""

import datetime as dt
import hashlib
import logging
import os
import tempfile
import time
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import NoReturn

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhiyuan.accounts.models import User
from zhiyuan.accounts.scopes import VIEW, actor_is_platform_admin, actor_region_prefixes, actor_token_prefix, get_for
from zhiyuan.core.audit import audit_record, client_ip
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.filecrypt import decrypt_file, encrypt_file, private_temp_dir
from zhiyuan.core.models import AuditEntry
from zhiyuan.core.workers import tasks_recover
from zhiyuan.volunteers import imports
from zhiyuan.volunteers.import_kinds import VOLUNTEERS, ImportKind, import_kind
from zhiyuan.volunteers.models import ImportJob, ImportJobError
from zhiyuan.volunteers.permissions import require_importer

logger = logging.getLogger(__name__)

FILE_PURPOSE = "volunteers.import_file"
FILE_SUFFIX = ".zyf"
ORPHAN_AGE = dt.timedelta(hours=1)


def files_dir() -> Path:
    """Where uploaded files wait for their job: outside MEDIA_ROOT and STATIC_ROOT, 0700."""
    path = Path(settings.ZHIYUAN_PRIVATE_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def max_upload_bytes() -> int:
    return settings.ZHIYUAN_IMPORT_MAX_UPLOAD_MB * 1024 * 1024


def upload_too_large_message() -> str:
    return _("文件不能超过%(n)sMB。") % {"n": settings.ZHIYUAN_IMPORT_MAX_UPLOAD_MB}


# --- submit ------------------------------------------------------------------------------------------


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def _repeat_of(actor, *, client_id: str, sha256: str, mode: str, kind: str, target_id) -> ImportJob | None:
    mine = ImportJob.objects.filter(created_by=actor, kind=kind, target_id=target_id)
    if client_id:
        job = mine.filter(client_id=client_id).first()
        if job is not None and (job.file_sha256 != sha256 or job.mode != mode):
            raise DomainError("client_id_reused", _("该请求编号（client_id）已用于另一次上传。"), status=409)
        return job
    since = timezone.now() - dt.timedelta(seconds=settings.ZHIYUAN_IMPORT_REPEAT_SECONDS)
    active = Q(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING])
    return (
        mine.filter(client_id="", file_sha256=sha256, mode=mode)
        .filter(active | Q(status=ImportJob.Status.DONE, finished_at__gte=since))
        .order_by("-created_at")
        .first()
    )


def _refuse(actor, request, mode: str, message: str, kind: ImportKind = VOLUNTEERS) -> NoReturn:
    """An upload refused as a whole: audited like a finished import, answered as a field error."""
    audit_record(
        actor=actor, action=kind.audit_file, object_type=kind.object_type, request=request,
        result=AuditEntry.Result.FAILED,
        detail=imports.import_audit_detail(
            imports.ImportReport(dry_run=mode == imports.DRY_RUN, valid_only=mode == imports.VALID_ONLY, file_errors=[message])
        ),
    )  # fmt: skip
    raise DomainError("invalid", message, fields={"file": [message]})


def _scope_label(actor) -> str:
    if actor_is_platform_admin(actor):
        return "*"
    return ",".join(actor_region_prefixes(actor))[:200]


def import_job_submit(
    *, actor, upload, mode: str, client_id: str = "", request=None, kind: str = "volunteers", target_id: int | None = None
) -> tuple[ImportJob, bool]:
    """Accept an uploaded template file as an import job in ``mode`` (``imports.DRY_RUN``,
    ``ALL_OR_NOTHING``, ``VALID_ONLY``) and start it: in the request for small files, else on
    the background worker. Returns ``(job, created)``; ``created`` is False when this repeats
    an earlier submit (see the module docstring), which is then returned as it is.

    ``kind`` (``import_kinds``) says what the rows become; the volunteers' import checks here
    that the actor may import volunteers, another kind's service has authorized the actor for
    ``target_id`` before it calls this.

    Refused with ``DomainError("invalid")`` (field ``file``) when the file is larger than
    ``ZHIYUAN_IMPORT_MAX_UPLOAD_MB``, is not a readable .xlsx, lacks a required column, has no
    data rows or more than ``ZHIYUAN_IMPORT_MAX_ROWS``."""
    spec = import_kind(kind)
    if spec.kind != kind:
        raise ValueError(f"unknown import kind {kind!r}")
    if spec is VOLUNTEERS:
        require_importer(actor)
    if mode not in imports.MODES:
        raise ValueError(f"unknown import mode {mode!r}")
    client_id = (client_id or "").strip()[:64]
    if upload.size > max_upload_bytes():
        message = upload_too_large_message()
        raise DomainError("invalid", message, fields={"file": [message]})
    sha256 = _sha256(upload)
    repeat = {"client_id": client_id, "sha256": sha256, "mode": mode, "kind": kind, "target_id": target_id}
    job = _repeat_of(actor, **repeat)
    if job is not None:
        return job, False
    if spec.throttle:
        imports.check_throttle(actor=actor, mode=mode, request=request)  # issue #8: not a free lookup
    upload.seek(0)
    try:
        with imports.Sheet(upload, spec.layout) as sheet:
            bound = sheet.rows_upper_bound()
    except imports.FileRefused as exc:
        _refuse(actor, request, mode, exc.message, spec)
    if bound == 0:
        _refuse(actor, request, mode, _("文件中没有数据行。"), spec)
    if bound is not None and bound > imports.max_rows():
        _refuse(actor, request, mode, _("每个文件最多%(n)s行，请拆分后分批导入。") % {"n": imports.max_rows()}, spec)
    ref = uuid.uuid4().hex + FILE_SUFFIX
    path = files_dir() / ref
    try:
        with transaction.atomic():
            # One submit per user at a time, so a double submit finds the first job.
            User.objects.select_for_update().filter(pk=actor.pk).first()
            job = _repeat_of(actor, **repeat)
            if job is not None:
                return job, False
            upload.seek(0)
            sealed_key = encrypt_file(upload, path, purpose=FILE_PURPOSE)
            job = ImportJob.objects.create(
                created_by=actor,
                kind=kind,
                target_id=target_id,
                scope=_scope_label(actor),
                token_prefix=actor_token_prefix(actor),
                mode=mode,
                client_id=client_id,
                file_name=(Path(getattr(upload, "name", "") or "import.xlsx").name)[:200],
                file_size=upload.size,
                file_sha256=sha256,
                file_ref=ref,
                file_key_sealed=sealed_key,
                rows_total=bound or 0,
                ip=client_ip(request),
                language=translation.get_language() or "",
            )
            audit_record(
                actor=actor, action=spec.audit_upload, obj=job, request=request,
                detail={"mode": mode, "file_size": job.file_size, "rows_estimate": job.rows_total,
                        "inline": _runs_inline(job)},
            )  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _start(job)
    job.refresh_from_db()
    return job, True


def _runs_inline(job: ImportJob) -> bool:
    return 0 < job.rows_total <= settings.ZHIYUAN_IMPORT_INLINE_ROWS


def _start(job: ImportJob) -> None:
    if _runs_inline(job):
        import_job_run(job_id=job.pk)
        return
    from zhiyuan.volunteers.tasks import import_job_task

    import_job_task.enqueue(job.pk)


# --- run ---------------------------------------------------------------------------------------------


class _TokenScope:
    """Stands in for the API token an upload came with: its region narrowing (accounts.scopes)."""

    def __init__(self, region_prefix: str):
        self.region_prefix = region_prefix


@contextmanager
def _plain_file(job: ImportJob):
    """The uploaded file, decrypted into an anonymous temporary file (unlinked at once, so it
    has no name on disk and disappears when closed)."""
    path = files_dir() / job.file_ref if job.file_ref else None
    if path is None or not path.exists():
        raise imports.FileRefused(_("上传的文件已不存在，请重新提交。"))
    with tempfile.TemporaryFile(dir=files_dir()) as plain:
        decrypt_file(path, plain, sealed_key=job.file_key_sealed, purpose=FILE_PURPOSE)
        yield plain


class JobLimitExceeded(Exception):
    """The job ran past ``ZHIYUAN_IMPORT_MAX_SECONDS`` or ``ZHIYUAN_IMPORT_MAX_MEMORY_MB``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _rss_mb() -> float:
    """This process's resident memory now (Linux ``/proc``), else its peak."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time_limit_message() -> str:
    return _("处理时间超过上限（%(s)s秒），已停止。") % {"s": settings.ZHIYUAN_IMPORT_MAX_SECONDS}


def _memory_limit_message() -> str:
    return _("占用内存超过上限（%(mb)sMB），已停止。") % {"mb": settings.ZHIYUAN_IMPORT_MAX_MEMORY_MB}


def _check_limits(started: float) -> None:
    if time.monotonic() - started > settings.ZHIYUAN_IMPORT_MAX_SECONDS:
        raise JobLimitExceeded(_time_limit_message())
    if _rss_mb() > settings.ZHIYUAN_IMPORT_MAX_MEMORY_MB:
        raise JobLimitExceeded(_memory_limit_message())


@contextmanager
def _hard_limits():
    """In the worker's main thread, the limits also hold inside a chunk: an alarm at the wall-clock
    limit, and an address-space limit (this process's size now plus the memory limit) that turns
    a runaway allocation into ``MemoryError``. Elsewhere (a request, a test thread) only the
    checks between chunks apply."""
    import resource
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    from django.db import connection

    # Never raise inside a database call: an exception thrown into psycopg in the middle of its
    # protocol leaves the connection unusable ("another command is already in progress"). An
    # alarm that fires during a query marks the time as up; the query's wrapper raises as soon as
    # it returns, with the connection intact (the transaction then rolls back as usual).
    state = {"in_db": 0, "expired": False}

    def on_alarm(signum, frame):
        state["expired"] = True
        if not state["in_db"]:
            raise JobLimitExceeded(_time_limit_message())

    def db_call(execute, sql, params, many, context):
        state["in_db"] += 1
        try:
            result = execute(sql, params, many, context)
        finally:
            state["in_db"] -= 1
        if state["expired"] and not state["in_db"]:
            raise JobLimitExceeded(_time_limit_message())
        return result

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(settings.ZHIYUAN_IMPORT_MAX_SECONDS, 0.001))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = size + settings.ZHIYUAN_IMPORT_MAX_MEMORY_MB * 2**20
        if hard == resource.RLIM_INFINITY or cap < hard:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError):
        pass  # no /proc: the check between chunks still holds
    try:
        with connection.execute_wrapper(db_call):
            yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class _Progress:
    """Saves each chunk's errors and the running counts on the job; stops a job over its limits."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.errors = 0
        self.started = time.monotonic()

    def __call__(self, report: imports.ImportReport, phase: str, errors: list) -> None:
        job = self.job
        if errors:
            ImportJobError.objects.bulk_create(
                [ImportJobError(job=job, row=e.row, field=e.field[:40], message=str(e.message)[:300]) for e in errors]
            )
            self.errors += len(errors)
        if phase == imports.IMPORTING and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
            job.rows_total = report.rows  # the check pass has counted them
        ImportJob.objects.filter(pk=job.pk).update(
            phase=phase,
            rows_total=max(job.rows_total, report.rows),
            rows_done=report.rows,
            rows_valid=report.valid_rows,
            rows_invalid=report.invalid_rows,
            rows_created=report.created,
            errors_count=self.errors,
            updated_at=timezone.now(),
        )
        _check_limits(self.started)


def import_job_run(*, job_id: int, hard_limits: bool = False) -> str:
    """Process a queued job (the background task, or the request for small files) and return
    its final status. A job that is not queued any more is left alone (run at most once). A job
    over ``ZHIYUAN_IMPORT_MAX_SECONDS`` or ``ZHIYUAN_IMPORT_MAX_MEMORY_MB`` is stopped with a
    message saying which (checked between chunks; with ``hard_limits`` — the worker — also
    inside one, see ``_hard_limits``). An unexpected error fails the job and is logged by type only (no traceback: it could carry
    cell values); the task itself then succeeds with "failed"."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=now, updated_at=now
    )
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if not claimed:
        return job.status
    actor = job.created_by
    if job.token_prefix:
        actor._zy_token = _TokenScope(job.token_prefix)
    progress = _Progress(job)
    kind = import_kind(job.kind)

    def source():
        plain.seek(0)
        return imports.sheet_rows(plain, layout=kind.layout)

    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            with _hard_limits() if hard_limits else nullcontext(), _plain_file(job) as plain:
                report = kind.run(job=job, actor=actor, source=source, progress=progress)
        except JobLimitExceeded as exc:
            _finish(job, progress, message=_limit_message(job, exc.message))
        except MemoryError:
            _finish(job, progress, message=_limit_message(job, _memory_limit_message()))
        except imports.FileRefused as exc:
            _finish(job, progress, message=exc.message, file_error=True)
        except PermissionDenied as exc:
            _finish(job, progress, message=str(exc.message))
        except Exception as exc:
            # Recorded on the job and ended here: re-raised, the traceback (its frames and messages
            # can hold cell values) would land in django-tasks' result table and the worker's log.
            logger.error("import job %s failed: %s", job_id, type(exc).__name__)
            _finish(job, progress, message=_("处理失败，请稍后重试或联系管理员。"))
        else:
            _finish(job, progress, report=report)
    try:
        import_job_sweep()
    except Exception:  # housekeeping must not fail a finished job
        logger.exception("import job sweep failed")
    return job.status


def _limit_message(job: ImportJob, reason: str) -> str:
    job.refresh_from_db(fields=["rows_created"])
    return f"{reason}{_imported_so_far(job)}"


def _preview_with_names(preview: list[dict]) -> list[dict]:
    from zhiyuan.volunteers.lists import region_names

    names = region_names(p["region_code"] for p in preview)
    return [{**p, "region_name": names.get(p["region_code"], p["region_code"])} for p in preview]


def _finish(job: ImportJob, progress: _Progress, *, report=None, message: str = "", file_error: bool = False) -> None:
    """Record the outcome, delete the file, audit."""
    job.refresh_from_db()
    failed = report is None or bool(report.file_errors) or bool(report.stopped)
    job.status = ImportJob.Status.FAILED if failed else ImportJob.Status.DONE
    job.finished_at = job.updated_at = timezone.now()
    job.errors_count = progress.errors
    if report is not None:
        job.rows_total = report.rows
        job.rows_done = report.rows
        job.rows_valid = report.valid_rows
        job.rows_invalid = report.invalid_rows
        job.rows_created = report.created
        job.file_errors = list(report.file_errors)
        job.preview = _preview_with_names(report.preview) if report.preview else []
        job.message = report.stopped[:300]
    elif file_error:
        job.file_errors = [message]
    else:
        job.message = message[:300]
    _delete_file(job)
    job.save()
    audit_record(
        actor=job.created_by, action=import_kind(job.kind).audit_file, obj=job, ip=job.ip,
        result=AuditEntry.Result.OK if job.rows_created or (job.dry_run and job.ok) else AuditEntry.Result.FAILED,
        detail={"job": job.pk, "status": job.status, "dry_run": job.dry_run, "mode": job.mode, "rows": job.rows_total,
                "valid_rows": job.rows_valid, "invalid_rows": job.rows_invalid, "created": job.rows_created,
                "file_errors": len(job.file_errors), "stopped": bool(job.message)},
    )  # fmt: skip


def _delete_file(job: ImportJob) -> None:
    if job.file_ref:
        (files_dir() / job.file_ref).unlink(missing_ok=True)
    job.file_ref = ""
    job.file_key_sealed = ""


# --- read --------------------------------------------------------------------------------------------


def import_job_get(*, actor, job_id: int, action: str = VIEW) -> ImportJob:
    """The job for ``action`` (``scopes.get_for``: 404 when it does not exist or the actor may not
    see it — only its uploader and platform admins do — 403 when visible but not allowed). A
    running job whose worker died is failed here at once (the sweep's rule), not left "running"
    until the sweep."""
    job = get_for(actor, ImportJob.objects.select_related("created_by"), job_id, action)
    if job.status == ImportJob.Status.RUNNING and tasks_recover():
        job.refresh_from_db()
    if _is_stale(job, timezone.now()):
        _fail_unfinished(job, ImportJob.Status.RUNNING, _stale_message(job))
    return job


def import_job_report_xlsx(*, job: ImportJob) -> bytes:
    summary = {
        "rows": job.rows_total,
        "valid_rows": job.rows_valid,
        "invalid_rows": job.rows_invalid,
        "created": job.rows_created,
    }
    notes = [*job.file_errors, *([job.message] if job.message else [])]
    errors = job.errors.order_by("row", "id").only("row", "field", "message").iterator(chunk_size=2000)
    return imports.report_xlsx(errors=errors, file_errors=notes, summary=summary)


# --- sweep -------------------------------------------------------------------------------------------


def _fail_unfinished(job: ImportJob, status: str, message: str) -> bool:
    """Fail a job still in ``status`` (compare-and-set, so a live worker is never overtaken)."""
    now = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, status=status).update(
        status=ImportJob.Status.FAILED, message=message[:300], finished_at=now, updated_at=now
    ):
        return False
    job.refresh_from_db()
    _delete_file(job)
    job.save(update_fields=["file_ref", "file_key_sealed"])
    audit_record(
        actor=job.created_by, action=import_kind(job.kind).audit_file, obj=job, ip=job.ip, result=AuditEntry.Result.FAILED,
        detail={"job": job.pk, "status": job.status, "mode": job.mode, "rows": job.rows_total,
                "created": job.rows_created, "stopped": True},
    )  # fmt: skip
    return True


def _stale_before(now) -> dt.datetime:
    return now - dt.timedelta(minutes=settings.ZHIYUAN_IMPORT_STALE_MINUTES)


def _is_stale(job: ImportJob, now) -> bool:
    """Running without progress for ``ZHIYUAN_IMPORT_STALE_MINUTES``: its worker died."""
    return job.status == ImportJob.Status.RUNNING and job.updated_at < _stale_before(now)


def _imported_so_far(job: ImportJob) -> str:
    """What a job that stopped half-way left behind, and how to import the rest."""
    values = {"n": job.rows_created}
    if job.mode == ImportJob.Mode.ALL_OR_NOTHING and job.rows_created:
        # Chunks already committed: submitting the file again all-or-nothing would fail on them.
        return _("已导入 %(n)s 人，其余未导入；可改用「只导入校验通过的行」重新上传该文件，导入其余的行。") % values
    return _("已导入 %(n)s 人；请核对后重新提交。") % values


def _stale_message(job: ImportJob) -> str:
    return _("后台处理中断（%(m)s分钟没有进展）。") % {"m": settings.ZHIYUAN_IMPORT_STALE_MINUTES} + _imported_so_far(job)


def import_job_worker_lost(job_id: int) -> None:
    """The worker running this job's task died (``core.workers.tasks_recover``): a running job
    fails at once with what it had imported; a job the task had not claimed yet is queued again."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return
    if job.status == ImportJob.Status.RUNNING:
        _fail_unfinished(job, ImportJob.Status.RUNNING, _("后台处理进程中断。") + _imported_so_far(job))
    elif job.status == ImportJob.Status.QUEUED:
        _start(job)


def import_job_sweep(*, now=None) -> dict[str, int]:
    """Housekeeping of import jobs and their files (module docstring, "Sweep"). Returns counts."""
    now = now or timezone.now()
    counts = {"lost": tasks_recover(), "stale": 0, "expired": 0, "files": 0, "orphans": 0, "temp_files": 0}
    counts.update(previews=0, deleted=0)
    stale = ImportJob.objects.filter(status=ImportJob.Status.RUNNING, updated_at__lt=_stale_before(now))
    for job in stale.select_related("created_by"):
        counts["stale"] += _fail_unfinished(job, ImportJob.Status.RUNNING, _stale_message(job))
    expired = now - dt.timedelta(days=settings.ZHIYUAN_IMPORT_FILE_DAYS)
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=expired).select_related("created_by"):
        message = _("排队时间过长（后台任务进程可能没有运行），文件已删除，请重新提交。")
        counts["expired"] += _fail_unfinished(job, ImportJob.Status.QUEUED, message)
    for job in ImportJob.objects.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED]).exclude(file_ref=""):
        _delete_file(job)
        job.save(update_fields=["file_ref", "file_key_sealed"])
        counts["files"] += 1
    referenced = set(ImportJob.objects.exclude(file_ref="").values_list("file_ref", flat=True))
    for path in files_dir().glob("*" + FILE_SUFFIX):
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        if path.name not in referenced and modified < now - ORPHAN_AGE:
            path.unlink(missing_ok=True)
            counts["orphans"] += 1
    # Leftovers of a crashed request or worker in the private temporary directory (uploads being
    # read, scratch files): nothing there is meant to outlive its request or job by an hour.
    for path in private_temp_dir().iterdir():
        try:
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
            if path.is_file() and modified < now - ORPHAN_AGE:
                path.unlink()
                counts["temp_files"] += 1
        except FileNotFoundError:  # a request finished meanwhile
            continue
    # Preview rows (names, masked ids, birth years, regions) are for looking at a check right
    # after it ran, not for keeping with the report.
    seen = now - dt.timedelta(days=settings.ZHIYUAN_IMPORT_PREVIEW_DAYS)
    counts["previews"] = (
        ImportJob.objects.filter(finished_at__lt=seen, status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED])
        .exclude(preview=[])
        .update(preview=[])
    )
    old = now - dt.timedelta(days=settings.ZHIYUAN_IMPORT_REPORT_DAYS)
    finished_old = ImportJob.objects.filter(finished_at__lt=old, status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED])
    counts["deleted"] = finished_old.delete()[1].get("volunteers.ImportJob", 0)
    return counts

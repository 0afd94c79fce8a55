"""Excel import of offline training records (TRN-2; issue 9 item 2: "from Excel imports of
offline training (the existing import-job machinery)").

A manager or organization admin uploads a sheet of people who completed a course offline. The
upload becomes a volunteers ``ImportJob`` of kind ``training.record`` (``record_import_submit`` →
``volunteers.services.import_jobs.import_job_submit``): the same hostile-file guards, the file
kept encrypted until its job has run, small files (``ZHIYUAN_IMPORT_INLINE_ROWS``) in the
request and larger ones on the background worker, progress, one ``ImportJobError`` per bad row
(Excel row number, field, Chinese message), the report workbook, the job page and
``GET /api/v1/volunteers/import/jobs/{id}``.

Columns (by header text, order free; the first row is the header): 志愿者编号* · 完成日期*
(YYYY-MM-DD or an Excel date) · 学时 (default: the course's) · 成绩 (0–100). The course is
chosen on the page (one course per file). A person must be visible to the importer (their
region or their organization's members) and may hold one record per course and completion day
(a repeated file is refused per row).

Modes, as the volunteers' import: a check (nothing written), all-or-nothing (a check pass over
the whole file, then the import pass: files up to ``ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS`` in one
transaction, larger ones a transaction per chunk, re-checked inside it) and valid rows only
(each chunk's good rows in the chunk's transaction). A row is never half-saved: its record and
its certificate are written together or not at all. Each committed chunk is audited once
(``training.record.import``, with the count); ``training.record.import_upload`` and
``training.record.import_file`` come from the job service."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.accounts.scopes import MANAGE, can
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.training.models import RecordSource, TrainingCertificate, TrainingCourse, TrainingRecord
from zhiyuan.training.services.records import certificate_for
from zhiyuan.volunteers.imports import (
    ALL_OR_NOTHING,
    CHECKING,
    DRY_RUN,
    IMPORTING,
    VALID_ONLY,
    FileRefused,
    ImportReport,
    ProgressFn,
    RowError,
    sheet_rows,
)
from zhiyuan.volunteers.imports.read import SheetLayout
from zhiyuan.volunteers.minors import today_shanghai
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.numbers import normalize_volunteer_no

KIND = "training.record"
RECORD_LAYOUT = SheetLayout(
    columns=(
        ("volunteer_no", gettext_lazy("志愿者编号"), True),
        ("completed_on", gettext_lazy("完成日期"), True),
        ("hours", gettext_lazy("学时"), False),
        ("score", gettext_lazy("成绩"), False),
    ),
)


@dataclass
class ImportResult:
    """A file read in memory and imported at once (``record_import``)."""

    rows: int = 0
    written: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (Excel row, message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Planned:
    row: int
    volunteer: Volunteer
    day: dt.date
    hours: Decimal
    score: int | None


class _Stop(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("import stopped")
        self.errors = errors


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value)[:10])
    except ValueError:
        return None


class _Checker:
    """Checks chunks of rows against the database and the rows before them in the file."""

    def __init__(self, *, actor, course: TrainingCourse):
        self.actor, self.course = actor, course
        self.today = today_shanghai()
        self.seen: set[tuple[int, dt.date]] = set()  # (volunteer, day) already planned in this pass

    def chunk(self, chunk) -> tuple[list[RowError], list[_Planned]]:
        numbers = {normalize_volunteer_no(_text(r.data.get("volunteer_no"))) for r in chunk}
        people = {
            v.volunteer_no: v
            for v in Volunteer.objects.visible_to(self.actor)
            .filter(volunteer_no__in=numbers)
            .only("id", "volunteer_no", "region_code")
        }
        held = set(
            TrainingRecord.objects.filter(course=self.course, volunteer__in=[v.pk for v in people.values()]).values_list(
                "volunteer_id", "completed_on"
            )
        )
        errors, planned = [], []
        for r in chunk:
            problem = self._row(r.data, people, held)
            if isinstance(problem, RowError):
                problem.row = r.row
                errors.append(problem)
            else:
                problem.row = r.row
                self.seen.add((problem.volunteer.pk, problem.day))
                planned.append(problem)
        return errors, planned

    def _row(self, d: dict, people: dict, held: set):
        person = people.get(normalize_volunteer_no(_text(d.get("volunteer_no"))))
        if person is None:
            return RowError(0, "volunteer_no", _("志愿者编号不存在或不在您的管辖范围内。"))
        day = _date(d.get("completed_on"))
        if day is None or day > self.today:
            return RowError(0, "completed_on", _("完成日期应为不晚于今天的日期（YYYY-MM-DD）。"))
        hours = self.course.hours
        if _text(d.get("hours")):
            try:
                hours = Decimal(_text(d["hours"])).quantize(Decimal("0.1"))
            except (InvalidOperation, ValueError):
                hours = None
            if hours is None or not Decimal("0") < hours <= Decimal("999"):
                return RowError(0, "hours", _("学时应在 0.1 到 999 之间。"))
        score = None
        if _text(d.get("score")):
            try:
                score = int(float(_text(d["score"])))
            except ValueError:
                score = -1
            if not 0 <= score <= 100:
                return RowError(0, "score", _("成绩应在 0 到 100 之间。"))
        if (person.pk, day) in held or (person.pk, day) in self.seen:
            return RowError(0, "completed_on", _("该志愿者在这一天已有本课程的培训记录。"))
        return _Planned(0, person, day, hours, score)


def _write(*, actor, course: TrainingCourse, planned: list[_Planned]) -> None:
    """The records and their certificates of one chunk (inside the caller's transaction), audited
    once with the count."""
    if not planned:
        return
    records = TrainingRecord.objects.bulk_create(
        [
            TrainingRecord(
                volunteer=p.volunteer,
                course=course,
                source=RecordSource.IMPORT,
                completed_on=p.day,
                hours=p.hours,
                score=p.score,
                region_code=p.volunteer.region_code,
                organization=course.organization,
            )
            for p in planned
        ]
    )
    issuer = course.organization.name if course.organization_id else ""
    TrainingCertificate.objects.bulk_create([certificate_for(record=r, course=course, issuer=issuer) for r in records])
    audit_record(actor=actor, action="training.record.import", obj=course, detail={"rows": len(planned)})


def record_import_rows(
    *,
    actor,
    course: TrainingCourse,
    source: Callable,
    mode: str,
    progress: ProgressFn | None = None,
    keep_errors: bool = True,
    chunk_rows: int | None = None,
) -> ImportReport:
    """Check or import the rows of ``source`` (called once per pass; a context manager over
    ``ImportRow``s) for ``course`` in ``mode`` (module docstring). ``progress(report, phase,
    errors)`` after every chunk. 403 unless the actor manages the course (checked again when a
    queued job runs: a role revoked meanwhile fails the job)."""
    if not can(actor, course, MANAGE):
        raise PermissionDenied(_("您无权为该课程导入培训记录。"))
    if mode not in (DRY_RUN, ALL_OR_NOTHING, VALID_ONLY):
        raise ValueError(f"unknown import mode {mode!r}")
    size = max(1, chunk_rows or settings.ZHIYUAN_IMPORT_CHUNK_ROWS)
    report = ImportReport(dry_run=mode == DRY_RUN, valid_only=mode == VALID_ONLY)

    def done(phase: str, errors: list[RowError]) -> None:
        report.invalid_rows += len({e.row for e in errors})
        if keep_errors:
            report.errors.extend(errors)
        if progress is not None:
            progress(report, phase, errors)

    try:
        checker = _Checker(actor=actor, course=course)
        with source() as rows:
            for chunk in _chunks(rows, size):
                if mode == VALID_ONLY:
                    with transaction.atomic():
                        errors, planned = checker.chunk(chunk)
                        _write(actor=actor, course=course, planned=planned)
                        report.rows += len(chunk)
                        report.valid_rows += len(planned)
                        report.created += len(planned)  # in the chunk's transaction: never ahead of a commit
                        done(IMPORTING, errors)
                else:
                    errors, planned = checker.chunk(chunk)
                    report.rows += len(chunk)
                    report.valid_rows += len(planned)
                    done(CHECKING, errors)
        if mode == ALL_OR_NOTHING and report.rows and not report.invalid_rows:
            _import_all(actor=actor, course=course, source=source, size=size, report=report, done=done)
    except FileRefused as exc:
        report.file_errors.append(exc.message)
    if not report.rows and not report.file_errors:
        report.file_errors.append(_("文件中没有数据行。"))
    if keep_errors:
        report.errors.sort(key=lambda e: e.row)
    return report


def _import_all(*, actor, course, source, size: int, report: ImportReport, done) -> None:
    """The second pass of all-or-nothing. Every chunk is checked again inside its transaction
    (somebody may have recorded one of these trainings since the check pass): a conflict stops
    the import — nothing at all is kept for a file that fits one transaction; for a larger one
    the chunks before stay and the job says how many."""
    whole = report.rows <= settings.ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS
    checker = _Checker(actor=actor, course=course)
    try:
        with transaction.atomic() if whole else nullcontext():
            with source() as rows:
                for chunk in _chunks(rows, size):
                    with transaction.atomic():
                        errors, planned = checker.chunk(chunk)
                        if errors:
                            raise _Stop(errors)
                        _write(actor=actor, course=course, planned=planned)
                        report.created += len(planned)
                        done(IMPORTING, [])
    except _Stop as stop:
        if whole:
            report.created = 0
        else:
            report.stopped = _(
                "导入中途停止：已导入 %(n)s 条，其余未导入。可改用「只导入校验通过的行」重新上传该文件，导入其余的行。"
            ) % {"n": report.created}
        done(IMPORTING, stop.errors)


def record_import_submit(*, actor, course: TrainingCourse, upload, mode: str, client_id: str = "", request=None):
    """The page's and the API's import: 403 unless the actor manages the course, then an import
    job of kind ``training.record`` for it (``import_job_submit``: run at once for a small file,
    else queued). Returns ``(job, created)``."""
    from zhiyuan.volunteers.services.import_jobs import import_job_submit

    if not can(actor, course, MANAGE):
        raise PermissionDenied(_("您无权为该课程导入培训记录。"))
    return import_job_submit(
        actor=actor, upload=upload, mode=mode, client_id=client_id, request=request, kind=KIND, target_id=course.pk
    )


def record_import_job_run(*, job, actor, source, progress) -> ImportReport:
    """An import job of kind ``training.record`` (``import_kinds``): the job's course, the
    uploader's rights on it now, the rows."""
    course = TrainingCourse.objects.select_related("organization").filter(pk=job.target_id).first()
    if course is None:
        raise PermissionDenied(_("课程不存在，导入未执行。"))
    return record_import_rows(actor=actor, course=course, source=source, mode=job.mode, progress=progress, keep_errors=False)


def _refused(message) -> DomainError:
    return DomainError("file_refused", message, fields={"file": [message]}, status=422)


def record_import(*, actor, course: TrainingCourse, fileobj, dry_run: bool = False) -> ImportResult:
    """Check (``dry_run``) or import a file at once, all-or-nothing, without a job (tests, the
    demo seed): ``DomainError("file_refused")`` for a file that cannot be read, else the result
    with every bad row."""
    report = record_import_rows(
        actor=actor,
        course=course,
        source=lambda: sheet_rows(fileobj, layout=RECORD_LAYOUT),
        mode=DRY_RUN if dry_run else ALL_OR_NOTHING,
    )
    if report.file_errors:
        raise _refused(report.file_errors[0])
    return ImportResult(rows=report.rows, written=report.created, errors=[(e.row, str(e.message)) for e in report.errors])

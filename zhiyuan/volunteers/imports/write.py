"""Running an import: the check pass, the import passes (all-or-nothing, valid rows only), in
chunks, with progress and audit."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents
from zhiyuan.volunteers.imports.check import Seen, merge
from zhiyuan.volunteers.imports.columns import (
    ALL_OR_NOTHING,
    CHECKING,
    DRY_RUN,
    IMPORTING,
    MODES,
    PREVIEW_ROWS,
    VALID_ONLY,
    mode_of,
)
from zhiyuan.volunteers.imports.lookups import HitCounter
from zhiyuan.volunteers.imports.read import FileRefused, ImportRow, ParsedFile
from zhiyuan.volunteers.imports.report import ImportReport, RowError, import_audit_detail
from zhiyuan.volunteers.permissions import require_importer
from zhiyuan.volunteers.services.registration import MAX_BATCH, RegistrationInput, volunteer_register_many


class _Stop(Exception):
    """An import pass met errors after the check pass had found none (a race)."""

    def __init__(self, errors: list[RowError]):
        super().__init__("import stopped")
        self.errors = errors


class _Retry(Exception):
    pass


def _chunks(rows: Iterable[ImportRow], size: int) -> Iterator[list[ImportRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _preview_item(row: ImportRow, cleaned: dict) -> dict:
    birth = cleaned.get("birth_date")
    return {
        "row": row.row,
        "name": cleaned["name"],
        "id_type": cleaned["id_type"],
        "id_number_masked": documents.document_mask(cleaned["id_type"], cleaned["id_number"]),
        "gender": cleaned.get("gender") or "0",
        "birth_year": birth.year if birth else None,  # the year only: a preview is not a record
        "region_code": cleaned["region_code"],
    }


ProgressFn = Callable[[ImportReport, str, list[RowError]], None]


class _Importer:
    def __init__(self, *, actor, request, ip, report: ImportReport, progress: ProgressFn | None, keep_errors, chunk_rows):
        self.actor, self.request, self.ip = actor, request, ip
        self.report = report
        self.progress = progress
        self.keep_errors = keep_errors
        self.chunk_rows = max(1, min(chunk_rows, MAX_BATCH))
        self.hits = HitCounter(actor)

    def _register(self, chunk: list[ImportRow], *, commit: bool):
        return volunteer_register_many(
            actor=self.actor, rows=[RegistrationInput(**r.data) for r in chunk], request=self.request, ip=self.ip, commit=commit
        )

    def _done(self, phase: str, errors: list[RowError], ok=()) -> None:
        report = self.report
        report.invalid_rows += len({e.row for e in errors})
        if self.keep_errors:
            report.errors.extend(errors)
        for r, res in ok:
            if len(report.preview) >= PREVIEW_ROWS:
                break
            if res.cleaned is not None:
                report.preview.append(_preview_item(r, res.cleaned))
        if self.progress is not None:
            self.progress(report, phase, errors)

    def check(self, source, seen: Seen) -> None:
        """Validate every row, write nothing (dry run; first pass of all-or-nothing)."""
        with source() as rows:
            for chunk in _chunks(rows, self.chunk_rows):
                flags = seen.flags(chunk)
                results = self._register(chunk, commit=False)
                self.hits.count(chunk, results)
                errors, ok = merge(chunk, results, flags)
                self.report.rows += len(chunk)
                self.report.valid_rows += len(ok)
                self._done(CHECKING, errors, ok)

    def import_all(self, source) -> None:
        """Second pass of all-or-nothing, after a check pass without errors."""
        report = self.report
        whole = report.rows <= settings.ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS
        try:
            with transaction.atomic() if whole else nullcontext():
                with source() as rows:
                    for chunk in _chunks(rows, self.chunk_rows):
                        try:
                            with transaction.atomic():
                                errors, ok = merge(chunk, self._register(chunk, commit=True), {})
                                if errors:
                                    raise _Stop(errors)
                                # In the chunk's transaction: the saved count never lags a commit.
                                report.created += len(ok)
                                self._done(IMPORTING, [])
                        except DomainError as exc:  # a concurrent registration took a number or mobile
                            raise _Stop([RowError(chunk[0].row, "__all__", str(exc.message))]) from None
        except _Stop as stop:
            if whole:
                report.created = 0
            else:
                report.stopped = _(
                    "导入中途停止：已导入 %(n)s 人，其余未导入。可改用「只导入校验通过的行」重新上传该文件，导入其余的行。"
                ) % {"n": report.created}
            self._done(IMPORTING, stop.errors)

    def import_valid(self, source, seen: Seen) -> None:
        """Valid rows only: each chunk's good rows are imported in the chunk's transaction."""
        with source() as rows:
            for chunk in _chunks(rows, self.chunk_rows):
                self._import_valid_chunk(chunk, seen.flags(chunk))

    def _valid_chunk_done(self, chunk, errors: list[RowError], ok) -> None:
        """Count a chunk and save the progress — inside the chunk's transaction when it imported
        rows, so the saved counts never lag behind what is committed (a crash between the two)."""
        report = self.report
        report.rows += len(chunk)
        report.valid_rows += len(ok)
        report.created += len(ok)
        self._done(IMPORTING, errors, ok)

    def _import_valid_chunk(self, chunk, flags, *, again: bool = False) -> None:
        try:
            try:
                with transaction.atomic():
                    results = self._register(chunk, commit=True)
                    if not again:
                        self.hits.count(chunk, results)
                    errors, ok = merge(chunk, results, flags)
                    if sum(res.volunteer is not None for res in results) != len(ok):
                        raise _Retry  # the service imported a row the file check refused: redo without it
                    self._valid_chunk_done(chunk, errors, ok)
                    return
            except _Retry:
                pass
            good = [r for r, _res in ok]
            with transaction.atomic():
                errors2, ok2 = merge(good, self._register(good, commit=True), {}) if good else ([], [])
                self._valid_chunk_done(chunk, errors + errors2, ok2)
        except DomainError as exc:  # a concurrent registration took a number or mobile: once more
            if not again:
                self._import_valid_chunk(chunk, flags, again=True)
                return
            self._valid_chunk_done(chunk, [RowError(r.row, "__all__", str(exc.message)) for r in chunk], [])


def import_rows(
    *,
    actor,
    source: Callable,
    mode: str,
    request=None,
    ip: str | None = None,
    progress: ProgressFn | None = None,
    keep_errors: bool = True,
    chunk_rows: int | None = None,
) -> ImportReport:
    """Check or import the rows of ``source`` (a callable returning a context manager over the
    ``ImportRow``s — called once per pass, e.g. ``lambda: sheet_rows(f)``) in ``mode``
    (``DRY_RUN``, ``ALL_OR_NOTHING``, ``VALID_ONLY``; see the module docstring). ``progress``
    is called after every chunk with the running report, the phase and that chunk's errors;
    with ``keep_errors=False`` the report does not collect them itself.

    Managers only (platform admin, region manager); every row's residence must lie in the
    actor's region (the service refuses others per row). A ``FileRefused`` from the source
    (damaged halfway, too many rows) ends in ``report.file_errors``."""
    require_importer(actor)
    if mode not in MODES:
        raise ValueError(f"unknown import mode {mode!r}")
    from zhiyuan.regions.selectors import address_codes_cached

    report = ImportReport(dry_run=mode == DRY_RUN, valid_only=mode == VALID_ONLY)
    run = _Importer(
        actor=actor, request=request, ip=ip, report=report, progress=progress, keep_errors=keep_errors,
        chunk_rows=chunk_rows or settings.ZHIYUAN_IMPORT_CHUNK_ROWS,
    )  # fmt: skip
    try:
        with Seen() as seen, address_codes_cached():
            if mode == VALID_ONLY:
                run.import_valid(source, seen)
            else:
                run.check(source, seen)
        if mode == ALL_OR_NOTHING and report.rows and not report.invalid_rows:
            with address_codes_cached():
                run.import_all(source)
    except FileRefused as exc:
        report.file_errors.append(exc.message)
    report.duplicate_hits, report.duplicate_hits_outside = run.hits.hits, run.hits.outside
    run.hits.audit(mode=mode, rows=report.rows, request=request, ip=ip)
    if not report.rows and not report.file_errors:
        report.file_errors.append(_("文件中没有数据行。"))
    if keep_errors:
        report.errors.sort(key=lambda e: e.row)
    return report


def import_volunteers(
    *, actor, parsed: ParsedFile, request=None, dry_run: bool = True, valid_only: bool = False, chunk_rows: int | None = None
) -> ImportReport:
    """Check or import a file already read into memory (``import_parse``), with the same engine
    as the import jobs; audited as ``volunteer.import_file``."""
    require_importer(actor)
    mode = mode_of(dry_run=dry_run, valid_only=valid_only)
    if parsed.file_errors:
        report = ImportReport(dry_run=dry_run, valid_only=valid_only, file_errors=list(parsed.file_errors))
    else:
        report = import_rows(
            actor=actor, source=lambda: nullcontext(parsed.rows), mode=mode, request=request, chunk_rows=chunk_rows
        )
    _audit(actor, request, report)
    return report


def _audit(actor, request, report: ImportReport) -> None:
    audit_record(
        actor=actor,
        action="volunteer.import_file",
        object_type="volunteers.volunteer",
        request=request,
        result=AuditEntry.Result.OK if (report.committed or (report.dry_run and report.ok)) else AuditEntry.Result.FAILED,
        detail=import_audit_detail(report),
    )

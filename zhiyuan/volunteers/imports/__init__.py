"""Bulk import of volunteers from an Excel template (SPEC VOL-10).

Flow: download the template (``import_template_xlsx``) → fill one person per row → upload →
the sheet is read as a stream (openpyxl read-only; header names, not positions, pick the
columns) → every row is validated with the registration rules
(``services.volunteer_register_many``: document checksum and birth date, region, scope, guardian
for minors, duplicates against the database through the blind index) plus duplicates inside the
file → a report per row (Excel row number, field, Chinese message).

Uploads run as import jobs (``services/import_jobs.py``: stored encrypted, processed by the
background worker, progress and report on the job); this package is the engine they call,
``import_rows``, and ``import_parse`` / ``import_volunteers`` for a file held in memory.

Modules, in the order a file goes through them:

* ``columns``  — the template's columns, field labels, modes and limits;
* ``template`` — the template workbook managers download;
* ``read``     — opening the upload (``Sheet``, ``sheet_rows``, ``import_parse``) and turning
  each row's cells into the registration service's fields; ``xlsx_stream`` keeps that reading
  flat in memory;
* ``check``    — duplicates across the whole file, merged with the service's per-row results;
* ``write``    — the passes (check, all-or-nothing, valid rows only) in chunks, and the audit;
* ``report``   — ``RowError``, ``ImportReport`` and the report workbook;
* ``guard``    — bounds on an upload (rows and cells that really exist, inflation), checked
  before any parser reads it;
* ``lookups``  — the check is not a free lookup: rate limit, duplicate hits audited, flagged
  when they lie mostly outside the manager's scope.

Decisions:

* **Streaming, in chunks.** Rows are read and processed ``ZHIYUAN_IMPORT_CHUNK_ROWS`` (1,000) at
  a time and each chunk's errors are handed to the caller, so memory does not grow with the
  file. The duplicate check across the whole file keeps the first row of each document and
  mobile in a private temporary SQLite file under keyed hashes (``_Seen``), not in memory.
  (openpyxl keeps a workbook's shared-strings table in memory: Excel-saved files cost about
  100 bytes per distinct text cell; files with inline strings nothing.)
* **Check (dry run)** validates only: nothing is written, not even a volunteer number.
* **All-or-nothing** (the default): a check pass over the whole file first; one bad row and
  nothing is imported. Then an import pass. Files up to ``ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS``
  (5,000) are inserted in one transaction. Larger files are inserted in one transaction per
  chunk: one transaction over 100,000 rows would hold SQLite's write lock (every other
  writer, logins included) or PostgreSQL's volunteer-number counter for minutes, and
  volunteers are never deleted (their consent records are evidence), so there is no undo.
  The check pass makes a failure in the import pass a race — somebody registered one of these
  people or mobiles in the meantime — and then the import stops: the chunks before stay
  imported, the job says how many and which rows conflicted (``stopped``), and the rest can be
  imported with "valid rows only" (rows already imported are reported as registered).
* **Valid rows only**: one pass; each chunk's rows without errors are imported in the chunk's
  transaction, the others reported and skipped.
* **The uploaded file is kept only until its job has run** (encrypted; it holds plaintext ID
  numbers). Reports hold messages only, never cell values.
* Audit: ``volunteer.import`` from the service for each committed chunk; the job service adds
  ``volunteer.import_upload`` and ``volunteer.import_file`` (``import_volunteers`` only the latter).
"""

from zhiyuan.volunteers.imports.columns import (
    ALL_OR_NOTHING,
    CHECKING,
    COLUMNS,
    DRY_RUN,
    FIELD_LABELS,
    HEADER_ROW,
    IMPORTING,
    MODES,
    SHEET_TITLE,
    VALID_ONLY,
    field_label,
    max_rows,
    mode_of,
)
from zhiyuan.volunteers.imports.lookups import check_throttle
from zhiyuan.volunteers.imports.read import FileRefused, ImportRow, ParsedFile, Sheet, import_parse, sheet_rows
from zhiyuan.volunteers.imports.report import ImportReport, RowError, import_audit_detail, report_xlsx
from zhiyuan.volunteers.imports.template import import_template_xlsx
from zhiyuan.volunteers.imports.write import ProgressFn, import_rows, import_volunteers

__all__ = [
    "ALL_OR_NOTHING",
    "CHECKING",
    "COLUMNS",
    "DRY_RUN",
    "FIELD_LABELS",
    "HEADER_ROW",
    "IMPORTING",
    "MODES",
    "SHEET_TITLE",
    "VALID_ONLY",
    "FileRefused",
    "ImportReport",
    "ImportRow",
    "ParsedFile",
    "ProgressFn",
    "RowError",
    "Sheet",
    "check_throttle",
    "field_label",
    "import_audit_detail",
    "import_parse",
    "import_rows",
    "import_template_xlsx",
    "import_volunteers",
    "max_rows",
    "mode_of",
    "report_xlsx",
    "sheet_rows",
]

"""Bulk import of volunteers from an Excel template (SPEC VOL-10).

Flow: download the template (``import_template_xlsx``) → fill one person per row → upload →
the sheet is read as a stream (openpyxl read-only; header names, not positions, pick the
columns) → every row is validated with the registration rules
(``services.volunteer_register_many``: document checksum and birth date, region, scope, guardian
for minors, duplicates against the database through the blind index) plus duplicates inside the
file → a report per row (Excel row number, field, Chinese message).

Uploads run as import jobs (``services/import_jobs.py``: stored encrypted, processed by the
background worker, progress and report on the job); this module is the engine they call,
``import_rows``, and ``import_parse`` / ``import_volunteers`` for a file held in memory.

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

import datetime as dt
import functools
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.core.filecrypt import private_scratch_db
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents, idcards
from zhiyuan.volunteers.idcards import IdType
from zhiyuan.volunteers.models import GuardianConsent
from zhiyuan.volunteers.permissions import require_importer
from zhiyuan.volunteers.services.registration import (
    MAX_BATCH,
    MSG_DUPLICATE_DOCUMENT,
    MSG_DUPLICATE_MOBILE,
    volunteer_register_many,
)
from zhiyuan.volunteers.validation import clean_mobile

HEADER_ROW = 1
SHEET_TITLE = "志愿者"
PREVIEW_ROWS = 20

DRY_RUN = "dry_run"
ALL_OR_NOTHING = "all_or_nothing"
VALID_ONLY = "valid_only"
MODES = (DRY_RUN, ALL_OR_NOTHING, VALID_ONLY)
CHECKING = "checking"
IMPORTING = "importing"


def max_rows() -> int:
    """Data rows per uploaded file (``ZHIYUAN_IMPORT_MAX_ROWS``)."""
    return settings.ZHIYUAN_IMPORT_MAX_ROWS


def mode_of(*, dry_run: bool, valid_only: bool) -> str:
    return DRY_RUN if dry_run else VALID_ONLY if valid_only else ALL_OR_NOTHING


# (key, header in the template, required)
COLUMNS = [
    ("name", gettext_lazy("姓名"), True),
    ("id_type", gettext_lazy("证件类型"), True),
    ("id_number", gettext_lazy("证件号码"), True),
    ("gender", gettext_lazy("性别"), False),
    ("birth_date", gettext_lazy("出生日期"), False),
    ("region_code", gettext_lazy("居住地区划代码"), True),
    ("mobile", gettext_lazy("手机号码"), True),
    ("email", gettext_lazy("电子邮箱"), False),
    ("guardian_name", gettext_lazy("监护人姓名"), False),
    ("guardian_relation", gettext_lazy("监护人关系"), False),
    ("guardian_mobile", gettext_lazy("监护人手机号"), False),
]
FIELD_LABELS = {
    **{k: h for k, h, _r in COLUMNS},
    "guardian": gettext_lazy("监护人"),
    "guardian_consent": gettext_lazy("监护人同意"),
    "accept_privacy": gettext_lazy("隐私政策"),
    "accept_oath": gettext_lazy("志愿者誓词"),
    "password": gettext_lazy("密码"),
    "__all__": gettext_lazy("整行"),
    "file": gettext_lazy("文件"),
}
GENDER_WORDS = {"男": "1", "女": "2", "未说明": "9", "未知": "0"}


def field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


@dataclass
class ImportRow:
    row: int  # Excel row number
    data: dict
    cell_errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ParsedFile:
    rows: list[ImportRow]
    file_errors: list[str] = field(default_factory=list)


@dataclass
class RowError:
    row: int
    field: str
    message: str

    @property
    def field_label(self) -> str:
        return field_label(self.field)

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "field_label": self.field_label, "message": self.message}


@dataclass
class ImportReport:
    dry_run: bool
    valid_only: bool
    rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0  # rows with at least one error
    created: int = 0
    errors: list[RowError] = field(default_factory=list)  # empty when the caller keeps them itself
    file_errors: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)  # masked, first rows that pass
    stopped: str = ""  # why a large all-or-nothing import stopped after committing some chunks

    @property
    def mode(self) -> str:
        return mode_of(dry_run=self.dry_run, valid_only=self.valid_only)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.invalid_rows and not self.stopped

    @property
    def committed(self) -> bool:
        return self.created > 0

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "mode": "valid_only" if self.valid_only else "all_or_nothing",
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "created": self.created,
            "ok": self.ok,
            "file_errors": list(self.file_errors),
            "errors": [e.as_dict() for e in self.errors],
            "preview": self.preview,
        }


class FileRefused(Exception):
    """The file as a whole cannot be imported (not a workbook, columns missing, too many rows)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


# --- template ------------------------------------------------------------------------------------


def _choice_list(choices) -> list[str]:
    return [f"{code} {label}" for code, label in choices]


def import_template_xlsx() -> bytes:
    """The template: a header row, one sample row, drop-downs for document type, gender and
    guardian relation, text format for the number columns, and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = _("志愿者")  # the parser falls back to the first sheet when the title differs
    ws.append([f"{h}*" if req else str(h) for _k, h, req in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    sample = {
        "name": "张三",
        "id_type": f"111 {IdType.RESIDENT_ID.label}",
        "id_number": "11010519491231002X",
        "gender": "",
        "birth_date": "",
        "region_code": "441302001000",
        "mobile": "13800000000",
        "email": "",
        "guardian_name": "",
        "guardian_relation": "",
        "guardian_mobile": "",
    }
    ws.append([sample[k] for k, _h, _r in COLUMNS])
    letters = {k: chr(ord("A") + i) for i, (k, _h, _r) in enumerate(COLUMNS)}
    lists = ws.parent.create_sheet(_("代码表"))
    tables = {
        "id_type": _choice_list(IdType.choices),
        "gender": _choice_list([("1", _("男")), ("2", _("女")), ("9", _("未说明"))]),
        "guardian_relation": _choice_list(GuardianConsent.Relation.choices),
    }
    for col, (key, values) in enumerate(tables.items(), start=1):
        letter = chr(ord("A") + col - 1)
        lists.cell(row=1, column=col, value=str(FIELD_LABELS[key]))
        for i, v in enumerate(values, start=2):
            lists.cell(row=i, column=col, value=v)
        dv = DataValidation(type="list", formula1=f"'{lists.title}'!${letter}$2:${letter}${len(values) + 1}", allow_blank=True)
        dv.error = _("请从下拉列表中选择。")
        ws.add_data_validation(dv)
        dv.add(f"{letters[key]}2:{letters[key]}{max_rows() + 1}")
    for key in ("id_number", "region_code", "mobile", "guardian_mobile", "birth_date"):
        for r in range(2, 202):
            ws[f"{letters[key]}{r}"].number_format = "@"  # text: 18-digit numbers must not become floats
    for key, width in (("id_number", 22), ("region_code", 16), ("mobile", 14), ("id_type", 24), ("name", 12)):
        ws.column_dimensions[letters[key]].width = width
    notes = wb.create_sheet(_("填写说明"))
    for line in (
        _("每行一名志愿者；带*的列必填；请勿修改第一行表头。第2行为示例，导入前请删除。"),
        _("证件类型：从下拉列表选择，或填写代码（111 居民身份证等）。证件号码请以文本格式填写。"),
        _("性别、出生日期：证件号码含有时自动识别，可不填；护照等证件须填写。出生日期格式 YYYY-MM-DD。"),
        _("居住地区划代码：12位统计用区划代码，至少到街道/乡镇；有社区/村数据时须到社区/村。只能导入本人管辖区域内的居民。"),
        _("未满18周岁的须填写监护人姓名、关系和手机号（监护人已线下签署同意书）。"),
        _("导入即表示本人已线下签署个人信息处理同意书和志愿者誓词。每个文件最多%(n)s行。") % {"n": max_rows()},
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- parsing -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _header_names(language: str | None) -> dict[str, str]:
    """{header text: column key}: the Chinese template's headers work whatever the uploader's
    language, and so do the headers of a template downloaded in that language, and the keys."""
    names: dict[str, str] = {}
    for lang in (settings.LANGUAGE_CODE, language or settings.LANGUAGE_CODE):
        with translation.override(lang):
            for key, header, _r in COLUMNS:
                names.setdefault(str(header), key)
    for key, _h, _r in COLUMNS:
        names.setdefault(key, key)
    return names


def _header_key(text) -> str | None:
    t = str(text or "").strip().rstrip("*＊").strip()
    return _header_names(translation.get_language()).get(t)


_CODE_TABLES = {
    "id_type": lambda: IdType.choices,
    "gender": lambda: [("1", ""), ("2", ""), ("9", ""), ("0", "")],
    "guardian_relation": lambda: GuardianConsent.Relation.choices,
}


@functools.lru_cache(maxsize=32)
def _code_table(kind: str, language: str | None) -> tuple[frozenset, dict]:
    """(codes, {label: code}) with the labels in Chinese and in ``language`` — built once, not
    per cell (10⁵ rows)."""
    choices = _CODE_TABLES[kind]()
    labels: dict[str, str] = {}
    for lang in (settings.LANGUAGE_CODE, language or settings.LANGUAGE_CODE):
        with translation.override(lang):
            labels.update({str(label): str(c) for c, label in choices if str(label)})
    return frozenset(str(c) for c, _l in choices), labels


def _code_of(value: str, kind: str) -> str:
    """``111`` / ``111 居民身份证`` / ``居民身份证`` → ``111``; anything else unchanged."""
    codes, labels = _code_table(kind, translation.get_language())
    v = value.strip()
    head = v.split(" ", 1)[0].split("　", 1)[0]
    if head in codes:
        return head
    return labels.get(v, v)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _row_data(values: dict) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    data = {k: _cell_text(values.get(k)) for k, _h, _r in COLUMNS}
    raw_number = values.get("id_number")
    if isinstance(raw_number, int | float) and not isinstance(raw_number, bool):
        # Excel keeps 15 significant digits: an 18-digit number typed as a number is already damaged.
        errors["id_number"] = [_("证件号码须以文本格式填写（数字格式会丢失末尾几位），请将该列设为文本后重新填写。")]
    data["id_type"] = _code_of(data["id_type"], "id_type")
    g = data["gender"]
    data["gender"] = GENDER_WORDS.get(g, _code_of(g, "gender"))
    data["guardian_relation"] = _code_of(data["guardian_relation"], "guardian_relation")
    data["password"] = None
    return data, errors


# --- reading -------------------------------------------------------------------------------------


def _unreadable() -> FileRefused:
    return FileRefused(_("无法读取该文件，请使用导入模板（.xlsx）。"))


def _too_many(n: int) -> FileRefused:
    return FileRefused(_("每个文件最多%(n)s行，请拆分后分批导入。") % {"n": n})


_ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row>")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is)[\s>/]")


class Sheet:
    """The volunteers sheet of an .xlsx file, open for streaming (openpyxl read-only mode): the
    header is checked on opening (``FileRefused``), ``rows()`` yields the data rows. Use as a
    context manager, or ``close()``."""

    def __init__(self, fileobj):
        from zhiyuan.volunteers.xlsx_stream import open_workbook

        try:
            self._wb, self._close = open_workbook(fileobj)
        except Exception:  # openpyxl raises many types for a damaged or foreign file
            raise _unreadable() from None
        try:
            self._ws = self._wb[SHEET_TITLE] if SHEET_TITLE in self._wb.sheetnames else self._wb.worksheets[0]
            self._cells = self._ws.iter_rows(values_only=True)
            header = next(self._cells, None)
            if header is None:
                raise FileRefused(_("文件是空的。"))
            self.positions: dict[str, int] = {}
            for i, text in enumerate(header):
                key = _header_key(text)
                if key and key not in self.positions:
                    self.positions[key] = i
            missing = [str(h) for k, h, req in COLUMNS if req and k not in self.positions]
            if missing:
                raise FileRefused(_("缺少必填列：%(cols)s。请使用导入模板，不要修改表头。") % {"cols": _("、").join(missing)})
        except FileRefused:
            self.close()
            raise
        except Exception:
            self.close()
            raise _unreadable() from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._close()

    def rows(self, *, limit: int | None = None) -> Iterator[ImportRow]:
        """The data rows in order, empty rows skipped; ``FileRefused`` past ``limit`` rows or
        when the file turns out damaged halfway."""
        limit = max_rows() if limit is None else limit
        seen = 0
        n = HEADER_ROW
        while True:
            try:
                cells = next(self._cells, None)
            except Exception:
                raise _unreadable() from None
            if cells is None:
                return
            n += 1
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            seen += 1
            if seen > limit:
                raise _too_many(limit)
            values = {k: (cells[i] if i < len(cells) else None) for k, i in self.positions.items()}
            data, errors = _row_data(values)
            yield ImportRow(n, data, errors)

    def rows_upper_bound(self) -> int | None:
        """Data rows at most, from a fast scan of the sheet's XML (rows holding any value, less
        the header) — for the progress bar and the size limit before the slow parse. Never
        fewer than ``rows()`` yields; None when the sheet cannot be scanned."""
        try:
            src = self._wb._archive.open(self._ws._worksheet_path)  # openpyxl 3.1 read-only internals
        except Exception:
            return None
        count, tail = 0, b""
        with src:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                parts = _ROW_END.split(tail + block)
                tail = parts.pop()
                count += sum(1 for p in parts if _VALUE.search(p))
        return max(count - 1, 0) if count else None


@contextmanager
def sheet_rows(fileobj, *, limit: int | None = None):
    """``with sheet_rows(f) as rows:`` — the data rows of an .xlsx file, streamed."""
    with Sheet(fileobj) as sheet:
        yield sheet.rows(limit=limit)


def import_parse(fileobj, *, max_rows: int | None = None) -> ParsedFile:
    """Read the whole sheet into memory (small files; jobs stream with ``sheet_rows``).
    Columns are found by their header text (order free); empty rows are skipped; a file that
    is not a workbook, lacks a required column or has too many rows gives ``file_errors`` and
    no rows."""
    try:
        with sheet_rows(fileobj, limit=max_rows) as rows:
            parsed = ParsedFile(list(rows))
    except FileRefused as exc:
        return ParsedFile([], [exc.message])
    if not parsed.rows:
        return ParsedFile([], [_("文件中没有数据行。")])
    return parsed


def _document_key(id_type: str, number: str) -> tuple | None:
    """The in-memory duplicate key of a document: type and normalized number (15-digit resident
    IDs as their 18-digit form). No parsing: the registration service validates the number."""
    n = idcards.normalize(number)
    if not n:
        return None
    if id_type == IdType.RESIDENT_ID and len(n) == 15 and n.isdigit():
        n = idcards.upgrade_15(n)
    return (id_type, n)


# The service's own duplicate messages, which the file-wide check above replaces (it names Excel
# rows, and sees across chunks). Same literals as services/registration.py, so same translation.
_SERVICE_DUPLICATES = {
    "id_number": (MSG_DUPLICATE_DOCUMENT, gettext_lazy("与本批第%(n)s条的证件号码重复。")),
    "mobile": (MSG_DUPLICATE_MOBILE, gettext_lazy("与本批第%(n)s条的手机号重复。")),
}


def _is_service_duplicate(field_name: str, message: str) -> bool:
    for template in _SERVICE_DUPLICATES.get(field_name, ()):
        t = str(template)
        if "%(n)s" in t:
            prefix, suffix = t.split("%(n)s", 1)
            if message.startswith(prefix) and message.endswith(suffix):
                return True
        elif message == t:
            return True
    return False


# --- duplicates inside the file --------------------------------------------------------------------


class _Seen:
    """The first Excel row of every document and mobile met so far in the file.

    Kept in a private temporary SQLite database (``filecrypt.private_scratch_db``: on disk in
    the private temporary directory, unlinked at once), so memory stays flat however long the file.
    Keys are 64-bit BLAKE2b digests under a random per-file key that never leaves this
    object — nothing in the file can be brute-forced back to a number."""

    def __init__(self):
        self._key = os.urandom(16)
        self._db = private_scratch_db()
        self._db.execute("CREATE TABLE seen (k INTEGER PRIMARY KEY, row INTEGER NOT NULL)")

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _digest(self, kind: str, value: str) -> int:
        raw = hashlib.blake2b(f"{kind}\x00{value}".encode(), key=self._key, digest_size=8).digest()
        return int.from_bytes(raw, "big", signed=True)

    def _first_rows(self, keys: list[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(self._db.execute(f"SELECT k, row FROM seen WHERE k IN ({marks})", part).fetchall())  # noqa: S608
        return found

    def flags(self, rows: list[ImportRow]) -> dict[int, dict[str, str]]:
        """Rows of ``rows`` repeating an earlier row's document or mobile (this chunk or an
        earlier one): {row: {field: message}}; remembers the rest."""
        keyed: list[tuple[int, str, int]] = []
        for r in rows:
            doc = _document_key(r.data["id_type"], r.data["id_number"]) if "id_number" not in r.cell_errors else None
            if doc is not None:
                keyed.append((r.row, "id_number", self._digest("doc", "\x00".join(doc))))
            mobile, err = clean_mobile(r.data["mobile"])
            if mobile and not err:
                keyed.append((r.row, "mobile", self._digest("mobile", mobile)))
        first = self._first_rows([k for _r, _f, k in keyed])
        new: dict[int, int] = {}
        flags: dict[int, dict[str, str]] = {}
        messages = {"id_number": _("与第%(n)s行的证件号码重复。"), "mobile": _("与第%(n)s行的手机号码重复。")}
        for row, name, k in keyed:
            earlier = first.get(k) or new.get(k)
            if earlier is not None:
                flags.setdefault(row, {})[name] = messages[name] % {"n": earlier}
            else:
                new[k] = row
        self._db.executemany("INSERT INTO seen (k, row) VALUES (?, ?)", new.items())
        return flags


# --- validation and import ------------------------------------------------------------------------


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


def _merge(chunk: list[ImportRow], results, flags) -> tuple[list[RowError], list]:
    """The service's results for ``chunk`` merged with the file's own findings: the errors, and
    the (row, result) pairs of the rows without any."""
    errors: list[RowError] = []
    ok = []
    for r, res in zip(chunk, results, strict=True):
        merged = {k: list(v) for k, v in res.errors.items()}
        # Our own duplicate check sees the whole file and names Excel rows: it replaces the
        # service's batch/database duplicate message for the repeated field.
        for f, msg in flags.get(r.row, {}).items():
            merged[f] = [m for m in merged.get(f, []) if not _is_service_duplicate(f, m)] + [msg]
        for f, msgs in r.cell_errors.items():
            merged[f] = list(msgs)
        for f, msgs in merged.items():
            errors.extend(RowError(r.row, f, str(m)) for m in msgs)
        if not merged:
            ok.append((r, res))
    return errors, ok


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

    def _register(self, chunk: list[ImportRow], *, commit: bool):
        return volunteer_register_many(
            actor=self.actor, rows=[r.data for r in chunk], request=self.request, ip=self.ip, commit=commit
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

    def check(self, source, seen: _Seen) -> None:
        """Validate every row, write nothing (dry run; first pass of all-or-nothing)."""
        with source() as rows:
            for chunk in _chunks(rows, self.chunk_rows):
                flags = seen.flags(chunk)
                errors, ok = _merge(chunk, self._register(chunk, commit=False), flags)
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
                                errors, ok = _merge(chunk, self._register(chunk, commit=True), {})
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

    def import_valid(self, source, seen: _Seen) -> None:
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
                    errors, ok = _merge(chunk, results, flags)
                    if sum(res.volunteer is not None for res in results) != len(ok):
                        raise _Retry  # the service imported a row the file check refused: redo without it
                    self._valid_chunk_done(chunk, errors, ok)
                    return
            except _Retry:
                pass
            good = [r for r, _res in ok]
            with transaction.atomic():
                errors2, ok2 = _merge(good, self._register(good, commit=True), {}) if good else ([], [])
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
        with _Seen() as seen, address_codes_cached():
            if mode == VALID_ONLY:
                run.import_valid(source, seen)
            else:
                run.check(source, seen)
        if mode == ALL_OR_NOTHING and report.rows and not report.invalid_rows:
            with address_codes_cached():
                run.import_all(source)
    except FileRefused as exc:
        report.file_errors.append(exc.message)
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


def import_audit_detail(report: ImportReport) -> dict:
    return {
        "dry_run": report.dry_run,
        "mode": report.mode,
        "rows": report.rows,
        "valid_rows": report.valid_rows,
        "invalid_rows": report.invalid_rows,
        "created": report.created,
        "file_errors": len(report.file_errors),
    }


def _audit(actor, request, report: ImportReport) -> None:
    audit_record(
        actor=actor,
        action="volunteer.import_file",
        object_type="volunteers.volunteer",
        request=request,
        result=AuditEntry.Result.OK if (report.committed or (report.dry_run and report.ok)) else AuditEntry.Result.FAILED,
        detail=import_audit_detail(report),
    )


def report_xlsx(*, errors: Iterable, file_errors: Iterable[str] = (), summary: dict | None = None) -> bytes:
    """The report as a workbook: row, field, message (``errors``: anything with ``row``/
    ``field``/``message`` attributes — ``RowError``s, ``ImportJobError``s — streamed, so a
    report of 10⁵ rows costs no more memory than one), plus a summary sheet."""
    from openpyxl import Workbook

    from zhiyuan.volunteers.services.export import excel_safe

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("校验报告"))
    ws.append([_("行号"), _("字段"), _("问题")])
    for msg in file_errors:
        ws.append(["", field_label("file"), excel_safe(str(msg))])
    for e in errors:
        ws.append([e.row, excel_safe(field_label(e.field)), excel_safe(str(e.message))])
    sheet = wb.create_sheet(_("汇总"))
    labels = ((_("数据行"), "rows"), (_("校验通过"), "valid_rows"), (_("有错误的行"), "invalid_rows"), (_("已导入"), "created"))
    for label, key in labels:
        sheet.append([label, (summary or {}).get(key, 0)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

"""Reading an uploaded workbook: the volunteers sheet, its header, and each row's cells as the
registration service's fields (code-table labels to codes, numbers typed as numbers refused)."""

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.volunteers.codes import Gender, IdType
from zhiyuan.volunteers.imports import guard
from zhiyuan.volunteers.imports.columns import COLUMNS, HEADER_ROW, SHEET_TITLE, max_rows
from zhiyuan.volunteers.models import GuardianConsent


@dataclass
class ImportRow:
    row: int  # Excel row number
    data: dict
    cell_errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ParsedFile:
    rows: list[ImportRow]
    file_errors: list[str] = field(default_factory=list)


class FileRefused(Exception):
    """The file as a whole cannot be imported (not a workbook, columns missing, too many rows)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class SheetLayout:
    """What a reader takes from a workbook: its columns ``(key, header, required)``, the sheet
    (by title, else the first), the header row (``None``: the first row holding anything) and how
    a row's cells become data (``row_data(values) -> (data, cell errors)``; ``None``: the cells
    as they are). The volunteers' template is ``VOLUNTEER_LAYOUT``; other imports that run as
    import jobs (training records) declare their own."""

    columns: Sequence[tuple[str, object, bool]]
    sheet_title: str | None = None
    header_row: int | None = None
    row_data: Callable[[dict], tuple[dict, dict]] | None = None
    missing_hint: object = ""  # said after the missing columns, e.g. "use the template"
    aliases: tuple[tuple[str, str], ...] = ()  # (other header text, column key)


@functools.lru_cache(maxsize=16)
def _header_names(language: str | None, layout: "SheetLayout") -> dict[str, str]:
    """{header text: column key}: the Chinese template's headers work whatever the uploader's
    language, and so do the headers of a template downloaded in that language, and the keys."""
    names: dict[str, str] = {}
    for lang in (settings.LANGUAGE_CODE, language or settings.LANGUAGE_CODE):
        with translation.override(lang):
            for key, header, _r in layout.columns:
                names.setdefault(str(header), key)
    for key, _h, _r in layout.columns:
        names.setdefault(key, key)
    for alias, key in layout.aliases:
        names.setdefault(alias, key)
    return names


def _header_key(text, layout: "SheetLayout") -> str | None:
    t = str(text or "").strip().rstrip("*＊").strip()
    return _header_names(translation.get_language(), layout).get(t)


_CODE_TABLES = {
    "id_type": lambda: IdType.choices,
    "gender": lambda: Gender.choices,
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
    data["gender"] = _code_of(data["gender"], "gender")
    data["guardian_relation"] = _code_of(data["guardian_relation"], "guardian_relation")
    data["password"] = None
    return data, errors


VOLUNTEER_LAYOUT = SheetLayout(
    columns=tuple(COLUMNS),
    sheet_title=SHEET_TITLE,
    header_row=HEADER_ROW,
    row_data=_row_data,
    missing_hint=gettext_lazy("请使用导入模板，不要修改表头。"),
)


def _unreadable() -> FileRefused:
    return FileRefused(_("无法读取该文件，请使用导入模板（.xlsx）。"))


def _too_many(n: int) -> FileRefused:
    return FileRefused(_("每个文件最多%(n)s行，请拆分后分批导入。") % {"n": n})


class Sheet:
    """The volunteers sheet of an .xlsx file (or the sheet ``layout`` names), open for streaming
    (openpyxl read-only mode): the file's bounds (``guard``) and the header are checked on
    opening (``FileRefused``), ``rows()`` yields the data rows. Use as a context manager, or
    ``close()``."""

    def __init__(self, fileobj, layout: SheetLayout = VOLUNTEER_LAYOUT):
        from zhiyuan.volunteers.imports.xlsx_stream import open_workbook

        self.layout = layout

        try:
            self._wb, self._close = open_workbook(fileobj, before_read=guard.archive_check)
        except guard.WorkbookRefused as exc:
            raise FileRefused(exc.message) from None
        except Exception:  # openpyxl raises many types for a damaged or foreign file
            raise _unreadable() from None
        try:
            title = layout.sheet_title
            self._ws = self._wb[title] if title and title in self._wb.sheetnames else self._wb.worksheets[0]
            with self._wb._archive.open(self._ws._worksheet_path) as src:  # openpyxl 3.1 read-only internals
                self._scan = guard.sheet_scan(src)
            self._rows = self._ws.parsed_rows()
            first = next(self._rows, None)
            if first is None:
                raise FileRefused(_("文件是空的。"))
            header = self._ws.row_values(first[1]) if layout.header_row in (None, first[0]) else ()
            self.positions: dict[str, int] = {}
            for i, text in enumerate(header):
                key = _header_key(text, layout)
                if key and key not in self.positions:
                    self.positions[key] = i
            missing = [str(h) for k, h, req in layout.columns if req and k not in self.positions]
            if missing:
                raise FileRefused(_("缺少必填列：%(cols)s。") % {"cols": _("、").join(missing)} + str(layout.missing_hint))
            self._width = max(self.positions.values()) + 1
        except guard.WorkbookRefused as exc:
            self.close()
            raise FileRefused(exc.message) from None
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
        """The data rows in order (their Excel row numbers; rows absent from the file are never
        visited, empty ones skipped), only the template's columns of each; ``FileRefused`` past
        ``limit`` rows or when the file turns out damaged halfway."""
        limit = max_rows() if limit is None else limit
        seen = 0
        while True:
            try:
                found = next(self._rows, None)
                if found is None:
                    return
                n, cells = found[0], self._ws.row_values(found[1], width=self._width)
            except Exception:
                raise _unreadable() from None
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            seen += 1
            if seen > limit:
                raise _too_many(limit)
            values = {k: cells[i] for k, i in self.positions.items()}
            data, errors = self.layout.row_data(values) if self.layout.row_data else (values, {})
            yield ImportRow(n, data, errors)

    def rows_upper_bound(self) -> int | None:
        """Data rows at most, from the bounds scan of the sheet's XML (rows holding any value,
        less the header) — for the progress bar and the size limit before the slow parse. Never
        fewer than ``rows()`` yields; None when the sheet holds no value at all."""
        count = self._scan.rows_with_values
        return max(count - 1, 0) if count else None


@contextmanager
def sheet_rows(fileobj, *, limit: int | None = None, layout: SheetLayout = VOLUNTEER_LAYOUT):
    """``with sheet_rows(f) as rows:`` — the data rows of an .xlsx file, streamed."""
    with Sheet(fileobj, layout) as sheet:
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

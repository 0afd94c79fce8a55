"""Bounds on an uploaded workbook, checked before any parser reads a row (issue #8).

A few kilobytes of .xlsx can cost a reader minutes: a cell at row 900,000,000 (readers fill the
gap with empty rows), millions of empty rows deflated 1000:1, one endless row, a shared-strings
table that inflates to gigabytes. ``workbook_check`` refuses such a file in one linear pass
over its bytes, with a message, before ``read.Sheet`` parses it; what passes is bounded by the
rows and cells that really exist:

* **The archive** (central directory only, no inflating): every part inflates to at most
  ``ZHIYUAN_IMPORT_MAX_PART_MB``, and a part over 1 MB to at most ``ZHIYUAN_IMPORT_MAX_RATIO``
  times its compressed size (real sheets: 8–15; a deflate bomb: ~1000). ``zipfile`` stops
  inflating at the declared size, so a lying directory cannot get past this.
* **The sheet**, scanned as bytes (never parsed): row numbers within Excel's grid
  (1,048,576) and within the sheet's declared ``<dimension>``, strictly increasing; at most
  16,384 cells (none beyond column ZZZ) and ``ROW_MAX_BYTES`` of XML in one row, one tag at most ``TAG_MAX_BYTES`` — so the
  scan holds at most one tag of the file however the file is shaped, and takes time linear in
  its size (an unterminated row is refused once it passes the row bound, not rescanned).
  The scan also counts the rows holding a value: the upper bound used for the row limit and the
  progress bar.

The parser then skips the gaps between real rows instead of yielding empty ones
(``xlsx_stream``), and reads only the template's columns of each row.
"""

import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
ROW_MAX_BYTES = 1 << 20  # 16,384 cells of ~60 bytes; a template row is under 1 KB
TAG_MAX_BYTES = 64 * 1024
BLOCK = 1 << 20
RATIO_FROM_BYTES = 1 << 20

_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s>/])([^<>]*?)(/?)>")
_ROW_NUMBER = re.compile(rb'\sr\s*=\s*["\']([0-9]{1,12})["\']')
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^<>]*?\sref\s*=\s*[\"']([A-Za-z0-9:$]{1,40})[\"']")
_ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row\s*>")
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>/])")
# A cell reference of four or more letters lies beyond every column a reader will size a row by.
_FAR_COLUMN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^<>]*?\br\s*=\s*[\"']\$?[A-Za-z]{4,}")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is)[\s>]")
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


class WorkbookRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


def _hostile() -> WorkbookRefused:
    return WorkbookRefused(_("文件结构异常（行号、列数或压缩比超出范围），无法导入。请使用导入模板重新填写后上传。"))


@dataclass
class SheetScan:
    rows_with_values: int  # rows holding at least one value, the header included
    last_row: int  # the highest row number


def archive_check(archive: zipfile.ZipFile) -> None:
    """Refuse a part that would inflate beyond the limits (see the module docstring)."""
    part_max = settings.ZHIYUAN_IMPORT_MAX_PART_MB << 20
    ratio = settings.ZHIYUAN_IMPORT_MAX_RATIO
    for info in archive.infolist():
        if info.file_size > part_max:
            raise _hostile()
        if info.file_size > RATIO_FROM_BYTES and info.file_size > ratio * max(info.compress_size, 1):
            raise _hostile()


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _dimension_bounds(ref: str) -> tuple[int, int] | None:
    """(last row, last column) of a declared dimension spanning more than one cell, else None
    (writers that do not know the size declare ``A1``)."""
    parts = [_REF.fullmatch(p) for p in ref.split(":")]
    if len(parts) != 2 or not all(parts):
        return None
    rows = [int(p.group(2)) for p in parts]
    cols = [_column_number(p.group(1)) for p in parts]
    if max(rows) > EXCEL_MAX_ROWS or max(cols) > EXCEL_MAX_COLUMNS:
        raise _hostile()
    return max(rows), max(cols)


class _Scanner:
    def __init__(self):
        self.bounds: tuple[int, int] | None = None
        self.seen_dimension = False
        self.rows = 0
        self.rows_with_values = 0
        self.last_row = 0
        self.in_row = False
        self.row_bytes = 0
        self.row_cells = 0
        self.row_value = False

    def _row_content(self, segment: bytes) -> None:
        if not self.in_row:
            return
        end = _ROW_END.search(segment)
        if end is not None:
            segment = segment[: end.start()]
        self.row_bytes += len(segment)
        self.row_cells += len(_CELL_START.findall(segment))
        if self.row_bytes > ROW_MAX_BYTES or self.row_cells > EXCEL_MAX_COLUMNS or _FAR_COLUMN.search(segment):
            raise _hostile()
        if not self.row_value and _VALUE.search(segment):
            self.row_value = True
        if end is not None:
            self._row_end()

    def _row_end(self) -> None:
        if self.in_row and self.row_value:
            self.rows_with_values += 1
        self.in_row = False

    def _row_start(self, attrs: bytes, closed: bool) -> None:
        self._row_end()
        self.rows += 1
        found = _ROW_NUMBER.search(attrs)
        number = int(found.group(1)) if found else self.last_row + 1
        if number <= self.last_row or number > EXCEL_MAX_ROWS or self.rows > EXCEL_MAX_ROWS:
            raise _hostile()
        if self.bounds is not None and number > self.bounds[0]:
            raise _hostile()
        self.last_row = number
        self.in_row, self.row_bytes, self.row_cells, self.row_value = not closed, 0, 0, False

    def feed(self, data: bytes) -> None:
        pos = 0
        for m in _ROW_START.finditer(data):
            before = data[pos : m.start()]
            if not self.seen_dimension and not self.rows:
                self._dimension(before)
            self._row_content(before)
            self._row_start(m.group(1), closed=m.group(2) == b"/")
            pos = m.end()
        rest = data[pos:]
        if not self.seen_dimension and not self.rows:
            self._dimension(rest)
        self._row_content(rest)

    def _dimension(self, data: bytes) -> None:
        found = _DIMENSION.search(data)
        if found:
            self.seen_dimension = True
            self.bounds = _dimension_bounds(found.group(1).decode("ascii"))

    def finish(self) -> SheetScan:
        self._row_end()
        return SheetScan(rows_with_values=self.rows_with_values, last_row=self.last_row)


def sheet_scan(src) -> SheetScan:
    """One pass over a worksheet part's bytes (a file object); ``WorkbookRefused`` on the first
    bound it breaks. Holds at most one block and one unfinished tag."""
    scanner = _Scanner()
    pending = b""
    while True:
        block = src.read(BLOCK)
        if not block:
            break
        data = pending + block
        cut = data.rfind(b"<")
        if cut != -1 and data.find(b">", cut) == -1:
            pending, data = data[cut:], data[:cut]
            if len(pending) > TAG_MAX_BYTES:
                raise _hostile()
        else:
            pending = b""
        scanner.feed(data)
    if pending:
        scanner.feed(pending)
    return scanner.finish()

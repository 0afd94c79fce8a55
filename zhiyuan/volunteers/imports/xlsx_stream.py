"""Reading an .xlsx file as a stream with flat memory (VOL-10 import, ``imports.Sheet``).

openpyxl's read-only mode streams the rows, but out of the box

1. keeps a workbook's whole shared-strings table in a list: Excel and WPS store every text cell
   there, so a file of 10⁵ people costs ~3 × 10⁵ strings (~30 MB) before the first row;
2. sizes every sheet that has no ``<dimension>`` element (files written by openpyxl itself and
   by many exporters) by parsing the whole sheet — once per opening, seconds per 10⁵ rows;
3. fills every gap between two rows with empty rows (``iter_rows``): one cell at row 900,000,000
   is 900 million rows to step through (issue #8).

``open_workbook`` fixes all three: the shared strings go to a private temporary SQLite database (on
disk in ``FILE_UPLOAD_TEMP_DIR``, unlinked at once; a small cache in front, since region codes and document types
repeat), sheets are left unsized (streaming needs no size), and ``parsed_rows`` yields only
the rows present in the file, with their numbers. It uses openpyxl 3.1's reader
classes (pinned in requirements.txt); ``test_import_jobs.py`` reads both kinds of file.
"""

from collections.abc import Callable

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from zhiyuan.core.filecrypt import private_scratch_db

STRING_TAG = "{%s}si" % SHEET_MAIN_NS  # noqa: UP031
DATA_TAG = "{%s}sheetData" % SHEET_MAIN_NS  # noqa: UP031
ROW_TAG = "{%s}row" % SHEET_MAIN_NS  # noqa: UP031
BATCH = 5000


class DiskStrings:
    """A shared-strings table, indexable like openpyxl's list, kept in SQLite and read from the
    archive only as far as asked for: opening a workbook to look at its header costs a few
    strings, not the whole table (Excel numbers strings in order of first use)."""

    CACHE_SIZE = 4096

    def __init__(self, src):
        self._src = src
        self._events = iterparse(src, events=("start", "end"))
        self._root = None
        self._db = private_scratch_db()  # the strings are cell values: names, document numbers
        self._db.execute("CREATE TABLE s (i INTEGER PRIMARY KEY, t TEXT NOT NULL)")
        self._cache: dict[int, str] = {}
        self._loaded = 0

    def _load_past(self, index: int) -> None:
        batch: list[tuple[int, str]] = []
        for event, node in self._events:
            if event == "start":
                self._root = self._root if self._root is not None else node
                continue
            if node.tag == STRING_TAG:
                # the same as openpyxl.reader.strings.read_string_table, one string at a time
                batch.append((self._loaded, Text.from_tree(node).content.replace("x005F_", "")))
                self._root.clear()  # drop the parsed <si> (iterparse keeps it attached otherwise)
                self._loaded += 1
                if len(batch) >= BATCH:
                    break
        self._db.executemany("INSERT INTO s VALUES (?, ?)", batch)
        if not batch:
            self._events = iter(())  # the table is read to its end

    def __getitem__(self, index: int) -> str:
        text = self._cache.get(index)
        if text is not None:
            return text
        while index >= self._loaded:
            loaded = self._loaded
            self._load_past(index)
            if self._loaded == loaded:
                raise IndexError(index)
        found = self._db.execute("SELECT t FROM s WHERE i = ?", (index,)).fetchone()
        if found is None:
            raise IndexError(index)
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()
        self._cache[index] = found[0]
        return found[0]

    def close(self) -> None:
        self._db.close()
        self._src.close()


class _RowParser(WorkSheetParser):
    """Rows only (values-only streaming needs nothing else), and each parsed row is dropped from
    the tree: ElementTree's ``iterparse`` keeps every cleared element attached to its parent, so
    openpyxl's own parser grows by ~80 bytes a row."""

    def parse(self):
        data = None
        for event, element in iterparse(self.source, events=("start", "end")):
            if event == "start":
                if element.tag == DATA_TAG:
                    data = element
            elif element.tag == ROW_TAG:
                row = self.parse_row(element)
                element.clear()
                if data is not None:
                    data.clear()
                yield row


class _UnsizedSheet(ReadOnlyWorksheet):
    def _get_size(self):
        pass  # max_row/max_column stay None: the sheet is streamed, never sized

    def parsed_rows(self):
        """``(row number, cells)`` of the rows present in the sheet, in order: unlike
        ``iter_rows`` the gaps between them are not filled with empty rows (a cell at row
        900,000,000 is one row, not 900 million; issue #8)."""
        with self._get_source() as src:
            parser = _RowParser(
                src,
                self._shared_strings,
                data_only=self.parent.data_only,
                epoch=self.parent.epoch,
                date_formats=self.parent._date_formats,
                timedelta_formats=self.parent._timedelta_formats,
            )
            yield from parser.parse()

    def row_values(self, cells, *, width: int | None = None) -> tuple:
        """The values of a parsed row: its first ``width`` columns, or as far as its last cell."""
        return tuple(self._get_row(cells, 1, width, values_only=True))


class _StreamReader(ExcelReader):
    def read_strings(self):
        self.shared_strings = []
        ct = self.package.find(SHARED_STRINGS)
        if ct is not None:
            self.shared_strings = DiskStrings(self.archive.open(ct.PartName[1:]))

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            ws = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def open_workbook(fileobj, *, before_read: Callable | None = None) -> tuple[object, Callable[[], None]]:
    """``(workbook, close)``: a read-only, values-only workbook and the function that closes it
    and its strings table. ``before_read(zipfile)`` may refuse the archive before any part of it
    is inflated."""
    reader = _StreamReader(fileobj, read_only=True, data_only=True, keep_links=False)
    try:
        if before_read is not None:
            before_read(reader.archive)
        reader.read()
    except BaseException:
        reader.archive.close()
        if isinstance(getattr(reader, "shared_strings", None), DiskStrings):
            reader.shared_strings.close()
        raise
    wb, strings = reader.wb, reader.shared_strings

    def close() -> None:
        wb.close()
        if isinstance(strings, DiskStrings):
            strings.close()

    return wb, close

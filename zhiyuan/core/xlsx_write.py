"""A streamed .xlsx writer for exports (ARCHITECTURE rule 9: nothing per request grows with the data).

openpyxl's write-only mode keeps memory flat but writes the whole sheet to a temporary file and
zips it at ``save()``: the first byte reaches the browser only after the last row was read. Here
the workbook is a ZIP written to a non-seekable stream (``zipfile`` uses data descriptors), the
sheet with inline strings, so bytes leave as rows are produced and memory stays at one chunk.
Excel, WPS, LibreOffice and openpyxl read it (``core/tests/test_lists.py`` reads it back).
"""

import functools
import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FLUSH_BYTES = 256 * 1024

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def _workbook(title: str) -> str:
    name = escape(_ILLEGAL.sub("", title)[:31].translate(str.maketrans("", "", "[]:*?/\\")) or "Sheet1")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


@functools.lru_cache(maxsize=8192)
def _text_cell(value: str) -> str:
    # Exports repeat values (labels, regions, statuses): the cache saves most escaping.
    if not value:
        return "<c/>"
    text = escape(_ILLEGAL.sub("", value))
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _cell(value) -> str:
    if type(value) is str:
        return _text_cell(value)
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value}</v></c>"
    return _text_cell(str(value))


class _Pipe:
    """A write-only, non-seekable file that hands what was written to the caller."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, b) -> int:
        self.parts.append(bytes(b))
        self.size += len(b)
        return len(b)

    def flush(self):
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def xlsx_stream(title: str, header: list, rows: Iterable[list]) -> Iterator[bytes]:
    """The bytes of a one-sheet workbook, yielded while ``rows`` is consumed."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", _workbook(title))
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            buf = [SHEET_HEAD, "<row>", *(_cell(str(h)) for h in header), "</row>"]
            size = 0
            for row in rows:
                line = "<row>" + "".join(_cell(v) for v in row) + "</row>"
                buf.append(line)
                size += len(line)
                if size >= FLUSH_BYTES:
                    sheet.write("".join(buf).encode())
                    buf, size = [], 0
                    chunk = pipe.take()
                    if chunk:
                        yield chunk
            buf.append(SHEET_TAIL)
            sheet.write("".join(buf).encode())
    yield pipe.take()

"""Hostile .xlsx files (issue #8): small uploads that cost a reader far more than their size.

Each builder returns the bytes of a workbook whose header row is the import template's, so only
the hostile part can refuse it. Used by ``test_import_hostile_files.py`` and
``bench/xlsx_readers.py``."""

import functools
import io
import zipfile
from collections.abc import Callable

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADER = ["姓名*", "证件类型*", "证件号码*", "性别", "出生日期", "居住地区划代码*", "手机号码*", "电子邮箱"]


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> bytes:
    return ('<row r="1">' + "".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADER)) + "</row>").encode()


def workbook(
    sheet_data: bytes, *, dimension: str = "", shared_strings: bytes | None = None, close: bool = True, stored: bool = False
) -> bytes:
    """An .xlsx with one sheet 「志愿者」 whose ``<sheetData>`` holds ``sheet_data`` (after the
    header row); ``close=False`` leaves the sheet's XML unterminated; ``stored`` does not
    compress (so only the sheet's shape, not its inflation ratio, is hostile)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        shared_ct = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>' if shared_strings else ""
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>{shared_ct}</Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets><sheet name="志愿者" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        shared_rel = f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>' if shared_strings else ""
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/worksheet" '
            f'Target="worksheets/sheet1.xml"/>{shared_rel}</Relationships>',
        )
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        head = f'<worksheet xmlns="{NS}">{dim}<sheetData>'.encode()
        tail = b"</sheetData></worksheet>" if close else b""
        z.writestr("xl/worksheets/sheet1.xml", head + header_row() + sheet_data + tail)
        if shared_strings:
            z.writestr("xl/sharedStrings.xml", shared_strings)
    return buf.getvalue()


@functools.cache
def far_row() -> bytes:
    """One cell at row 900,000,000 (4.9 KB in the issue): readers fill the gap with empty rows."""
    return workbook(('<row r="900000000">' + _cell("A900000000", "张三") + "</row>").encode())


@functools.cache
def empty_rows() -> bytes:
    """A million empty rows in ~30 KB (the issue's 58 KB had four million): nothing to import,
    minutes of parsing."""
    return workbook(b"<row><c/></row>" * 1_000_000)


@functools.cache
def unterminated_row() -> bytes:
    """One row of 400,000 cells that never ends, uncompressed (15 MB): a reader that splits rows
    on ``</row>`` rescans a growing remainder (quadratic), a tree parser holds the whole row."""
    return workbook(b'<row r="2">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 400_000, close=False, stored=True)


@functools.cache
def wide_cell() -> bytes:
    """A cell beyond Excel's last column (XFD): readers size the row by its column."""
    return workbook(('<row r="2">' + _cell("ZZZZ2", "x") + "</row>").encode())


@functools.cache
def outside_dimension() -> bytes:
    """A sheet that declares A1:H2 and holds rows far beyond it."""
    rows = "".join(f'<row r="{r}">{_cell(f"A{r}", "张三")}</row>' for r in (2, 500_000))
    return workbook(rows.encode(), dimension="A1:H2")


@functools.cache
def string_bomb() -> bytes:
    """A shared-strings table of 20 MB in 20 KB (a deflate bomb in the part every cell points
    into; the ratio, not the size, gives it away)."""
    body = f'<sst xmlns="{NS}">'.encode() + b"<si><t>" + b"A" * 20_000_000 + b"</t></si></sst>"
    return workbook(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>', shared_strings=body)


@functools.cache
def far_but_real_row() -> bytes:
    """Not hostile: a value in row 1,000,000, inside Excel's grid — read as one row, not a million."""
    return workbook(('<row r="1000000">' + _cell("A1000000", "张三") + "</row>").encode())


ALL: dict[str, Callable[[], bytes]] = {
    "far_row": far_row,
    "empty_rows": empty_rows,
    "unterminated_row": unterminated_row,
    "wide_cell": wide_cell,
    "outside_dimension": outside_dimension,
    "string_bomb": string_bomb,
}

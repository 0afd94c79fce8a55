"""Reading an insurer's list of insured people (FUN-4): name, document number, optionally
document type and mobile. Reuses the volunteer import's machinery (``volunteers.imports``): the
hostile-file bounds (``guard.archive_check`` before anything is inflated, ``guard.sheet_scan``
before any row is parsed), the flat-memory reader (``xlsx_stream.open_workbook``), ``FileRefused``
and ``RowError`` and the report workbook. Lists are small (one policy's people): they are read
into memory in the request, up to ``ZHIYUAN_INSURANCE_IMPORT_MAX_ROWS`` rows.

Headers are found by their text (order free): 「姓名」, 「证件号码」 (or 「身份证号」/「身份证号码」),
「证件类型」 (optional, 居民身份证 by default), 「手机号码」 (optional, not stored: insurers add it;
the match is by document number alone). Cell values are never kept in a report."""

import datetime as dt
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.volunteers.idcards import IdType
from zhiyuan.volunteers.imports import guard
from zhiyuan.volunteers.imports.read import FileRefused
from zhiyuan.volunteers.imports.report import RowError

HEADER_ROW = 1
SHEET_TITLE = "被保险人"
COLUMNS = [
    ("name", gettext_lazy("姓名"), True),
    ("id_type", gettext_lazy("证件类型"), False),
    ("id_number", gettext_lazy("证件号码"), True),
    ("mobile", gettext_lazy("手机号码"), False),
]
ALIASES = {"身份证号": "id_number", "身份证号码": "id_number", "证件号": "id_number", "被保险人姓名": "name", "手机号": "mobile"}
FIELD_LABELS = {k: h for k, h, _r in COLUMNS}


def number_as_text() -> str:
    return _("证件号码须以文本格式填写（数字格式会丢失末尾几位），请将该列设为文本后重新填写。")


def field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key, _("文件") if key == "file" else key))


@dataclass
class ListRow:
    row: int
    name: str
    id_type: str
    id_number: str
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message)


def max_rows() -> int:
    return settings.ZHIYUAN_INSURANCE_IMPORT_MAX_ROWS


def _header_key(text) -> str | None:
    t = str(text or "").strip().rstrip("*＊").strip()
    for key, header, _r in COLUMNS:
        if t in (str(header), key):
            return key
    return ALIASES.get(t)


def _id_type(value: str) -> str:
    v = value.strip()
    if not v:
        return IdType.RESIDENT_ID
    head = v.split(" ", 1)[0]
    if head in IdType.values:
        return head
    labels = {str(label): code for code, label in IdType.choices}
    return labels.get(v, v)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def read_list(fileobj) -> list[ListRow]:
    """The data rows of an insurer's list; ``FileRefused`` for a file that cannot be read as
    one (not a workbook, hostile bounds, missing columns, empty, too many rows)."""
    from zhiyuan.volunteers.imports.xlsx_stream import open_workbook

    try:
        wb, close = open_workbook(fileobj, before_read=guard.archive_check)
    except guard.WorkbookRefused as exc:
        raise FileRefused(exc.message) from None
    except Exception:  # openpyxl raises many types for a damaged or foreign file
        raise FileRefused(_("无法读取该文件，请上传保险公司提供的被保险人名单（.xlsx）。")) from None
    try:
        ws = wb[SHEET_TITLE] if SHEET_TITLE in wb.sheetnames else wb.worksheets[0]
        with wb._archive.open(ws._worksheet_path) as src:  # openpyxl 3.1 read-only internals, as imports.read
            scan = guard.sheet_scan(src)
        if scan.rows_with_values - 1 > max_rows():
            raise FileRefused(_("每个名单最多%(n)s行，请拆分后分批导入。") % {"n": max_rows()})
        rows = ws.parsed_rows()
        first = next(rows, None)
        if first is None or first[0] != HEADER_ROW:
            raise FileRefused(_("文件是空的。"))
        positions: dict[str, int] = {}
        for i, text in enumerate(ws.row_values(first[1])):
            key = _header_key(text)
            if key and key not in positions:
                positions[key] = i
        missing = [str(h) for k, h, req in COLUMNS if req and k not in positions]
        if missing:
            raise FileRefused(_("缺少必填列：%(cols)s。") % {"cols": _("、").join(missing)})
        width = max(positions.values()) + 1
        out: list[ListRow] = []
        for n, cells in rows:
            values = ws.row_values(cells, width=width)
            if all(c is None or str(c).strip() == "" for c in values):
                continue
            raw = {k: values[i] for k, i in positions.items()}
            row = ListRow(n, _text(raw.get("name")), _id_type(_text(raw.get("id_type"))), _text(raw.get("id_number")))
            if isinstance(raw.get("id_number"), int | float) and not isinstance(raw.get("id_number"), bool):
                row.errors.append(("id_number", number_as_text()))
            out.append(row)
            if len(out) > max_rows():
                raise FileRefused(_("每个名单最多%(n)s行，请拆分后分批导入。") % {"n": max_rows()})
    except guard.WorkbookRefused as exc:
        raise FileRefused(exc.message) from None
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(_("无法读取该文件，请上传保险公司提供的被保险人名单（.xlsx）。")) from None
    finally:
        close()
    if not out:
        raise FileRefused(_("文件中没有数据行。"))
    return out


def list_template_xlsx() -> bytes:
    """An empty list with the headers, for organizations that type the list themselves."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append([f"{h}{'*' if req else ''}" for _k, h, req in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["COLUMNS", "FileRefused", "ListRow", "RowError", "field_label", "list_template_xlsx", "read_list"]

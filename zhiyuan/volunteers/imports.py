"""Bulk import of volunteers from an Excel template (SPEC VOL-10).

Flow: download the template (``import_template_xlsx``) → fill one person per row → upload →
``import_parse`` reads the sheet (header names, not positions, pick the columns) →
``import_volunteers`` validates every row with the registration rules
(``services.volunteer_register_many``: document checksum and birth date, region, scope, guardian
for minors, duplicates against the database through the blind index) plus duplicates inside the
file, and reports per row (Excel row number, field, Chinese message).

Decisions:

* **Dry run first.** ``dry_run=True`` runs the real registration inside a transaction that is
  rolled back, so the check is exactly what the import would do (nothing is kept, the volunteer
  number counter included).
* **All-or-nothing by default.** One bad row and nothing is saved; the report lists every
  error. ``valid_only=True`` is the explicit alternative: rows without errors are imported, the
  others reported and skipped.
* **The uploaded file is not kept** (it holds plaintext ID numbers): to import after a dry run,
  upload it again. Reports hold messages only, never cell values.
* Files larger than ``volunteer_register_many``'s batch are registered in chunks inside the same
  transaction; duplicates inside the file are found across the whole file here, with the Excel
  row numbers of both rows.
* Audit: ``volunteer.import`` from the service for each committed chunk, plus one
  ``volunteer.import_file`` per upload (dry run or not, committed or refused) with the counts.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import idcards
from zhiyuan.volunteers.idcards import IdType
from zhiyuan.volunteers.models import GuardianConsent
from zhiyuan.volunteers.permissions import is_volunteer_manager
from zhiyuan.volunteers.services.registration import (
    MAX_BATCH,
    MSG_DUPLICATE_DOCUMENT,
    MSG_DUPLICATE_MOBILE,
    volunteer_register_many,
)
from zhiyuan.volunteers.validation import clean_mobile

MAX_ROWS = MAX_BATCH  # rows per uploaded file on the page and the API (the bench passes more)
HEADER_ROW = 1
SHEET_TITLE = "志愿者"

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
        return str(FIELD_LABELS.get(self.field, self.field))

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "field_label": self.field_label, "message": self.message}


@dataclass
class ImportReport:
    dry_run: bool
    valid_only: bool
    rows: int = 0
    valid_rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)  # masked, first rows that pass

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors

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
        dv.add(f"{letters[key]}2:{letters[key]}{MAX_ROWS + 1}")
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
        _("导入即表示本人已线下签署个人信息处理同意书和志愿者誓词。每个文件最多%(n)s行。") % {"n": MAX_ROWS},
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- parsing -------------------------------------------------------------------------------------


def _header_key(text) -> str | None:
    t = str(text or "").strip().rstrip("*＊").strip()
    for key, header, _r in COLUMNS:
        if t in (str(header), key):
            return key
    return None


def _code_of(value: str, choices) -> str:
    """``111`` / ``111 居民身份证`` / ``居民身份证`` → ``111``; anything else unchanged."""
    v = value.strip()
    head = v.split(" ", 1)[0].split("　", 1)[0]
    codes = {str(c) for c, _l in choices}
    if head in codes:
        return head
    for c, label in choices:
        if v == str(label):
            return str(c)
    return v


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
    data["id_type"] = _code_of(data["id_type"], IdType.choices)
    g = data["gender"]
    data["gender"] = GENDER_WORDS.get(g, _code_of(g, [("1", ""), ("2", ""), ("9", ""), ("0", "")]))
    data["guardian_relation"] = _code_of(data["guardian_relation"], GuardianConsent.Relation.choices)
    data["password"] = None
    return data, errors


def import_parse(fileobj, *, max_rows: int = MAX_ROWS) -> ParsedFile:
    """Read the first sheet of an .xlsx file. Columns are found by their header text (order
    free); empty rows are skipped; a file that is not a workbook, lacks a required column or
    has too many rows gives ``file_errors`` and no rows."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged or foreign file
        return ParsedFile([], [_("无法读取该文件，请使用导入模板（.xlsx）。")])
    try:
        ws = wb[SHEET_TITLE] if SHEET_TITLE in wb.sheetnames else wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return ParsedFile([], [_("文件是空的。")])
        positions = {}
        for i, text in enumerate(header):
            key = _header_key(text)
            if key and key not in positions:
                positions[key] = i
        missing = [str(h) for k, h, req in COLUMNS if req and k not in positions]
        if missing:
            return ParsedFile([], [_("缺少必填列：%(cols)s。请使用导入模板，不要修改表头。") % {"cols": _("、").join(missing)}])
        rows: list[ImportRow] = []
        for n, cells in enumerate(it, start=HEADER_ROW + 1):
            if cells is None or all(c is None or str(c).strip() == "" for c in cells):
                continue
            if len(rows) >= max_rows:
                return ParsedFile([], [_("每个文件最多%(n)s行，请拆分后分批导入。") % {"n": max_rows}])
            values = {k: (cells[i] if i < len(cells) else None) for k, i in positions.items()}
            data, errors = _row_data(values)
            rows.append(ImportRow(n, data, errors))
        if not rows:
            return ParsedFile([], [_("文件中没有数据行。")])
        return ParsedFile(rows)
    finally:
        wb.close()


# --- validation and import ------------------------------------------------------------------------


def _document_key(id_type: str, number: str) -> tuple | None:
    """The in-memory duplicate key of a document: type and normalized number (15-digit resident
    IDs as their 18-digit form). No parsing: the registration service validates the number."""
    n = idcards.normalize(number)
    if not n:
        return None
    if id_type == IdType.RESIDENT_ID and len(n) == 15 and n.isdigit():
        n = idcards.upgrade_15(n)
    return (id_type, n)


def _file_duplicates(rows: list[ImportRow]) -> dict[int, dict[str, str]]:
    """Later rows repeating an earlier row's document or mobile: {row: {field: message}}. Keys
    are the normalized values in memory only."""
    first_doc: dict[tuple, int] = {}
    first_mob: dict[str, int] = {}
    flags: dict[int, dict[str, str]] = {}
    for r in rows:
        key = _document_key(r.data["id_type"], r.data["id_number"]) if "id_number" not in r.cell_errors else None
        if key is not None:
            if key in first_doc:
                flags.setdefault(r.row, {})["id_number"] = _("与第%(n)s行的证件号码重复。") % {"n": first_doc[key]}
            else:
                first_doc[key] = r.row
        mobile, err = clean_mobile(r.data["mobile"])
        if mobile and not err:
            if mobile in first_mob:
                flags.setdefault(r.row, {})["mobile"] = _("与第%(n)s行的手机号码重复。") % {"n": first_mob[mobile]}
            else:
                first_mob[mobile] = r.row
    return flags


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


class _Rollback(Exception):
    pass


def _register(actor, rows: list[ImportRow], request, flags) -> tuple[list[RowError], list]:
    """Register ``rows`` in chunks (caller's transaction); the merged errors and the new
    volunteers of the rows without errors."""
    errors: list[RowError] = []
    created = []
    for start in range(0, len(rows), MAX_BATCH):
        chunk = rows[start : start + MAX_BATCH]
        results = volunteer_register_many(actor=actor, rows=[r.data for r in chunk], request=request)
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
            if not merged and res.volunteer is not None:
                created.append((r, res.volunteer))
    return errors, created


def _preview(created, limit=20) -> list[dict]:
    from zhiyuan.volunteers.selectors_manage import region_names

    items = created[:limit]
    names = region_names(v.region_code for _r, v in items)
    return [
        {
            "row": r.row,
            "name": v.name,
            "id_type": v.id_type,
            "id_number_masked": v.id_number_masked,
            "gender": v.gender,
            "birth_date": v.birth_date.isoformat() if v.birth_date else None,
            "region_code": v.region_code,
            "region_name": names.get(v.region_code, v.region_code),
        }
        for r, v in items
    ]


def import_volunteers(*, actor, parsed: ParsedFile, request=None, dry_run: bool = True, valid_only: bool = False) -> ImportReport:
    """Validate and (unless ``dry_run``) import the parsed rows; see the module docstring for
    the all-or-nothing / valid-only choice. Managers only (platform admin, region manager); every
    row's residence must lie in the actor's region (the service refuses others per row)."""
    if not is_volunteer_manager(actor):
        raise PermissionDenied(_("只有区域管理员或平台管理员可以批量导入志愿者。"))
    report = ImportReport(dry_run=dry_run, valid_only=valid_only, rows=len(parsed.rows), file_errors=list(parsed.file_errors))
    if parsed.file_errors:
        _audit(actor, request, report)
        return report
    flags = _file_duplicates(parsed.rows)
    rows = parsed.rows
    try:
        with transaction.atomic():
            errors, created = _register(actor, rows, request, flags)
            report.errors = errors
            report.valid_rows = len(created)
            report.preview = _preview(created)
            if dry_run or errors:
                raise _Rollback
            report.created = len(created)
    except _Rollback:
        pass
    except DomainError as exc:  # a concurrent registration took a number or mobile meanwhile
        report.file_errors.append(str(exc.message))
    if not dry_run and valid_only and report.errors and report.valid_rows:
        # Second pass with the rows that passed; nothing else changed them meanwhile, so this
        # normally creates exactly ``valid_rows``.
        bad = {e.row for e in report.errors}
        good = [r for r in rows if r.row not in bad]
        try:
            with transaction.atomic():
                errors2, created2 = _register(actor, good, request, {})
                if errors2:
                    report.errors.extend(errors2)
                    raise _Rollback
                report.created = len(created2)
        except _Rollback:
            pass
        except DomainError as exc:
            report.file_errors.append(str(exc.message))
    report.errors.sort(key=lambda e: e.row)
    _audit(actor, request, report)
    return report


def _audit(actor, request, report: ImportReport) -> None:
    audit_record(
        actor=actor,
        action="volunteer.import_file",
        object_type="volunteers.volunteer",
        request=request,
        result=AuditEntry.Result.OK if (report.committed or (report.dry_run and report.ok)) else AuditEntry.Result.FAILED,
        detail={
            "dry_run": report.dry_run,
            "mode": "valid_only" if report.valid_only else "all_or_nothing",
            "rows": report.rows,
            "valid_rows": report.valid_rows,
            "invalid_rows": report.invalid_rows,
            "created": report.created,
            "file_errors": len(report.file_errors),
        },
    )


def report_xlsx(report: dict) -> bytes:
    """The validation report (``ImportReport.as_dict()``) as a workbook: row, field, message."""
    from openpyxl import Workbook

    from zhiyuan.volunteers.services.export import excel_safe

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("校验报告"))
    ws.append([_("行号"), _("字段"), _("问题")])
    for msg in report.get("file_errors", []):
        ws.append(["", str(FIELD_LABELS["file"]), excel_safe(msg)])
    for e in report.get("errors", []):
        ws.append([e["row"], excel_safe(e["field_label"]), excel_safe(e["message"])])
    summary = wb.create_sheet(_("汇总"))
    labels = ((_("数据行"), "rows"), (_("校验通过"), "valid_rows"), (_("有错误的行"), "invalid_rows"), (_("已导入"), "created"))
    for label, key in labels:
        summary.append([label, report.get(key, 0)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

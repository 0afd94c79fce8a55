"""What an import pass reports: a row's errors, the running report, and the report workbook."""

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from zhiyuan.volunteers.imports.columns import field_label, mode_of


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
    duplicate_hits: int = 0  # documents and mobiles already registered (lookups.HitCounter)
    duplicate_hits_outside: int = 0  # of those, held by nobody in the actor's scope

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


def import_audit_detail(report: ImportReport) -> dict:
    return {
        "dry_run": report.dry_run,
        "mode": report.mode,
        "rows": report.rows,
        "valid_rows": report.valid_rows,
        "invalid_rows": report.invalid_rows,
        "created": report.created,
        "file_errors": len(report.file_errors),
        "duplicate_hits": report.duplicate_hits,
        "duplicate_hits_outside": report.duplicate_hits_outside,
    }


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

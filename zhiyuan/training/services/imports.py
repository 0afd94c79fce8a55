"""Excel import of offline training records (TRN-2; issue 9 item 2): a manager or organization
admin uploads a sheet of people who completed a course offline. The file is opened with the same
hostile-file guards as the volunteer import (``volunteers.imports.xlsx_stream`` + ``guard``:
zip bombs, huge dimensions, foreign files refused before inflating), read in the request (at
most ``MAX_ROWS`` rows), checked row by row, and written all-or-nothing: one bad row and nothing
is written, every bad row is reported with its Excel row number.

Columns (by header text, order free): 志愿者编号* · 完成日期* (YYYY-MM-DD or an Excel date) ·
学时 (default: the course's) · 成绩 (0–100). The course is chosen on the page (one course per
file). A person must be visible to the importer (their region or their organization's members)
and may hold one record per course and completion day (a repeated file is refused per row)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, can
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.training.models import RecordSource, TrainingCourse, TrainingRecord
from zhiyuan.training.services.records import record_create
from zhiyuan.volunteers.minors import today_shanghai
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.numbers import normalize_volunteer_no

MAX_ROWS = 2000
HEADERS = {"志愿者编号": "volunteer_no", "完成日期": "completed_on", "学时": "hours", "成绩": "score"}
REQUIRED = ("volunteer_no", "completed_on")


@dataclass
class ImportResult:
    rows: int = 0
    written: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (Excel row, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def _refused(message) -> DomainError:
    return DomainError("file_refused", message, fields={"file": [message]}, status=422)


def _read(fileobj) -> list[tuple[int, dict]]:
    from zhiyuan.volunteers.imports import guard
    from zhiyuan.volunteers.imports.xlsx_stream import open_workbook

    try:
        wb, close = open_workbook(fileobj, before_read=guard.archive_check)
    except guard.WorkbookRefused as exc:
        raise _refused(exc.message) from None
    except Exception:  # openpyxl raises many types for a damaged or foreign file
        raise _refused(_("无法读取该文件，请上传 .xlsx 格式的 Excel 文件。")) from None
    try:
        ws = wb.worksheets[0]
        with wb._archive.open(ws._worksheet_path) as src:  # the bounds scan, as the volunteer import
            guard.sheet_scan(src)
        parsed = ws.parsed_rows()
        first = next(parsed, None)
        if first is None:
            raise _refused(_("文件是空的。"))
        positions = {}
        for i, text in enumerate(ws.row_values(first[1])):
            key = HEADERS.get(str(text or "").strip().rstrip("*").strip())
            if key and key not in positions:
                positions[key] = i
        missing = [h for h, k in HEADERS.items() if k in REQUIRED and k not in positions]
        if missing:
            raise _refused(_("缺少必填列：%(cols)s。") % {"cols": "、".join(missing)})
        width = max(positions.values()) + 1
        rows = []
        for n, cells in parsed:
            values = ws.row_values(cells, width=width)
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise _refused(_("每个文件最多%(n)s行，请拆分后分批导入。") % {"n": MAX_ROWS})
            rows.append((n, {k: values[i] for k, i in positions.items()}))
        return rows
    except guard.WorkbookRefused as exc:
        raise _refused(exc.message) from None
    except DomainError:
        raise
    except Exception:
        raise _refused(_("无法读取该文件，请上传 .xlsx 格式的 Excel 文件。")) from None
    finally:
        close()


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None


def record_import(*, actor, course: TrainingCourse, fileobj, dry_run: bool = False) -> ImportResult:
    """Check every row, then write all of them (records and certificates) in one transaction,
    or none. Audited once with the counts (``training.record.import``)."""
    if not can(actor, course, MANAGE):
        raise PermissionDenied()
    rows = _read(fileobj)
    result = ImportResult(rows=len(rows))
    numbers = {normalize_volunteer_no(str(d.get("volunteer_no") or "")) for _n, d in rows}
    people = {v.volunteer_no: v for v in Volunteer.objects.visible_to(actor).filter(volunteer_no__in=numbers)}
    held = set(
        TrainingRecord.objects.filter(course=course, volunteer__in=list(people.values())).values_list(
            "volunteer_id", "completed_on"
        )
    )
    today = today_shanghai()
    planned, seen = [], set()
    for n, d in rows:
        number = normalize_volunteer_no(str(d.get("volunteer_no") or ""))
        person = people.get(number)
        day = _date(d.get("completed_on"))
        if person is None:
            result.errors.append((n, str(_("志愿者编号不存在或不在您的管辖范围内。"))))
            continue
        if day is None or day > today:
            result.errors.append((n, str(_("完成日期应为不晚于今天的日期（YYYY-MM-DD）。"))))
            continue
        hours = course.hours
        if d.get("hours") not in (None, ""):
            try:
                hours = Decimal(str(d["hours"])).quantize(Decimal("0.1"))
            except (InvalidOperation, ValueError):
                hours = None
            if hours is None or not Decimal("0") < hours <= Decimal("999"):
                result.errors.append((n, str(_("学时应在 0.1 到 999 之间。"))))
                continue
        score = None
        if d.get("score") not in (None, ""):
            try:
                score = int(float(str(d["score"])))
            except ValueError:
                score = -1
            if not 0 <= score <= 100:
                result.errors.append((n, str(_("成绩应在 0 到 100 之间。"))))
                continue
        if (person.pk, day) in held or (person.pk, day) in seen:
            result.errors.append((n, str(_("该志愿者在这一天已有本课程的培训记录。"))))
            continue
        seen.add((person.pk, day))
        planned.append((person, day, hours, score))
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        for person, day, hours, score in planned:
            record_create(
                actor=actor,
                volunteer=person,
                course=course,
                source=RecordSource.IMPORT,
                completed_on=day,
                hours=hours,
                score=score,
                organization=course.organization,
            )
        audit_record(actor=actor, action="training.record.import", obj=course, detail={"rows": len(planned)})
    result.written = len(planned)
    return result

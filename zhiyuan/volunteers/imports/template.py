"""The import template workbook that managers download and fill."""

import io

from django.utils.translation import gettext as _

from zhiyuan.volunteers import code_tables
from zhiyuan.volunteers.codes import IdType
from zhiyuan.volunteers.imports.columns import COLUMNS, FIELD_LABELS, max_rows
from zhiyuan.volunteers.models import GuardianConsent


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
        "id_type": f"{IdType.RESIDENT_ID} {code_tables.label('id_type', IdType.RESIDENT_ID)}",
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
        "id_type": _choice_list(code_tables.id_type_choices()),
        "gender": _choice_list(code_tables.gender_selectable_choices()),
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

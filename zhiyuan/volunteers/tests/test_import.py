"""Bulk import from the Excel template (VOL-10): template, dry run, all-or-nothing import,
the per-row report, scope, duplicates, audit, page and API."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from zhiyuan.core.models import AuditEntry
from zhiyuan.testing import IMPORT_HEADER, import_workbook
from zhiyuan.volunteers import documents, imports
from zhiyuan.volunteers.models import ConsentRecord, Volunteer
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db
PAGE = "/volunteers/manage/import/"
API = "/api/v1/volunteers/import"
HEADER = IMPORT_HEADER


def row(name="张三", id_type="111 居民身份证", number=None, gender="", birth="", region=f.HUICHENG_TOWN, mobile=None, email=""):
    return [name, id_type, number or f.resident_id(), gender, birth, region, mobile or f.next_mobile(), email]


def xlsx(rows, header=HEADER) -> io.BytesIO:
    return import_workbook(rows, header)


def run(actor, rows, **kw):
    return imports.import_volunteers(actor=actor, parsed=imports.import_parse(xlsx(rows)), **kw)


def errors_by_row(report) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for e in report.errors:
        out.setdefault(e.row, set()).add(e.field)
    return out


# --- the good file ----------------------------------------------------------------------------------


def test_good_file_dry_run_saves_nothing_then_import_saves_all(county_manager):
    rows = [row(name="李一"), row(name="王二", id_type="111"), row(name="赵三", id_type="居民身份证")]
    dry = run(county_manager, rows, dry_run=True)
    assert dry.ok and dry.valid_rows == 3 and dry.created == 0
    assert [p["name"] for p in dry.preview] == ["李一", "王二", "赵三"]
    assert not Volunteer.objects.exists()
    report = run(county_manager, rows, dry_run=False)
    assert report.ok and report.created == 3
    vs = Volunteer.objects.order_by("id")
    assert [v.name for v in vs] == ["李一", "王二", "赵三"]
    assert all(v.region_code == f.HUICHENG_TOWN and not v.user.has_usable_password() for v in vs)
    assert ConsentRecord.objects.filter(source="import", kind="privacy").count() == 3
    assert documents.document_unseal(vs[0].id_number_sealed) == rows[0][2]
    actions = list(AuditEntry.objects.values_list("action", "result"))
    assert ("volunteer.import", "ok") in actions
    assert actions.count(("volunteer.import_file", "ok")) == 2  # the dry run and the import
    last = AuditEntry.objects.filter(action="volunteer.import_file").last()
    assert last.detail["created"] == 3 and last.detail["dry_run"] is False
    for e in AuditEntry.objects.all():
        assert rows[0][2] not in str(e.detail)


def test_minor_needs_guardian_columns(county_manager):
    minor = f.resident_id(birth=f.years_ago(15))
    header = [*HEADER, "监护人姓名", "监护人关系", "监护人手机号"]
    report = imports.import_volunteers(
        actor=county_manager, parsed=imports.import_parse(xlsx([[*row(number=minor), "", "", ""]], header)), dry_run=False
    )
    assert {e.field for e in report.errors} >= {"guardian", "guardian_name"} and report.created == 0
    ok = [[*row(number=minor), "李监护", "母亲", "13800001111"]]
    report = imports.import_volunteers(actor=county_manager, parsed=imports.import_parse(xlsx(ok, header)), dry_run=False)
    assert report.ok and report.created == 1


# --- the bad file -----------------------------------------------------------------------------------


def test_bad_rows_are_reported_per_row_and_nothing_is_saved(county_manager, volunteer):
    good = f.resident_id()
    bad_checksum = good[:-1] + ("0" if good[-1] != "0" else "1")
    taken = documents.document_unseal(volunteer.id_number_sealed)
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    rows = [
        row(name="好人", number=good),  # row 2
        row(number=bad_checksum),  # 3
        row(id_type="414", number="E12345678", gender="男", birth=future),  # 4 future birth date
        row(number=good),  # 5 duplicate of row 2
        row(number=taken),  # 6 already registered
        row(region=f.HUIYANG_TOWN, number=f.resident_id(address="441303")),  # 7 outside 惠城区
        row(name=""),  # 8 missing name
    ]
    count_before = Volunteer.objects.count()
    report = run(county_manager, rows, dry_run=False)
    assert report.created == 0 and not report.ok
    assert Volunteer.objects.count() == count_before
    by_row = errors_by_row(report)
    assert "birth_date" in by_row.pop(4)  # (the service also asks a not-yet-born person for a guardian)
    assert by_row == {
        3: {"id_number"},
        5: {"id_number"},
        6: {"id_number"},
        7: {"region_code"},
        8: {"name"},
    }
    msgs = {e.row: e.message for e in report.errors if e.field in ("id_number", "birth_date", "region_code", "name")}
    assert "校验位" in msgs[3]
    assert "晚于今天" in msgs[4]
    assert msgs[5] == "与第2行的证件号码重复。"
    assert "已注册" in msgs[6]
    assert "管辖范围" in msgs[7]
    assert report.valid_rows == 1 and report.invalid_rows == 6
    entry = AuditEntry.objects.get(action="volunteer.import_file")
    assert entry.result == "failed" and entry.detail["invalid_rows"] == 6
    assert not AuditEntry.objects.filter(action="volunteer.import").exists()


def _address_rows(n: int) -> list:
    """``n`` rows whose document numbers carry current, historical and unknown address codes:
    惠城区 and 惠阳区 (current), 442500 惠阳地区 (abolished 1988) for someone born in 1980 (fine)
    and in 1995 (refused), and 999999 (no such code)."""
    kinds = [
        ("441302", dt.date(1990, 1, 1)),
        ("441303", dt.date(1985, 6, 1)),
        ("442500", dt.date(1980, 5, 1)),
        ("442500", dt.date(1995, 1, 1)),
        ("999999", dt.date(1990, 1, 1)),
    ]
    return [row(number=f.resident_id(address=kinds[i % 5][0], birth=kinds[i % 5][1])) for i in range(n)]


def test_address_code_check_makes_no_query_per_row(county_manager, django_assert_max_num_queries):
    """VOL-10 speed: the address code of every document is checked against one in-memory set of
    region codes, so the queries of an import do not grow with its rows; the verdicts are the
    same as the one-query-per-number check (historical codes by birth year, unknown codes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        small_report = run(county_manager, _address_rows(5), dry_run=True)
    assert errors_by_row(small_report) == {5: {"id_number"}, 6: {"id_number"}}
    with django_assert_max_num_queries(len(small)):
        report = run(county_manager, _address_rows(60), dry_run=True)
    assert report.valid_rows == 36
    bad = {r for r, fields in errors_by_row(report).items() if fields == {"id_number"}}
    assert bad == {r for r in range(2, 62) if (r - 2) % 5 in (3, 4)}
    assert {e.message for e in report.errors} == {"证件号码中的地址码（前6位）不存在。"}


def test_valid_only_imports_the_good_rows(county_manager):
    rows = [row(name="好人"), row(number="123"), row(name="也好")]
    report = run(county_manager, rows, dry_run=False, valid_only=True)
    assert report.created == 2 and errors_by_row(report) == {3: {"id_number"}}
    assert set(Volunteer.objects.values_list("name", flat=True)) == {"好人", "也好"}


def test_duplicate_mobile_in_file(county_manager):
    report = run(county_manager, [row(mobile="13712345678"), row(mobile="13712345678")], dry_run=True)
    assert [(e.row, e.field, e.message) for e in report.errors] == [(3, "mobile", "与第2行的手机号码重复。")]


def test_numeric_id_cell_and_file_level_errors(county_manager):
    r = row()
    r[2] = 441302199001011234
    report = run(county_manager, [r], dry_run=True)
    assert [e.field for e in report.errors] == ["id_number"] and "文本格式" in report.errors[0].message
    parsed = imports.import_parse(xlsx([row()], header=["姓名*", "证件号码*"]))
    assert parsed.file_errors and "缺少必填列" in parsed.file_errors[0] and "证件类型" in parsed.file_errors[0]
    assert imports.import_parse(io.BytesIO(b"not a workbook")).file_errors
    assert "文件中没有数据行" in imports.import_parse(xlsx([])).file_errors[0]
    too_many = imports.import_parse(xlsx([row(), row(), row()]), max_rows=2)
    assert too_many.file_errors and not too_many.rows


def test_chunks_beyond_the_service_batch_keep_file_row_numbers(county_manager, monkeypatch):
    monkeypatch.setattr(imports.write, "MAX_BATCH", 2)
    same = f.resident_id()
    rows = [row(), row(number=same), row(), row(number=same), row()]
    report = run(county_manager, rows, dry_run=False)
    assert [(e.row, e.message) for e in report.errors] == [(5, "与第3行的证件号码重复。")]
    assert report.created == 0 and not Volunteer.objects.exists()
    rows[3] = row()
    report = run(county_manager, rows, dry_run=False)
    assert report.ok and report.created == 5


def test_only_managers_import(plain_user, volunteer):
    from zhiyuan.core.errors import PermissionDenied

    for u in (plain_user, volunteer.user):
        with pytest.raises(PermissionDenied):
            run(u, [row()], dry_run=True)


# --- template ---------------------------------------------------------------------------------------


def test_template_download_has_header_sample_and_dropdowns(client, county_manager):
    client.force_login(county_manager)
    r = client.get(PAGE + "template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["志愿者"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["姓名*", "证件类型*", "证件号码*"] and "居住地区划代码*" in header
    assert ws["A2"].value == "张三"
    assert len(ws.data_validations.dataValidation) >= 3
    # the template's sample row parses (after the manager replaces it with real people)
    parsed = imports.import_parse(io.BytesIO(r.content))
    assert not parsed.file_errors and parsed.rows[0].data["id_type"] == "111"
    assert client.get("/api/v1/volunteers/import/template").status_code == 200


def test_template_refused_to_non_managers(client, plain_user):
    client.force_login(plain_user)
    assert client.get(PAGE + "template.xlsx").status_code == 403
    assert client.get(PAGE).status_code == 403
    assert client.get("/api/v1/volunteers/import/template").status_code == 403


# --- page and API -----------------------------------------------------------------------------------


def test_page_check_then_import_and_download_report(client, county_manager):
    client.force_login(county_manager)
    rows = [row(name="页面甲"), row(name="页面乙", number="123")]
    r = client.post(PAGE, {"file": xlsx(rows), "action": "check"})
    assert r.status_code == 302 and "/import/jobs/" in r.url  # a small file: checked in the request
    page = client.get(r.url).content.decode()
    assert 'data-row="3"' in page and "data-import-errors" in page and 'data-status="done"' in page
    assert rows[0][2] not in page and "页面甲" in page  # the preview is masked
    rep = client.get(r.url + "report.xlsx")
    data = list(load_workbook(io.BytesIO(rep.content)).worksheets[0].iter_rows(values_only=True))
    assert data[0] == ("行号", "字段", "问题") and data[1][0] == 3 and data[1][1] == "证件号码"
    r = client.post(PAGE, {"file": xlsx(rows), "action": "import"})
    assert "没有导入任何数据" in client.get(r.url).content.decode() and not Volunteer.objects.exists()
    r = client.post(PAGE, {"file": xlsx(rows[:1]), "action": "import"})
    assert "已导入 1 名志愿者" in client.get(r.url).content.decode() and Volunteer.objects.get().name == "页面甲"
    listing = client.get(PAGE).content.decode()
    assert listing.count("data-job=") == 3 and 'data-list="volunteer.import_job"' in listing


def test_page_refuses_other_formats(client, county_manager):
    client.force_login(county_manager)
    csv = io.BytesIO(b"a,b")
    csv.name = "x.csv"
    r = client.post(PAGE, {"file": csv, "action": "check"})
    assert r.status_code == 400 and ".xlsx" in r.content.decode()


def test_api_dry_run_then_import(client, county_manager):
    client.force_login(county_manager)
    rows = [row(name="接口甲"), row(name="接口乙")]
    body = client.post(API, {"file": xlsx(rows)}).json()
    assert body["dry_run"] is True and body["ok"] and body["valid_rows"] == 2 and body["created"] == 0
    assert not Volunteer.objects.exists()
    body = client.post(API, {"file": xlsx(rows), "dry_run": "false"}).json()
    assert body["created"] == 2 and body["mode"] == "all_or_nothing"
    body = client.post(API, {"file": xlsx([row(region=f.HUIYANG_TOWN, number=f.resident_id(address="441303"))]),
                             "dry_run": "false"}).json()  # fmt: skip
    assert body["created"] == 0 and body["errors"][0] == {
        "row": 2, "field": "region_code", "field_label": "居住地区划代码", "message": "该区划不在您的管辖范围内。",
    }  # fmt: skip


def test_api_refuses_plain_user(client, plain_user):
    client.force_login(plain_user)
    assert client.post(API, {"file": xlsx([row()])}).status_code == 403

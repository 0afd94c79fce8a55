"""Excel import of offline training records: all-or-nothing, every bad row named, scope of the
people and of the course, hostile or foreign files refused."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.training.models import TrainingCertificate, TrainingRecord
from zhiyuan.training.services.imports import record_import
from zhiyuan.training.tests import factories as f


def workbook(rows, header=("志愿者编号*", "完成日期*", "学时", "成绩")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "records.xlsx"
    return buf


def test_good_file_writes_records_and_certificates(county_manager, volunteer, minor_volunteer):
    c = f.course(county_manager, name="线下急救培训")
    result = record_import(
        actor=county_manager,
        course=c,
        fileobj=workbook(
            [(volunteer.volunteer_no, "2026-03-01", 6, 90), (minor_volunteer.volunteer_no, dt.date(2026, 3, 2), None, None)]
        ),
    )
    assert result.ok and result.written == 2
    r = TrainingRecord.objects.get(volunteer=volunteer)
    assert r.source == "import" and str(r.hours) == "6.0" and r.score == 90
    assert TrainingCertificate.objects.filter(course=c).count() == 2


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(county_manager, volunteer, huiyang_volunteer):
    c = f.course(county_manager)
    rows = [
        (volunteer.volunteer_no, "2026-03-01", None, None),  # fine
        (huiyang_volunteer.volunteer_no, "2026-03-01", None, None),  # outside the 惠城 scope
        ("0000000000000", "2026-03-01", None, None),  # nobody
        (volunteer.volunteer_no, "2099-01-01", None, None),  # future
        (volunteer.volunteer_no, "2026-03-05", None, 150),  # score
        (volunteer.volunteer_no, "2026-03-01", None, None),  # the same day twice
    ]
    result = record_import(actor=county_manager, course=c, fileobj=workbook(rows))
    assert [n for n, _m in result.errors] == [3, 4, 5, 6, 7]
    assert not TrainingRecord.objects.exists()


def test_importing_the_same_file_again_is_refused_per_row(county_manager, volunteer):
    c = f.course(county_manager)
    rows = [(volunteer.volunteer_no, "2026-03-01", None, None)]
    assert record_import(actor=county_manager, course=c, fileobj=workbook(rows)).written == 1
    again = record_import(actor=county_manager, course=c, fileobj=workbook(rows))
    assert again.errors and TrainingRecord.objects.count() == 1


def test_other_scope_course_and_bad_files(county_manager, other_county_manager, volunteer):
    c = f.course(county_manager)
    with pytest.raises(PermissionDenied):
        record_import(actor=other_county_manager, course=c, fileobj=workbook([]))
    with pytest.raises(DomainError) as e:
        record_import(actor=county_manager, course=c, fileobj=io.BytesIO(b"%PDF-1.4 not a workbook"))
    assert e.value.code == "file_refused"
    with pytest.raises(DomainError) as e:
        record_import(actor=county_manager, course=c, fileobj=workbook([(volunteer.volunteer_no,)], header=("志愿者编号*",)))
    assert "完成日期" in str(e.value.message)


def test_import_page_and_api(client, county_manager, volunteer):
    from django.urls import reverse

    c = f.course(county_manager)
    client.force_login(county_manager)
    bad = client.post(reverse("training:course_records_import", args=[c.pk]), {"file": workbook([("x", "2026-01-01")])})
    assert "第 2 行" in bad.content.decode()
    r = client.post(
        f"/api/v1/training/courses/{c.pk}/records/import", {"file": workbook([(volunteer.volunteer_no, "2026-01-01")])}
    )
    assert r.status_code == 200 and r.json()["written"] == 1 and r.json()["errors"] == []

"""Excel import of offline training records: all-or-nothing, every bad row named, scope of the
people and of the course, hostile or foreign files refused."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.training.models import TrainingCertificate, TrainingRecord
from zhiyuan.training.services.imports import record_import
from zhiyuan.training.tests import factories as f
from zhiyuan.volunteers.models import ImportJob
from zhiyuan.volunteers.tests.test_import_jobs import _Upload, run_worker


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


# --- as an import job (the volunteers' ImportJob machinery) ------------------------------------------


def test_import_page_makes_a_job_whose_page_names_each_bad_row(client, county_manager, volunteer):
    from django.urls import reverse

    c = f.course(county_manager)
    client.force_login(county_manager)
    url = reverse("training:course_records_import", args=[c.pk])
    bad = client.post(url, {"file": workbook([(volunteer.volunteer_no, "2026-01-01"), ("x", "2026-01-01")]), "action": "import"})
    assert bad.status_code == 302
    job = ImportJob.objects.get()
    assert (job.kind, job.target_id, job.status, job.rows_invalid, job.rows_created) == ("training.record", c.pk, "done", 1, 0)
    page = client.get(bad.url).content.decode()
    assert 'data-row="3" data-field="volunteer_no"' in page and "志愿者编号不存在或不在您的管辖范围内" in page
    assert "有错误，本次没有导入任何数据" in page and reverse("training:course_manage", args=[c.pk]) in page
    assert not TrainingRecord.objects.exists() and not TrainingCertificate.objects.exists()
    report = client.get(reverse("volunteers:volunteers_manage:import_job_report", args=[job.pk]))
    assert report.status_code == 200
    from openpyxl import load_workbook

    cells = [tuple(r) for r in load_workbook(io.BytesIO(report.content)).worksheets[0].iter_rows(values_only=True)]
    assert (3, "志愿者编号", "志愿者编号不存在或不在您的管辖范围内。") in cells

    good = client.post(url, {"file": workbook([(volunteer.volunteer_no, "2026-01-01")]), "action": "import"})
    page = client.get(good.url).content.decode()
    assert "已导入 1 条培训记录。" in page and TrainingRecord.objects.get().source == "import"
    assert TrainingCertificate.objects.get().record == TrainingRecord.objects.get()
    # a file that is not a workbook: back on the course page with the reason, no job
    refused = client.post(url, {"file": SimpleUploadedFile("x.xlsx", b"%PDF-1.4 nope"), "action": "import"})
    assert refused.status_code == 400 and "无法读取该文件" in refused.content.decode()
    assert ImportJob.objects.count() == 2


def test_import_api_answers_with_the_job(client, county_manager, volunteer):
    c = f.course(county_manager)
    client.force_login(county_manager)
    url = f"/api/v1/training/courses/{c.pk}/records/import"
    check = client.post(url, {"file": workbook([(volunteer.volunteer_no, "2026-01-01")]), "dry_run": "true"})
    assert check.status_code == 200 and check.json()["kind"] == "training.record" and check.json()["ok"] is True
    assert not TrainingRecord.objects.exists()
    r = client.post(url, {"file": workbook([(volunteer.volunteer_no, "2026-01-01")])})
    body = r.json()
    assert r.status_code == 200 and body["created"] == 1 and body["errors"] == [] and body["target_id"] == c.pk
    bad = client.post(url, {"file": workbook([(volunteer.volunteer_no, "2026-01-02", 9999)])})
    assert bad.json()["errors"] == [{"row": 2, "field": "hours", "field_label": "学时", "message": "学时应在 0.1 到 999 之间。"}]
    assert client.get(f"/api/v1/volunteers/import/jobs/{body['id']}").json()["created"] == 1
    listed = client.get("/api/v1/volunteers/import/jobs", {"kind": "training.record"}).json()["items"]
    assert len(listed) == 3 and {j["kind"] for j in listed} == {"training.record"}


def test_a_large_file_runs_on_the_worker_with_progress(client, county_manager, background, settings):
    from zhiyuan.volunteers.tests import factories as vf

    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    people = [vf.register(name=f"导入{n}") for n in "甲乙丙丁戊"]
    c = f.course(county_manager)
    client.force_login(county_manager)
    rows = [(p.volunteer_no, "2026-02-01", 3, 80) for p in people]
    r = client.post(f"/api/v1/training/courses/{c.pk}/records/import", {"file": workbook(rows)})
    assert r.status_code == 202 and r.json()["status"] == "queued" and r.json()["rows"] == 5
    assert not TrainingRecord.objects.exists()
    assert run_worker() == ["done"]
    job = ImportJob.objects.get()
    assert (job.status, job.rows_total, job.rows_created, job.progress) == ("done", 5, 5, 100)
    assert TrainingRecord.objects.count() == 5 == TrainingCertificate.objects.count()
    # one audit entry per committed chunk (2 + 2 + 1 rows), the upload and the finished file
    actions = list(AuditEntry.objects.filter(action__startswith="training.record.import").values_list("action", flat=True))
    assert sorted(actions) == ["training.record.import"] * 3 + ["training.record.import_file", "training.record.import_upload"]


def test_valid_only_writes_the_good_rows_and_never_half_a_row(county_manager, volunteer, minor_volunteer, background):
    from zhiyuan.volunteers.services.import_jobs import import_job_submit

    c = f.course(county_manager)
    rows = [(volunteer.volunteer_no, "2026-02-01"), (minor_volunteer.volunteer_no, "2099-01-01"), ("nobody", "2026-02-01")]
    job, _ = import_job_submit(
        actor=county_manager, upload=_upload(rows), mode="valid_only", kind="training.record", target_id=c.pk
    )
    run_worker()
    job.refresh_from_db()
    assert (job.rows_created, job.rows_invalid, job.errors_count) == (1, 2, 2)
    assert [(e.row, e.field) for e in job.errors.all()] == [(3, "completed_on"), (4, "volunteer_no")]
    assert list(TrainingRecord.objects.values_list("volunteer_id", flat=True)) == [volunteer.pk]
    assert TrainingCertificate.objects.get().volunteer_id == volunteer.pk


def test_all_or_nothing_past_one_transaction_stops_on_a_conflict(county_manager, background, settings, monkeypatch):
    """The check pass found nothing; between it and the import pass somebody recorded one of
    the trainings: the import stops there, keeps the chunks before and says so."""
    from zhiyuan.training.services import imports as svc
    from zhiyuan.volunteers.tests import factories as vf

    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    settings.ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS = 2
    people = [vf.register(name=f"竞争{n}") for n in "甲乙丙丁"]
    c = f.course(county_manager)
    real = svc._import_all

    def racing(**kw):
        from zhiyuan.training.services.records import record_create

        record_create(actor=county_manager, volunteer=people[3], course=c, source="import", completed_on=dt.date(2026, 2, 1))
        return real(**kw)

    monkeypatch.setattr(svc, "_import_all", racing)
    svc.record_import_submit(actor=county_manager, course=c, upload=_upload([(p.volunteer_no, "2026-02-01") for p in people]),
                             mode="all_or_nothing")  # fmt: skip
    run_worker()
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.rows_created == 2 and "导入中途停止：已导入 2 条" in job.message
    assert [(e.row, e.field) for e in job.errors.all()] == [(5, "completed_on")]
    assert TrainingRecord.objects.count() == 3 == TrainingCertificate.objects.count()


def test_org_admin_imports_for_their_course_and_only_they_see_the_job(client, county_manager, other_county_manager):
    from zhiyuan.organizations.tests.factories import active_org, applicant

    admin = applicant("培训组织管理员")
    org = active_org(county_manager, actor=admin)
    c = f.course(admin, organization=org)
    client.force_login(admin)
    r = client.post(reverse("training:course_records_import", args=[c.pk]), {"file": workbook([("0", "2026-01-01")])})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and job.created_by == admin and job.rows_invalid == 1
    assert client.get(r.url).status_code == 200
    jobs_page = client.get(reverse("volunteers:volunteers_manage:import_jobs"))
    assert jobs_page.status_code == 200 and f'data-job="{job.pk}"' in jobs_page.content.decode()
    # another region's manager, and the uploader once the course is no longer theirs: 404
    client.force_login(other_county_manager)
    assert client.get(r.url).status_code == 404
    other_admin = applicant("另一组织管理员")
    client.force_login(other_admin)
    assert client.get(r.url).status_code == 404
    assert client.post(reverse("training:course_records_import", args=[c.pk]), {"file": workbook([])}).status_code == 404


def test_a_job_whose_uploader_lost_the_course_fails_with_the_reason(county_manager, platform_admin, volunteer, background):
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.services import role_revoke
    from zhiyuan.training.services.imports import record_import_submit

    c = f.course(county_manager)
    record_import_submit(actor=county_manager, course=c, upload=_upload([(volunteer.volunteer_no, "2026-01-01")]),
                         mode="all_or_nothing")  # fmt: skip
    role_revoke(actor=platform_admin, assignment=RoleAssignment.objects.get(user=county_manager, active=True))
    run_worker()
    job = ImportJob.objects.get()
    assert job.status == "failed" and "无权为该课程导入培训记录" in job.message and not TrainingRecord.objects.exists()


def _upload(rows):
    return _Upload(workbook(rows).getvalue(), name="records.xlsx")

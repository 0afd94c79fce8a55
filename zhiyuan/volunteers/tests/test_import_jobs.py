"""Import jobs (VOL-10, issue #4 "100,000 rows without running out of memory, with progress"):
lifecycle, progress, the three modes through chunks, repeats, who sees a job, refused files,
memory that does not grow with the rows, the stored file, the sweep.

Tasks run with django-tasks' immediate backend (root conftest); tests that need a job to stay
queued switch to the dummy backend and then run the task the way the worker does."""

import datetime as dt
import io
import os
import re
import time
import tracemalloc

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import default_task_backend

from bench.import_bench import make_rows, write_xlsx
from zhiyuan.accounts.services import api_token_create
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import imports
from zhiyuan.volunteers.models import ImportJob, Volunteer
from zhiyuan.volunteers.services import import_jobs as svc
from zhiyuan.volunteers.tasks import import_job_task
from zhiyuan.volunteers.tests import factories as f
from zhiyuan.volunteers.tests.test_import import row, xlsx

pytestmark = pytest.mark.django_db
API = "/api/v1/volunteers/import"
PAGE = "/volunteers/manage/import/"
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    """Each test sees only its own stored files."""
    settings.ZHIYUAN_PRIVATE_DIR = tmp_path / "private"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "private" / "tmp")


@pytest.fixture
def background(settings):
    """Every upload goes to the worker, and the worker does not run until the test says so."""
    settings.ZHIYUAN_IMPORT_INLINE_ROWS = 0
    settings.TASKS = DUMMY
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def run_worker() -> list[str]:
    """What ``manage.py db_worker`` does with the queued import tasks."""
    done = [import_job_task.call(*r.args, **r.kwargs) for r in default_task_backend.results]
    default_task_backend.clear()
    return done


def stored_files() -> list:
    return sorted(p.name for p in svc.files_dir().iterdir())


def submit(actor, rows, mode=imports.ALL_OR_NOTHING, **kw):
    return svc.import_job_submit(actor=actor, upload=_Upload(xlsx(rows).getvalue()), mode=mode, **kw)


class _Upload(io.BytesIO):
    """The bits of Django's UploadedFile the service uses."""

    def __init__(self, data: bytes, name: str = "volunteers.xlsx"):
        super().__init__(data)
        self.name = name
        self.size = len(data)

    def chunks(self, chunk_size=64 * 1024):
        self.seek(0)
        while block := self.read(chunk_size):
            yield block


# --- lifecycle -----------------------------------------------------------------------------------------


def test_small_file_runs_in_the_request_and_its_report_is_on_the_job(client, county_manager):
    client.force_login(county_manager)
    rows = [row(name="小甲"), row(name="小乙", number="123"), row(name="小丙")]
    r = client.post(API, {"file": xlsx(rows), "dry_run": "false", "valid_only": "true"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["mode"], body["finished"], body["progress"]) == ("done", "valid_only", True, 100)
    assert (body["rows"], body["valid_rows"], body["invalid_rows"], body["created"]) == (3, 2, 1, 2)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "id_number")] and body["errors_count"] == 1
    assert set(Volunteer.objects.values_list("name", flat=True)) == {"小甲", "小丙"}
    job = ImportJob.objects.get(pk=body["id"])
    assert job.file_ref == "" and job.file_key_sealed == "" and stored_files() == []  # deleted when finished
    actions = list(
        AuditEntry.objects.filter(object_type="volunteers.importjob", object_id=str(job.pk)).values_list("action", "result")
    )
    assert actions == [("volunteer.import_upload", "ok"), ("volunteer.import_file", "ok")]
    finished = AuditEntry.objects.get(action="volunteer.import_file")
    assert finished.detail["created"] == 2 and finished.detail["job"] == job.pk
    assert all(rows[0][2] not in str(e.detail) for e in AuditEntry.objects.all())


def test_large_file_is_queued_and_the_worker_runs_it(client, county_manager, background):
    client.force_login(county_manager)
    rows = [row(name=name) for name in ("队列甲", "队列乙", "队列丙", "队列丁", "队列戊")]
    r = client.post(API, {"file": xlsx(rows), "dry_run": "false"})
    assert r.status_code == 202, r.content
    body = r.json()
    assert (body["status"], body["progress"], body["rows"], body["finished"]) == ("queued", 0, 5, False)
    # Waiting: the file is stored encrypted, outside the served directories.
    [name] = stored_files()
    stored = (svc.files_dir() / name).read_bytes()
    assert stored.startswith(b"ZYF2") and b"PK" not in stored[:8] and rows[0][2].encode() not in stored
    page = client.get(body["url"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page and "排队等待后台处理" in page
    assert run_worker() == ["done"]
    body = client.get(f"{API}/jobs/{body['id']}").json()
    assert (body["status"], body["created"], body["ok"], body["progress"]) == ("done", 5, True, 100)
    assert Volunteer.objects.count() == 5 and stored_files() == []
    page = client.get(body["url"]).content.decode()
    assert "hx-trigger" not in page and "已导入 5 名志愿者" in page
    assert "hx-trigger" not in client.get(body["url"], HTTP_HX_REQUEST="true").content.decode()


def test_the_database_backend_queues_the_task_for_db_worker(county_manager, settings):
    """The production path: the task row in the database, run by db_worker's Worker."""
    from django_tasks.backends.database.management.commands.db_worker import Worker
    from django_tasks.backends.database.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    settings.ZHIYUAN_IMPORT_INLINE_ROWS = 0
    job, _created = submit(county_manager, [row(), row()])
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.status, task.args_kwargs["args"]) == (
        "zhiyuan.volunteers.tasks.import_job_task",
        "READY",
        [job.pk],
    )
    task.claim("test-worker")  # what the worker's loop does under its lock
    worker = Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="test-worker")  # fmt: skip
    worker.run_task(task)
    task.refresh_from_db()
    job.refresh_from_db()
    assert (task.status, job.status, job.rows_created) == ("SUCCEEDED", "done", 2)


def test_the_worker_runs_a_job_once(county_manager, background):
    job, _created = submit(county_manager, [row()])
    assert svc.import_job_run(job_id=job.pk) == "done"
    assert svc.import_job_run(job_id=job.pk) == "done"  # a second delivery of the task changes nothing
    assert Volunteer.objects.count() == 1
    assert AuditEntry.objects.filter(action="volunteer.import_file").count() == 1


def test_progress_is_saved_after_every_chunk(county_manager, background, settings, monkeypatch):
    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    seen = []
    saved = svc._Progress.__call__

    def spy(self, report, phase, errors):
        saved(self, report, phase, errors)
        job = ImportJob.objects.get(pk=self.job.pk)
        seen.append((job.phase, job.rows_done, job.rows_created, job.progress))

    monkeypatch.setattr(svc._Progress, "__call__", spy)
    job, _created = submit(county_manager, [row() for _ in range(5)])
    assert job.rows_total == 5 and job.status == "queued"
    run_worker()
    assert seen == [
        ("checking", 2, 0, 20),
        ("checking", 4, 0, 40),
        ("checking", 5, 0, 49),
        ("importing", 5, 2, 70),
        ("importing", 5, 4, 90),
        ("importing", 5, 5, 99),
    ]
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_created) == ("done", 100, 5)


@pytest.mark.parametrize("mode", [imports.VALID_ONLY, imports.ALL_OR_NOTHING])
def test_a_crash_after_a_chunk_never_leaves_the_saved_count_behind(county_manager, background, settings, monkeypatch, mode,
                                                                   caplog):  # fmt: skip
    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    settings.ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS = 2  # one transaction per chunk
    saved = svc._Progress.__call__
    calls = []

    def dies_at_the_second_chunk(self, report, phase, errors):
        saved(self, report, phase, errors)
        calls.append(phase)
        if calls.count("importing") == 2:
            raise RuntimeError("worker died")

    monkeypatch.setattr(svc._Progress, "__call__", dies_at_the_second_chunk)
    rows = [row() for _ in range(5)]
    job, _created = submit(county_manager, rows, mode=mode)
    assert run_worker() == ["failed"]  # recorded on the job, not raised into django-tasks' result table
    job.refresh_from_db()
    assert job.status == "failed" and job.rows_created == Volunteer.objects.count() == 2
    # The log names the job and the exception's type only: no traceback, no message, no cell value.
    [record] = [r for r in caplog.records if "import job" in r.getMessage()]
    assert record.getMessage() == f"import job {job.pk} failed: RuntimeError" and record.exc_info is None
    assert rows[0][2] not in caplog.text and "worker died" not in caplog.text


# --- the modes, in chunks -----------------------------------------------------------------------------


@pytest.mark.parametrize("atomic_max_rows", [5000, 2])  # one transaction / one per chunk
def test_all_or_nothing_imports_nothing_when_any_row_is_bad(county_manager, background, settings, atomic_max_rows):
    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    settings.ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS = atomic_max_rows
    same = f.resident_id()
    rows = [row(), row(number=same), row(), row(), row(number=same)]  # row 6 repeats row 3, in another chunk
    job, _created = submit(county_manager, rows)
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_created, job.rows_valid, job.rows_invalid) == ("done", 0, 4, 1)
    assert [(e.row, e.field, e.message) for e in job.errors.all()] == [(6, "id_number", "与第3行的证件号码重复。")]
    assert not Volunteer.objects.exists() and not job.ok
    rows[4] = row()
    job, _created = submit(county_manager, rows)
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_created, job.ok) == ("done", 5, True) and Volunteer.objects.count() == 5


def test_all_or_nothing_beyond_one_transaction_stops_at_a_race(county_manager, background, settings, monkeypatch):
    """Somebody registers one of the file's people between the check and the import pass: the
    chunks before stay imported, the job fails and says so."""
    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    settings.ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS = 2
    rows = [row() for _ in range(5)]
    import_all = imports.write._Importer.import_all

    def meanwhile(self, source):
        f.register(id_number=rows[3][2])  # row 5, in the second chunk
        return import_all(self, source)

    monkeypatch.setattr(imports.write._Importer, "import_all", meanwhile)
    job, _created = submit(county_manager, rows)
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_created) == ("failed", 2)
    assert "已导入 2 人" in job.message and "只导入校验通过的行" in job.message
    assert [(e.row, e.field) for e in job.errors.all()] == [(5, "id_number")]
    assert Volunteer.objects.count() == 3  # two from the file, plus the one registered meanwhile


def test_valid_only_imports_the_good_rows_of_every_chunk(county_manager, background, settings):
    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    same = f.resident_id()
    rows = [row(name="好一", number=same), row(name="坏一", number="123"), row(name="好二"), row(name="重复", number=same),
            row(name="好三")]  # fmt: skip
    job, _created = submit(county_manager, rows, mode=imports.VALID_ONLY)
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_created, job.rows_invalid) == ("done", 3, 2)
    assert set(Volunteer.objects.values_list("name", flat=True)) == {"好一", "好二", "好三"}
    assert {(e.row, e.message) for e in job.errors.filter(field="id_number")} >= {(5, "与第2行的证件号码重复。")}


def test_dry_run_job_writes_nothing_and_previews_masked_rows(client, county_manager):
    client.force_login(county_manager)
    rows = [row(name="预览甲"), row(name="预览乙")]
    r = client.post(PAGE, {"file": xlsx(rows), "action": "check"})
    job = ImportJob.objects.get()
    assert r.url.endswith(f"/import/jobs/{job.pk}/") and job.mode == "dry_run" and job.ok
    assert [p["name"] for p in job.preview] == ["预览甲", "预览乙"] and job.preview[0]["region_name"]
    assert rows[0][2] not in str(job.preview) and not Volunteer.objects.exists()
    page = client.get(r.url).content.decode()
    assert "全部校验通过" in page and "data-import-preview" in page
    # The year of birth only, and only for a day.
    assert "birth_date" not in job.preview[0] and job.preview[0]["birth_year"] > 1900
    assert str(job.preview[0]["birth_year"]) in page
    assert svc.import_job_sweep(now=timezone.now() + dt.timedelta(hours=23))["previews"] == 0
    assert svc.import_job_sweep(now=timezone.now() + dt.timedelta(days=1, minutes=1))["previews"] == 1
    job.refresh_from_db()
    assert job.preview == [] and job.ok and client.get(r.url).status_code == 200


# --- repeats (ARCHITECTURE rule 5) ---------------------------------------------------------------------


def test_a_repeated_submit_returns_the_first_job(client, county_manager, background):
    client.force_login(county_manager)
    body = xlsx([row(), row()]).getvalue()  # one file, sent again byte for byte

    def send(data=body, **form):
        return client.post(API, {"file": _Upload(data), **form})

    first = send(dry_run="false", client_id="batch-7").json()
    again = send(dry_run="false", client_id="batch-7")
    assert again.status_code == 202 and again.json()["id"] == first["id"] and again.json()["repeated"] is True
    other = send(xlsx([row()]).getvalue(), dry_run="false", client_id="batch-7")
    assert other.status_code == 409 and other.json()["code"] == "client_id_reused"
    # Without a client id: the same file and mode while the first job waits, or soon after it.
    plain = send(dry_run="false").json()
    assert plain["id"] != first["id"] and plain["repeated"] is False
    assert send(dry_run="false").json()["id"] == plain["id"]
    assert send().json()["id"] != plain["id"]  # a check is another request
    assert ImportJob.objects.count() == 3
    run_worker()
    assert Volunteer.objects.count() == 2  # the file was imported once
    ImportJob.objects.update(finished_at=timezone.now() - dt.timedelta(seconds=601))
    assert send(dry_run="false").json()["repeated"] is False  # long after: a new request


def test_the_same_form_sent_twice_makes_one_job(client, county_manager, background):
    client.force_login(county_manager)
    body = xlsx([row()]).getvalue()
    r1 = client.post(PAGE, {"file": _Upload(body), "action": "import", "client_id": "form-1"})
    r2 = client.post(PAGE, {"file": _Upload(body), "action": "import", "client_id": "form-1"})
    assert r1.url == r2.url and ImportJob.objects.count() == 1
    r3 = client.post(PAGE, {"file": _Upload(body), "action": "check", "client_id": "form-1"})  # other button, other job
    assert r3.url != r1.url and ImportJob.objects.count() == 2
    r4 = client.post(PAGE, {"file": xlsx([row()]), "action": "import", "client_id": "form-1"})  # back button, new file
    assert r4.status_code == 302 and ImportJob.objects.count() == 3


def test_a_failed_job_is_not_reused(county_manager, background):
    body = xlsx([row()]).getvalue()
    job, _created = svc.import_job_submit(actor=county_manager, upload=_Upload(body), mode=imports.ALL_OR_NOTHING)
    assert svc.import_job_submit(actor=county_manager, upload=_Upload(body), mode=imports.ALL_OR_NOTHING)[0] == job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    again, created = svc.import_job_submit(actor=county_manager, upload=_Upload(body), mode=imports.ALL_OR_NOTHING)
    assert created and again.pk != job.pk


# --- who sees a job -------------------------------------------------------------------------------------


def test_only_the_uploader_and_platform_admins_see_a_job(client, county_manager, other_county_manager, city_manager,
                                                         platform_admin, plain_user):  # fmt: skip
    job, _created = submit(county_manager, [row()])
    urls = [f"{API}/jobs/{job.pk}", f"{API}/jobs/{job.pk}/report", f"{PAGE}jobs/{job.pk}/", f"{PAGE}jobs/{job.pk}/report.xlsx"]
    for outsider in (other_county_manager, city_manager, plain_user):
        client.force_login(outsider)
        assert [client.get(u).status_code for u in urls] == [404, 404, 404, 404], outsider
    client.force_login(city_manager)  # a manager above the uploader's region: still not theirs
    assert client.get(f"{API}/jobs").json()["items"] == []
    for insider in (county_manager, platform_admin):
        client.force_login(insider)
        assert [client.get(u).status_code for u in urls] == [200, 200, 200, 200], insider
    assert client.get(f"{API}/jobs").json()["items"] == []  # the list is one's own jobs
    client.force_login(county_manager)
    assert [j["id"] for j in client.get(f"{API}/jobs").json()["items"]] == [job.pk]
    client.force_login(plain_user)
    assert client.post(API, {"file": xlsx([row()])}).status_code == 403
    assert client.get(PAGE).status_code == 403


def test_a_revoked_or_narrowed_role_closes_the_uploaders_old_jobs(client, county_manager, city_manager, platform_admin):
    from zhiyuan.accounts.models import Role, RoleAssignment
    from zhiyuan.accounts.services import role_revoke

    county_job, _c = submit(county_manager, [row()], mode=imports.DRY_RUN)
    city_job, _c = submit(city_manager, [row()], mode=imports.DRY_RUN)
    client.force_login(county_manager)
    urls = [f"{API}/jobs/{county_job.pk}", f"{API}/jobs/{county_job.pk}/report", f"{PAGE}jobs/{county_job.pk}/"]
    assert [client.get(u).status_code for u in urls] == [200, 200, 200]
    # The city manager, narrowed to a county below the city, no longer sees the city-wide job.
    city_role = RoleAssignment.objects.get(user=city_manager, role=Role.REGION_MANAGER, active=True)
    RoleAssignment.objects.create(user=city_manager, role=Role.REGION_MANAGER, region_code=county_manager_region(county_manager))
    role_revoke(actor=platform_admin, assignment=city_role)
    client.force_login(city_manager)
    assert client.get(f"{API}/jobs/{city_job.pk}").status_code == 404
    assert client.get(f"{API}/jobs").json()["items"] == []
    # Revoked: the page, the job and the report are gone for the former manager, not for an admin.
    role_revoke(actor=platform_admin, assignment=RoleAssignment.objects.get(user=county_manager, active=True))
    client.force_login(county_manager)
    assert [client.get(u).status_code for u in urls] == [404, 404, 404]
    client.force_login(platform_admin)
    assert [client.get(u).status_code for u in urls] == [200, 200, 200]


def county_manager_region(user) -> str:
    from zhiyuan.accounts.models import RoleAssignment

    return RoleAssignment.objects.get(user=user, active=True).region_code


def test_a_token_narrowed_to_a_region_is_kept_for_the_worker(client, platform_admin, background):
    _token, secret = api_token_create(actor=platform_admin, name="惠阳区导入", can_write=True, region_prefix="441303")
    r = client.post(API, {"file": xlsx([row()]), "dry_run": "false"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert r.status_code == 202, r.content
    job = ImportJob.objects.get()
    assert job.token_prefix == "441303" and job.scope == "441303"
    run_worker()
    job.refresh_from_db()
    assert job.rows_created == 0 and job.errors.get().field == "region_code"  # 惠城区 is outside the token's region


def test_the_worker_writes_the_report_in_the_uploaders_language(client, county_manager, background):
    client.force_login(county_manager)
    # a file with the Chinese headers, sent by someone reading the pages in English
    r = client.post(API, {"file": xlsx([row(), row(number="123")]), "dry_run": "false"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 202
    job = ImportJob.objects.get()
    assert job.language == "en"
    run_worker()  # no request, no language of its own
    message = job.errors.get().message
    assert message and not re.search(r"[\u4e00-\u9fff]", message), message


# --- refused files --------------------------------------------------------------------------------------


def test_refused_files_get_a_chinese_reason_and_no_job(client, county_manager, settings):
    client.force_login(county_manager)
    settings.ZHIYUAN_IMPORT_MAX_UPLOAD_MB = 1
    big = _Upload(b"PK" + b"\0" * (1024 * 1024))
    r = client.post(API, {"file": big})
    assert r.status_code == 400 and r.json()["fields"]["file"] == ["文件不能超过1MB。"]
    r = client.post(PAGE, {"file": _Upload(big.getvalue()), "action": "check"})
    assert r.status_code == 400 and "文件不能超过1MB。" in r.content.decode()
    csv = _Upload(b"name,id\n", name="volunteers.csv")
    assert client.post(API, {"file": csv}).json()["fields"]["file"] == ["无法读取该文件，请使用导入模板（.xlsx）。"]
    r = client.post(PAGE, {"file": _Upload(b"name,id\n", name="volunteers.csv"), "action": "check"})
    assert r.status_code == 400 and "请上传 .xlsx 格式的Excel文件" in r.content.decode()
    r = client.post(API, {"file": xlsx([row()], header=["姓名*", "证件号码*"])})
    assert "缺少必填列" in r.json()["fields"]["file"][0]
    assert client.post(API, {"file": xlsx([])}).json()["fields"]["file"] == ["文件中没有数据行。"]
    settings.ZHIYUAN_IMPORT_MAX_ROWS = 2
    r = client.post(API, {"file": xlsx([row(), row(), row()])})
    assert r.json()["fields"]["file"] == ["每个文件最多2行，请拆分后分批导入。"]
    assert not ImportJob.objects.exists() and stored_files() == []
    # audited: the files that were read and refused (not the ones the size or name check stopped)
    assert AuditEntry.objects.filter(action="volunteer.import_file", result="failed").count() == 4


def test_page_lists_my_jobs_and_works_on_a_phone(client, county_manager, other_county_manager):
    submit(other_county_manager, [row(region=f.HUIYANG_TOWN, number=f.resident_id(address="441303"))])
    job, _created = submit(county_manager, [row(), row(number="123")])
    client.force_login(county_manager)
    page = client.get(PAGE).content.decode()
    assert page.count("data-job=") == 1 and f'data-job="{job.pk}"' in page and 'name="client_id"' in page
    assert 'name="viewport"' in page and 'class="table-wrap list-cards"' in page  # cards on a 390 px phone
    detail = client.get(f"{PAGE}jobs/{job.pk}/").content.decode()
    assert "data-report-link" in detail and 'data-row="3"' in detail and "已完成（有问题）" in detail


# --- memory ----------------------------------------------------------------------------------------------


def test_memory_stays_flat_over_20000_rows(county_manager, background, monkeypatch):
    """The job path over 20,000 rows of an Excel-style file (shared strings): the traced peak
    after the last chunk is within 1.5 MB of the peak after the second — holding the rows would
    cost ~10 MB (~500 bytes a row); a shared-strings list ~5 MB."""
    rows = make_rows(20_000, seed=4, towns=[f.HUICHENG_TOWN])
    body = write_xlsx(rows, shared_strings=True)
    del rows
    job, _created = svc.import_job_submit(actor=county_manager, upload=_Upload(body), mode=imports.DRY_RUN)
    peaks = []
    saved = svc._Progress.__call__

    def spy(self, report, phase, errors):
        saved(self, report, phase, errors)
        peaks.append((report.rows, tracemalloc.get_traced_memory()[1]))

    monkeypatch.setattr(svc._Progress, "__call__", spy)
    started = time.perf_counter()
    tracemalloc.start()
    try:
        assert svc.import_job_run(job_id=job.pk) == "done"
    finally:
        tracemalloc.stop()
    job.refresh_from_db()
    assert (job.rows_total, job.rows_valid, job.errors_count) == (20_000, 20_000, 0)
    (_r2, early), (last_rows, last) = peaks[1], peaks[-1]
    assert last_rows == 20_000 and last - early < 1_500_000, peaks
    print(f"20,000 rows: traced peak {early / 1e6:.1f} MB after 2,000 rows, {last / 1e6:.1f} MB after 20,000; "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip


def test_both_kinds_of_xlsx_read_the_same(county_manager):
    rows = make_rows(50, seed=5, towns=[f.HUICHENG_TOWN])
    inline = imports.import_parse(io.BytesIO(write_xlsx(rows)))
    shared = imports.import_parse(io.BytesIO(write_xlsx(rows, shared_strings=True)))
    assert not inline.file_errors and [r.data for r in inline.rows] == [r.data for r in shared.rows]
    assert [r.row for r in shared.rows] == list(range(2, 52))
    with imports.Sheet(io.BytesIO(write_xlsx(rows, shared_strings=True))) as sheet:
        assert sheet.rows_upper_bound() == 50


# --- sweep -----------------------------------------------------------------------------------------------


def test_sweep_fails_dead_and_expired_jobs_and_deletes_files(county_manager, background, settings):
    stale, _c = submit(county_manager, [row()])
    queued, _c = submit(county_manager, [row(), row()])
    done, _c = submit(county_manager, [row(), row(), row()], mode=imports.DRY_RUN)
    run_worker()  # all three ran; now make them look like the cases the sweep handles
    long_ago = timezone.now() - dt.timedelta(days=settings.ZHIYUAN_IMPORT_REPORT_DAYS + 1)
    ImportJob.objects.filter(pk=stale.pk).update(status="running", updated_at=timezone.now() - dt.timedelta(hours=1))
    ImportJob.objects.filter(pk=queued.pk).update(status="queued", created_at=timezone.now() - dt.timedelta(days=3))
    ImportJob.objects.filter(pk=done.pk).update(finished_at=long_ago)
    orphan = svc.files_dir() / "0123.zyf"
    orphan.write_bytes(b"ZYF1")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    out = io.StringIO()
    call_command("volunteers_import_sweep", stdout=out)
    assert "stale jobs failed: 1; queued too long: 1" in out.getvalue() and "old jobs deleted: 1" in out.getvalue()
    stale.refresh_from_db()
    queued.refresh_from_db()
    assert stale.status == queued.status == "failed" and "中断" in stale.message and "排队时间过长" in queued.message
    assert not ImportJob.objects.filter(pk=done.pk).exists() and stored_files() == []


def test_the_job_page_and_api_fail_their_own_dead_job(client, county_manager, background, settings):
    partial, _c = submit(county_manager, [row(), row()])
    checked, _c = submit(county_manager, [row()], mode=imports.DRY_RUN)
    long_ago = timezone.now() - dt.timedelta(minutes=settings.ZHIYUAN_IMPORT_STALE_MINUTES + 1)
    ImportJob.objects.filter(pk=partial.pk).update(status="running", rows_created=1, updated_at=long_ago)
    ImportJob.objects.filter(pk=checked.pk).update(status="running", updated_at=timezone.now())
    client.force_login(county_manager)
    body = client.get(f"{API}/jobs/{partial.pk}").json()
    assert (body["status"], body["finished"]) == ("failed", True)
    assert "中断" in body["message"] and "「只导入校验通过的行」" in body["message"] and "重新提交" not in body["message"]
    assert "只导入校验通过的行" in client.get(f"{PAGE}jobs/{partial.pk}/").content.decode()
    assert stored_files() == [ImportJob.objects.get(pk=checked.pk).file_ref]  # the dead job's file is gone
    assert client.get(f"{API}/jobs/{checked.pk}").json()["status"] == "running"  # still making progress
    # Not all-or-nothing, or nothing committed yet: submit again.
    ImportJob.objects.filter(pk=checked.pk).update(updated_at=long_ago)
    assert "请核对后重新提交" in client.get(f"{PAGE}jobs/{checked.pk}/").content.decode()
    assert ImportJob.objects.get(pk=checked.pk).status == "failed"


def test_run_py_sweeps_before_starting_the_worker(monkeypatch):
    import run

    calls = []
    monkeypatch.setattr(run, "ensure_venv", lambda: None)
    monkeypatch.setattr(run, "manage", lambda *a: calls.append(a[0]))
    monkeypatch.setattr(run, "supervise", lambda children: calls.append(sorted(children)) or 0)
    monkeypatch.delenv("ZHIYUAN_TASK_WORKER", raising=False)
    monkeypatch.setenv("ZHIYUAN_DEMO", os.environ.get("ZHIYUAN_DEMO", "1"))  # up() sets it; restored after
    with pytest.raises(SystemExit):
        run.up()
    assert calls.index("volunteers_import_sweep") < calls.index(["web", "worker"])


# --- plaintext on disk stays in the private directory ----------------------------------------------------


def test_large_uploads_and_scratch_files_stay_in_the_private_temp_dir(settings, county_manager, monkeypatch):
    from django.conf import settings as live
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    from zhiyuan import settings as configured
    from zhiyuan.core import filecrypt
    from zhiyuan.core.filecrypt import private_temp_dir

    # As configured (not the per-test override): inside ZHIYUAN_PRIVATE_DIR, created 0700 at start-up.
    temp = configured.ZHIYUAN_PRIVATE_DIR / "tmp"
    assert configured.FILE_UPLOAD_TEMP_DIR == str(temp) and temp.is_dir()
    assert temp.stat().st_mode & 0o777 == 0o700 and configured.ZHIYUAN_PRIVATE_DIR.stat().st_mode & 0o777 == 0o700
    # Recreated 0700 on first use, and Django's large-upload handler writes there.
    assert private_temp_dir() == svc.Path(live.FILE_UPLOAD_TEMP_DIR) and private_temp_dir().stat().st_mode & 0o777 == 0o700
    handler = TemporaryFileUploadHandler()
    handler.new_file("file", "big.xlsx", "application/octet-stream", 10_000_000)
    assert os.path.dirname(handler.file.temporary_file_path()) == live.FILE_UPLOAD_TEMP_DIR
    handler.file.close()
    # The worker's scratch databases (shared strings, duplicates): created there, unlinked at once.
    made = []
    real_connect = filecrypt.sqlite3.connect
    monkeypatch.setattr(filecrypt.sqlite3, "connect", lambda path: made.append(path) or real_connect(path))
    job, _c = submit(county_manager, [row()], mode=imports.DRY_RUN)
    assert job.status == "done" and made and all(str(p).startswith(live.FILE_UPLOAD_TEMP_DIR) for p in made)
    assert list(private_temp_dir().iterdir()) == []


def test_sweep_deletes_old_leftovers_in_the_private_temp_dir(county_manager):
    from zhiyuan.core.filecrypt import private_temp_dir

    old_upload, fresh_upload = private_temp_dir() / "tmpab12.upload.xlsx", private_temp_dir() / "tmpcd34.upload.xlsx"
    old_upload.write_bytes(b"PK")
    fresh_upload.write_bytes(b"PK")
    old = time.time() - 7200
    os.utime(old_upload, (old, old))
    assert svc.import_job_sweep()["temp_files"] == 1
    assert list(private_temp_dir().iterdir()) == [fresh_upload]

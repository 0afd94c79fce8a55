"""Issue #8 item 2: an import job has a wall-clock and a memory limit; a job over either fails
with a message that says which, keeps what it imported, and its task ends."""

import pytest
from django_tasks import default_task_backend

from zhiyuan.volunteers import imports
from zhiyuan.volunteers.models import ImportJob, Volunteer
from zhiyuan.volunteers.services import import_jobs as svc
from zhiyuan.volunteers.tasks import import_job_task
from zhiyuan.volunteers.tests.test_import import row, xlsx
from zhiyuan.volunteers.tests.test_import_jobs import DUMMY, _Upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def queued(settings, tmp_path):
    settings.ZHIYUAN_PRIVATE_DIR = tmp_path / "private"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "private" / "tmp")
    settings.ZHIYUAN_IMPORT_INLINE_ROWS = 0
    settings.ZHIYUAN_IMPORT_CHUNK_ROWS = 2
    settings.TASKS = DUMMY
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def submit_and_run(actor, n: int, mode=imports.VALID_ONLY) -> ImportJob:
    job, _ = svc.import_job_submit(actor=actor, upload=_Upload(xlsx([row() for _ in range(n)]).getvalue()), mode=mode)
    (result,) = default_task_backend.results
    assert import_job_task.call(*result.args, **result.kwargs) == "failed"  # the task ends
    job.refresh_from_db()
    return job


def test_a_job_over_its_memory_limit_fails_and_says_so(settings, county_manager):
    settings.ZHIYUAN_IMPORT_MAX_MEMORY_MB = 1  # any Python process is larger: stops after the first chunk
    job = submit_and_run(county_manager, 6)
    assert job.status == ImportJob.Status.FAILED and not job.file_ref
    assert "内存超过上限（1MB）" in job.message
    # stopped at the first chunk's end: what it committed is said, nothing after it was imported
    assert f"已导入 {Volunteer.objects.count()} 人" in job.message and Volunteer.objects.count() <= 2


def test_a_job_over_its_time_limit_fails_and_says_so(settings, county_manager):
    settings.ZHIYUAN_IMPORT_MAX_SECONDS = 0
    job = submit_and_run(county_manager, 6, mode=imports.ALL_OR_NOTHING)
    assert job.status == ImportJob.Status.FAILED
    assert "处理时间超过上限（0秒）" in job.message
    assert Volunteer.objects.count() == job.rows_created


def test_within_its_limits_a_job_is_not_stopped(settings, county_manager):
    job, _ = svc.import_job_submit(actor=county_manager, upload=_Upload(xlsx([row(), row()]).getvalue()), mode=imports.VALID_ONLY)
    (result,) = default_task_backend.results
    assert import_job_task.call(*result.args, **result.kwargs) == "done"
    job.refresh_from_db()
    assert job.rows_created == 2 and not job.message

"""Issue #11 item 1: a worker killed mid-import (kill -9) and started again fails the job and its
task row at once — by the dead worker's identity, not after ``ZHIYUAN_IMPORT_STALE_MINUTES``.

Real processes: ``manage.py db_worker`` runs as a subprocess against a file database (SQLite,
and PostgreSQL when ``DATABASE_URL`` names one), is killed with SIGKILL half-way through a job,
and is started again. No pytest-django database here: the processes share their own."""

import os
import signal
import time

import pytest

from zhiyuan.testing_sites import Site, databases, wait_for

SETUP = """
from django.core.files.uploadedfile import SimpleUploadedFile
from bench.import_bench import huizhou_towns, make_rows, write_xlsx
from zhiyuan.accounts.roles import Role
from zhiyuan.regions.services import region_import_shipped
from zhiyuan.testing import make_user
from zhiyuan.volunteers.services.import_jobs import import_job_submit
region_import_shipped(province_prefix="44")
admin = make_user("13900000001", "admin", role=Role.PLATFORM_ADMIN, totp=False)
body = write_xlsx(make_rows(ROWS, towns=huizhou_towns()))
job, _ = import_job_submit(actor=admin, upload=SimpleUploadedFile("v.xlsx", body), mode="valid_only")
print("JOB", job.pk, job.status)
"""


@pytest.mark.parametrize("kind", list(databases()))
def test_a_worker_killed_mid_job_fails_the_job_and_its_task_when_it_comes_back(kind, tmp_path):
    site = Site(kind, tmp_path, ZHIYUAN_IMPORT_INLINE_ROWS="0", ZHIYUAN_IMPORT_CHUNK_ROWS="25")
    log = tmp_path / "worker.log"
    try:
        site.manage("migrate", "--noinput", "-v", "0")
        setup = site.manage("shell", "-c", SETUP.replace("ROWS", "1500"))
        job_id = int(setup.stdout.split("JOB", 1)[1].split()[0])
        job_sql = f"SELECT status, rows_done, message FROM volunteers_importjob WHERE id = {job_id}"
        task_sql = "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult"

        first = site.worker(log)
        try:
            # Half-way: running, some chunks done, not finished.
            wait_for(lambda: (r := site.one(job_sql)) and r[0] == "running" and r[1] >= 50, timeout=120, what="progress")
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        status, _done, _m = site.one(job_sql)
        assert status == "running", "the job ended before the kill; make it longer"
        assert site.one(task_sql)[0] == "RUNNING"

        started = time.monotonic()
        second = site.worker(log)
        try:
            job = wait_for(lambda: (r := site.one(job_sql)) and r[0] != "running" and r, timeout=60, what="the job to end")
            took = time.monotonic() - started
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        assert job[0] == "failed" and "后台处理进程中断" in job[2] and "已导入" in job[2]
        assert site.one(task_sql) == ("FAILED", "zhiyuan.core.workers.WorkerLost")
        assert took < 30  # seconds (Django start-up included), not the 30-minute stale limit
        # recovered at the new worker's start or by its first periodic check, whichever saw the
        # dead worker first (a race on a loaded machine); either way the log says which task
        text = log.read_text()
        assert "tasks of lost workers failed: 1" in text or "failed: its worker" in text
    finally:
        site.drop()

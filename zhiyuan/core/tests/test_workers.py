"""core.workers: which RUNNING tasks belong to a worker that is gone (issue #11 item 1). The real
kill -9 round trip is volunteers/tests/test_worker_crash.py."""

import datetime as dt
import subprocess
import sys

import pytest
from django.utils import timezone
from django_tasks.backends.database.models import DBTaskResult, get_date_max

from zhiyuan.core import workers
from zhiyuan.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def running_task(worker_id: str, path="zhiyuan.volunteers.tasks.import_job_task", args=(1,)) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING", args_kwargs={"args": list(args), "kwargs": {}}, task_path=path, backend_name="default",
        run_after=get_date_max(), worker_ids=[worker_id], started_at=timezone.now(),
    )  # fmt: skip


def beat(worker_id: str, *, host: str | None = None, pid: int = 1, seen: float = 0) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, host=host or workers._host(), pid=pid, started_at=now,
        seen_at=now - dt.timedelta(seconds=seen),
    )  # fmt: skip


def status(task) -> str:
    task.refresh_from_db()
    return task.status


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_task_of_a_live_worker_is_left_alone(settings):
    import os

    here = running_task("alive-here")
    beat("alive-here", pid=os.getppid() or 1)  # a process that exists
    there = running_task("alive-there")
    beat("alive-there", host="another-machine", seen=settings.ZHIYUAN_WORKER_LOST_SECONDS - 5)
    assert workers.tasks_recover() == 0
    assert status(here) == status(there) == "RUNNING"


def test_a_dead_process_on_this_host_fails_its_task_at_once_and_calls_the_hook(monkeypatch):
    seen = []
    monkeypatch.setitem(workers._LOST_HOOKS, "app.tasks.t", lambda job_id: seen.append(job_id))
    task = running_task("killed", path="app.tasks.t", args=(42,))
    beat("killed", pid=dead_pid(), seen=0)  # heartbeat still fresh: identity decides, not age
    assert workers.tasks_recover() == 1
    task.refresh_from_db()
    assert (task.status, task.exception_class_path) == ("FAILED", "zhiyuan.core.workers.WorkerLost")
    assert seen == [42] and not WorkerHeartbeat.objects.filter(worker_id="killed").exists()
    assert workers.tasks_recover() == 0  # once


def test_a_silent_worker_elsewhere_or_no_heartbeat_at_all_fails_its_task(settings):
    silent = running_task("silent")
    beat("silent", host="another-machine", seen=settings.ZHIYUAN_WORKER_LOST_SECONDS + 1)
    unknown = running_task("never-registered")
    assert workers.tasks_recover() == 2
    assert status(silent) == status(unknown) == "FAILED"


def test_the_worker_itself_is_never_lost():
    import os

    mine = running_task("me")
    beat("me", pid=os.getpid())
    assert workers.tasks_recover(own_id="me") == 0 and status(mine) == "RUNNING"
    # the same pid under another id (a restarted container's worker is pid 1 again) is a dead one
    other = running_task("my-predecessor")
    beat("my-predecessor", pid=os.getpid())
    assert workers.tasks_recover(own_id="me") == 1 and status(other) == "FAILED"

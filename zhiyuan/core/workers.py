"""Background workers that die mid-task (issue #11 item 1).

django-tasks' database backend marks a task RUNNING when a worker claims it and never looks at
it again: after ``kill -9`` (or a lost machine) the task row — and the domain object the task
was working on — stay "running" for ever. Here every worker (our ``db_worker`` command, which
wraps django-tasks') keeps a ``WorkerHeartbeat`` row, refreshed every
``ZHIYUAN_WORKER_HEARTBEAT_SECONDS`` by a thread. ``tasks_recover`` fails each RUNNING task whose
worker is gone:

* no heartbeat row (a worker registers before it claims anything and removes its row only after
  its last task ended), or
* the same host, and that process no longer exists (or the pid now belongs to another process),
  which is how a worker restarted after a crash finds its predecessor at once, or
* a heartbeat older than ``ZHIYUAN_WORKER_LOST_SECONDS`` (a worker on another machine).

Apps register what a lost task means for their data (``register_task_lost``); the import jobs
fail their job there. A live worker runs ``tasks_recover`` at start and every minute, the import
sweep and the import job page run it too.
"""

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

_LOST_HOOKS: dict[str, Callable[..., None]] = {}


class WorkerLost(Exception):
    """Recorded on a task row whose worker died while running it."""


def register_task_lost(task_path: str, hook: Callable[..., None]) -> None:
    """``hook(*args, **kwargs)`` (the task's arguments) is called once for a task of
    ``task_path`` whose worker was lost, after its row was failed."""
    _LOST_HOOKS[task_path] = hook


def _host() -> str:
    return socket.gethostname()[:255]


def _pid_started(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux ``/proc``), "" if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22 "starttime", counted after "(comm)"


def _process_gone(pid: int, started: str) -> bool:
    if pid == os.getpid():
        return False  # this very process (checked by worker_id before)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, another user's
    return bool(started) and _pid_started(pid) not in ("", started)


def worker_register(worker_id: str):
    from zhiyuan.core.models import WorkerHeartbeat

    now = timezone.now()
    pid = os.getpid()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": _host(), "pid": pid, "pid_started": _pid_started(pid), "started_at": now, "seen_at": now},
    )


def worker_unregister(worker_id: str) -> None:
    from zhiyuan.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def _gone(beat, *, now, host: str, own_id: str | None) -> bool:
    if beat is None:
        return True
    if beat.worker_id == own_id:
        return False
    if beat.host == host and (beat.pid == os.getpid() or _process_gone(beat.pid, beat.pid_started)):
        return True
    return beat.seen_at < now - dt.timedelta(seconds=settings.ZHIYUAN_WORKER_LOST_SECONDS)


def tasks_recover(*, own_id: str | None = None) -> int:
    """Fail every RUNNING task whose worker is gone (module docstring), call the task's lost
    hook, and drop the heartbeat rows of gone workers. Returns the number of tasks failed."""
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus
    from django_tasks.utils import get_module_path

    from zhiyuan.core.models import WorkerHeartbeat

    now = timezone.now()
    host = _host()
    beats = {b.worker_id: b for b in WorkerHeartbeat.objects.all()}
    failed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("id", "worker_ids", "task_path", "args_kwargs")
    for task in running:
        worker_id = task.worker_ids[-1] if task.worker_ids else None
        if not _gone(beats.get(worker_id), now=now, host=host, own_id=own_id):
            continue
        with transaction.atomic():
            ended = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=get_module_path(WorkerLost),
                traceback=f"WorkerLost: worker {worker_id} ended while running this task",
                return_value=None,
            )
        if not ended:
            continue
        failed += 1
        logger.warning("task %s failed: its worker %s is gone", task.pk, worker_id)
        hook = _LOST_HOOKS.get(task.task_path)
        if hook is not None:
            try:
                hook(*task.args_kwargs.get("args", []), **task.args_kwargs.get("kwargs", {}))
            except Exception:
                logger.exception("lost-task hook for %s failed", task.task_path)
    dead = [w for w, b in beats.items() if w != own_id and _gone(b, now=now, host=host, own_id=own_id)]
    if dead:
        WorkerHeartbeat.objects.filter(worker_id__in=dead).delete()
    return failed


class Heartbeat(threading.Thread):
    """Refreshes the worker's row every ``ZHIYUAN_WORKER_HEARTBEAT_SECONDS`` and looks for lost
    tasks of other workers every minute. A daemon thread: it dies with its process."""

    def __init__(self, worker_id: str):
        super().__init__(name="zhiyuan-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        from zhiyuan.core.models import WorkerHeartbeat

        interval = settings.ZHIYUAN_WORKER_HEARTBEAT_SECONDS
        beats = 0
        while not self.stopped.wait(interval):
            beats += 1
            try:
                updated = WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(seen_at=timezone.now())
                if not updated:  # removed as lost (a long stall): say we are alive again
                    worker_register(self.worker_id)
                if beats * interval >= 60:
                    beats = 0
                    tasks_recover(own_id=self.worker_id)
            except Exception:  # the database is busy or away: try again next beat
                logger.warning("worker heartbeat failed", exc_info=True)
            finally:
                connection.close()

"""Background tasks of activities (django-tasks; run by ``manage.py db_worker``).

STYLE: a task loads by id and calls a service — the rules live in the service."""

from django_tasks import task


@task()
def attendance_close_task() -> int:
    """Close forgotten check-outs at their shift's end (``attendance.attendance_close_overdue``;
    the same as ``manage.py attendance_close``)."""
    from zhiyuan.activities.attendance import attendance_close_overdue

    return attendance_close_overdue()

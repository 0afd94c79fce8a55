"""Background tasks of core (django-tasks; run by ``manage.py db_worker``).

STYLE: a task loads by id and calls a service — the rules live in the service."""

from django_tasks import task


@task()
def export_job_task(job_id: int) -> str:
    """Write a queued background export (``core.export_jobs.export_job_run``)."""
    from zhiyuan.core.export_jobs import export_job_run

    return str(export_job_run(job_id=job_id))


@task()
def notification_deliver_task(notification_id: int) -> dict:
    """Send one notice by e-mail/SMS after its transaction committed
    (``core.notifications.notification_deliver``: failures are recorded, not raised)."""
    from zhiyuan.core.notifications import notification_deliver

    return notification_deliver(notification_id)

"""Background tasks of the volunteers app (django-tasks; run by ``manage.py db_worker``).

STYLE: a task loads by id and calls a service — the rules live in the service."""

from django_tasks import task


@task()
def import_job_task(job_id: int) -> str:
    """Run a queued bulk-import job (VOL-10, ``services.import_jobs.import_job_run``)."""
    from zhiyuan.volunteers.services.import_jobs import import_job_run

    return import_job_run(job_id=job_id, hard_limits=True)

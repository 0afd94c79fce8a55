"""``manage.py volunteers_import_sweep``: housekeeping of bulk-import jobs (VOL-10) — fail jobs
whose worker died or that never ran, delete their files and stray files, clear day-old
previews, drop old reports.
Every finished job runs it too; schedule it (e.g. hourly) so nothing waits for the next import.
See ``services/import_jobs.py`` and docs/operations.md."""

from django.core.management.base import BaseCommand

from zhiyuan.volunteers.services.import_jobs import import_job_sweep


class Command(BaseCommand):
    help = "Fail stale or expired import jobs, delete their files and old reports."

    def handle(self, *args, **options):
        counts = import_job_sweep()
        self.stdout.write(
            "tasks of lost workers failed: {lost}; stale jobs failed: {stale}; queued too long: {expired}; "
            "files deleted: {files}; "
            "stray files deleted: {orphans}; temporary files deleted: {temp_files}; "
            "previews cleared: {previews}; old jobs deleted: {deleted}".format(**counts)
        )

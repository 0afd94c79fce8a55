"""``manage.py exports_sweep``: housekeeping of background exports (issue #7 item 3) — expire
finished exports past their link's lifetime and delete their encrypted files, delete files no
job owns, fail jobs whose worker died. Schedule it hourly (docs/operations.md "Exports")."""

from django.core.management.base import BaseCommand

from zhiyuan.core.export_jobs import export_jobs_sweep


class Command(BaseCommand):
    help = "Expire background exports past their download lifetime and delete their files."

    def handle(self, *args, **options):
        counts = export_jobs_sweep()
        self.stdout.write(
            "tasks of lost workers failed: {lost}; exports expired: {expired}; stray files deleted: {files}".format(**counts)
        )

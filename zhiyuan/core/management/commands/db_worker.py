"""``manage.py db_worker``: django-tasks' database worker, plus a heartbeat and the recovery of
tasks whose worker died (``core.workers``, issue #11). ``zhiyuan.core`` is listed before
``django_tasks.backends.database`` in INSTALLED_APPS so that this command is the one run."""

from django_tasks.backends.database.management.commands.db_worker import Command as BaseWorkerCommand

from zhiyuan.core.workers import Heartbeat, tasks_recover, worker_register, worker_unregister


class Command(BaseWorkerCommand):
    help = BaseWorkerCommand.help + " (with a heartbeat; fails tasks whose worker died)"

    def handle(self, *args, **options):
        worker_id = options["worker_id"]
        worker_register(worker_id)
        lost = tasks_recover(own_id=worker_id)
        self.stdout.write(f"worker {worker_id}: tasks of lost workers failed: {lost}")
        self.stdout.flush()
        beat = Heartbeat(worker_id)
        beat.start()
        try:
            super().handle(*args, **options)
        finally:
            beat.stopped.set()
            worker_unregister(worker_id)

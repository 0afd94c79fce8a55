"""``manage.py flush`` that can empty chained tables.

Django's flush empties tables with DELETE on SQLite (TRUNCATE on PostgreSQL, which row triggers
do not see), and the append-only triggers of ``core.chain`` refuse DELETE. This command runs
Django's own flush with the chains unlocked on that one connection for that one call. Tests
flush between transactional and live-server tests through ``call_command("flush")``.
"""

from django.core.management.commands.flush import Command as DjangoFlush

from zhiyuan.core import chain


class Command(DjangoFlush):
    def handle(self, **options):
        with chain.unlocked(options["database"], reason="manage.py flush empties every table"):
            return super().handle(**options)

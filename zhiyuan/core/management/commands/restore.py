"""``manage.py restore FILE --yes``: put a ``manage.py backup`` file back as the SQLite database
(``core.backup``: through SQLite's backup API, never a file copy beside a stale ``-wal``). Stop
the web server and the worker first; run ``manage.py audit_verify`` after."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from zhiyuan.core.backup import BackupError, sqlite_restore
from zhiyuan.core.management.commands.backup import sqlite_path


class Command(BaseCommand):
    help = "Restore the SQLite database from a backup file (stop the servers first)."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a file written by manage.py backup")
        parser.add_argument("--yes", action="store_true", help="really replace the current database")

    def handle(self, *args, backup, yes=False, **options):
        database = sqlite_path()
        if not yes:
            raise CommandError(f"This replaces everything in {database} with {backup}. Stop the servers, then add --yes.")
        connection.close()
        try:
            sqlite_restore(backup=Path(backup), database=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {database} from {backup} (integrity ok); now run manage.py audit_verify")

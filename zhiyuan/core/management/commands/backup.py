"""``manage.py backup FILE``: a consistent, owner-only copy of the SQLite database, taken while
the site runs (``core.backup``). PostgreSQL: use ``pg_dump -Fc`` (docs/operations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from zhiyuan.core.backup import BackupError, sqlite_backup


def sqlite_path() -> Path:
    if connection.vendor != "sqlite":
        raise CommandError("This database is PostgreSQL: back up with pg_dump -Fc, restore with pg_restore (docs/operations.md).")
    return Path(connection.settings_dict["NAME"])


class Command(BaseCommand):
    help = "Back up the SQLite database to a new file (readable by the owner only)."

    def add_arguments(self, parser):
        parser.add_argument("target", help="the backup file to create (must not exist)")

    def handle(self, *args, target, **options):
        try:
            size = sqlite_backup(database=sqlite_path(), target=Path(target))
        except (BackupError, FileExistsError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written: {target} ({size} bytes, integrity ok)")

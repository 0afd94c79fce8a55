from django.apps import AppConfig


def _sqlite_owner_only(sender, connection, **kwargs):
    """Issue #11 item 5: the SQLite database (and its -wal/-shm) is readable by the owner only."""
    if connection.vendor == "sqlite":
        from pathlib import Path

        from zhiyuan.core.backup import owner_only

        name = str(connection.settings_dict["NAME"])
        if name and ":memory:" not in name and "mode=memory" not in name:
            owner_only(Path(name))


class CoreConfig(AppConfig):
    name = "zhiyuan.core"
    label = "core"
    verbose_name = "core"

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from zhiyuan.core import checks, keycheck  # noqa: F401  (register the system checks)
        from zhiyuan.core.chain import sqlite_connection_created

        connection_created.connect(sqlite_connection_created, dispatch_uid="zhiyuan.core.chain")
        connection_created.connect(_sqlite_owner_only, dispatch_uid="zhiyuan.core.sqlite_owner_only")
        post_migrate.connect(keycheck.enroll_after_migrate, sender=self)

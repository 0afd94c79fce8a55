from django.apps import AppConfig


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
        post_migrate.connect(keycheck.enroll_after_migrate, sender=self)

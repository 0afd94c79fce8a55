from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhiyuan.core"
    label = "core"
    verbose_name = "core"

    def ready(self):
        from django.db.backends.signals import connection_created

        from zhiyuan.core.chain import sqlite_connection_created

        connection_created.connect(sqlite_connection_created, dispatch_uid="zhiyuan.core.chain")

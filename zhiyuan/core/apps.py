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
        self._exports_ready()

    def _exports_ready(self):
        """Background exports (core/export_jobs.py): a lost worker fails its job, the sealed
        columns re-seal under a new key, the audit labels, "我的导出" for the roles that export."""
        from django.utils.translation import gettext_lazy as _

        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.export_jobs import FILE_PURPOSE, FILTERS_PURPOSE, TASK_PATH, export_job_lost
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.sealed import register_sealed_column
        from zhiyuan.core.workers import register_task_lost

        register_task_lost(TASK_PATH, export_job_lost)
        register_sealed_column("core.ExportJob", "filters_sealed", purpose=FILTERS_PURPOSE)
        register_sealed_column("core.ExportJob", "file_key_sealed", purpose=FILE_PURPOSE)
        register_audit_actions(
            "exports.",
            _("导出"),
            {"exports.job.create": _("创建后台导出"), "exports.job.download": _("下载后台导出文件")},
        )
        # role codes of accounts.roles (core may not import accounts): the roles with an export scope
        managers = frozenset({"region_manager", "platform_admin"})
        register_nav(NavItem("exports", _("我的导出"), "exports:list", roles=managers, order=90, group="account"))

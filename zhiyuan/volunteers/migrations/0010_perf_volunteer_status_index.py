"""A status filter (e.g. the few suspended volunteers) in the newest-first list reads only that
status, in list order (issue #7 item 2): ``(status, registered_at, id)``, built DESC NULLS LAST on
PostgreSQL (the list's order; a backward btree scan there is NULLS FIRST) and plain on SQLite
(whose backward scan is the list's order). Not in the model state: it differs per database."""

from django.db import migrations

NAME = "volunteer_status_registered"
COLUMNS = {
    "postgresql": "(status, registered_at DESC NULLS LAST, id DESC NULLS LAST)",
    "sqlite": "(status, registered_at, id)",
}


def create(apps, schema_editor):
    columns = COLUMNS.get(schema_editor.connection.vendor)
    if columns:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON volunteers_volunteer {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0009_perf_volunteer_sort_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]

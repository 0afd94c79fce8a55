"""Substring name search on PostgreSQL reads a trigram index (pg_trgm, GIN) instead of every row
in the scope (issue #7 item 2). The index is on ``UPPER(name::text)``, the expression Django's
``icontains`` compares on PostgreSQL. Nothing on SQLite (docs/benchmarks.md §7: its strategy);
the index is not in the model state, so the migration runs on both databases."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "volunteer_name_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON volunteers_volunteer USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0007_perf_volunteer_tally"),
    ]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION IF NOT EXISTS pg_trgm; skipped on SQLite
        migrations.RunPython(create_index, drop_index),
    ]

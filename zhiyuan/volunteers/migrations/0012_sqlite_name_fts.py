"""Substring name search on SQLite reads an FTS5 trigram index instead of scanning the names of
the scope (issue #7 item 2; decision record 0002). PostgreSQL has its pg_trgm index (0008);
nothing happens there.

``volunteer_name_fts`` is an external-content FTS5 table over ``volunteers_volunteer.name``
(the names are not stored twice), kept by three triggers in the writer's transaction. A later
migration that makes SQLite rebuild ``volunteers_volunteer`` drops these triggers: run
``name_fts_sql`` again after it (a test registers a volunteer and finds them by a substring,
so a lost trigger fails CI)."""

from django.db import migrations

TABLE = "volunteer_name_fts"

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "name, content='volunteers_volunteer', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON volunteers_volunteer BEGIN "
    f"INSERT INTO {TABLE}(rowid, name) VALUES (new.id, new.name); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON volunteers_volunteer BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, name) VALUES ('delete', old.id, old.name); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_au AFTER UPDATE OF name ON volunteers_volunteer BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, name) VALUES ('delete', old.id, old.name); "
    f"INSERT INTO {TABLE}(rowid, name) VALUES (new.id, new.name); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
]
DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_ai",
    f"DROP TRIGGER IF EXISTS {TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {TABLE}_au",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0011_import_job_list_indexes"),
    ]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]

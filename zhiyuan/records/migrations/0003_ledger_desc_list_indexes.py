"""The ledger's newest-first lists read their owner's index in list order (rule 9). The lists
order ``DESC NULLS LAST`` (core.lists); PostgreSQL reads a btree backwards as ``DESC NULLS
FIRST``, so without these it sorts all of a volunteer's entries for every page. SQLite's backward
scan of the model's indexes is already the list's order: nothing to add there. Not in the model
state: they differ per database (as volunteers 0009/0010)."""

from django.db import migrations

INDEXES = {
    # a volunteer's entries, newest service date first (MY_ENTRIES)
    "hour_entry_volunteer_date_desc": ("records_hourentry", "(volunteer_id, service_date DESC NULLS LAST, id DESC NULLS LAST)"),
    # an organization's entries, newest first (ORG_ENTRIES)
    "hour_entry_org_created_desc": ("records_hourentry", "(organization_id, created_at DESC NULLS LAST, id DESC NULLS LAST)"),
    # correction and honour queues by status, newest first; a volunteer's own requests
    "correction_org_status_desc": ("records_correctionrequest", "(organization_id, status, id DESC NULLS LAST)"),
    "correction_volunteer_desc": ("records_correctionrequest", "(volunteer_id, id DESC NULLS LAST)"),
    "honour_org_status_desc": ("records_honourgrant", "(organization_id, status, id DESC NULLS LAST)"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_ledger_honour_evidence"),
    ]

    operations = [migrations.RunPython(create, drop)]

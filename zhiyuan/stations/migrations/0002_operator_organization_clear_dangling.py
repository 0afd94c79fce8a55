"""Before ``operator_organization_id`` becomes a foreign key (0003): clear ids that name no
organization. The service only checked for a positive integer, and a dangling id would make the
new constraint fail on PostgreSQL and SQLite alike. Points that name an existing organization
keep it."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def clear_dangling_operators(apps, schema_editor):
    ServicePoint = apps.get_model("stations", "ServicePoint")
    Organization = apps.get_model("organizations", "Organization")
    dangling = ServicePoint.objects.filter(operator_organization_id__isnull=False).exclude(
        Exists(Organization.objects.filter(pk=OuterRef("operator_organization_id")))
    )
    dangling.update(operator_organization_id=None)


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0001_service_point"),
        ("organizations", "0001_organizations_memberships"),
    ]

    operations = [
        migrations.RunPython(clear_dangling_operators, migrations.RunPython.noop),
    ]

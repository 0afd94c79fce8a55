"""``ServicePoint.operator_organization_id`` (a plain nullable integer, written before the
organizations app existed) becomes ``operator_organization``, a foreign key to
``organizations.Organization``. Rename, then alter: the column ends up named
``operator_organization_id`` as before, so every stored id is kept (PostgreSQL: rename and add the
constraint and index; SQLite: the table is rebuilt with its rows copied)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0002_operator_organization_clear_dangling"),
        ("organizations", "0001_organizations_memberships"),
    ]

    operations = [
        migrations.RenameField(
            model_name="servicepoint",
            old_name="operator_organization_id",
            new_name="operator_organization",
        ),
        migrations.AlterField(
            model_name="servicepoint",
            name="operator_organization",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="service_points",
                to="organizations.organization",
                verbose_name="运营组织",
            ),
        ),
    ]

"""Seed the qualification-type registry (issue 9 item 3). Validity periods follow the usual
terms of the issuing bodies: 红十字会 first-aider certificates 3 years, psychological aid and
water rescue 2 years, emergency rescue 3 years; a manager may change them later."""

from django.db import migrations

TYPES = [
    ("first_aid", "急救员", 36, "红十字会救护员证或同等急救培训证书"),
    ("psychological_aid", "心理援助", 24, "心理援助或心理咨询相关培训证书"),
    ("emergency_rescue", "应急救援", 36, "应急救援队员培训合格证书"),
    ("water_rescue", "水上救援", 24, "水上救生员或水上救援培训证书"),
    ("fire_safety", "消防安全", 36, "消防设施操作或志愿消防员培训证书"),
    ("sign_language", "手语服务", None, "手语翻译或手语服务培训证书"),
]


def seed(apps, schema_editor):
    QualificationType = apps.get_model("training", "QualificationType")
    for code, name, months, description in TYPES:
        QualificationType.objects.get_or_create(
            code=code, defaults={"name": name, "validity_months": months, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

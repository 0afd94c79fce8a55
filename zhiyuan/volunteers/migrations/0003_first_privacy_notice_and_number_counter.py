"""Data: the first privacy notice (VOL-6) and the volunteer-number counter row (VOL-3)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from zhiyuan.volunteers.texts import PRIVACY_NOTICE_V1, PRIVACY_NOTICE_V1_TITLE

    PrivacyNotice = apps.get_model("volunteers", "PrivacyNotice")
    Counter = apps.get_model("volunteers", "VolunteerNumberCounter")
    Volunteer = apps.get_model("volunteers", "Volunteer")
    if not PrivacyNotice.objects.exists():
        PrivacyNotice.objects.create(version="1.0", title=PRIVACY_NOTICE_V1_TITLE, body=PRIVACY_NOTICE_V1, is_current=True)
    if not Counter.objects.filter(pk=1).exists():
        top = (
            Volunteer.objects.filter(volunteer_no__regex=r"^[0-9]{10}[0-9X]$")
            .order_by("-volunteer_no")
            .values_list("volunteer_no", flat=True)
            .first()
        )
        Counter.objects.create(pk=1, last_serial=int(top[:10]) if top else 0)


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0002_profile_consent_status_corrections")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

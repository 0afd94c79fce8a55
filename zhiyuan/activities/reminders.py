"""The reminder before a shift (ACT-7): every accepted volunteer whose shift starts within
``ZHIYUAN_SHIFT_REMINDER_HOURS`` is told once — when, where, which position — through
``core.notifications.notify`` (topic ``activities.shift``: in-app, and SMS by default).

Registered as the periodic notice ``activities.shift_reminder`` (``manage.py
notifications_remind``, run it every 10–30 minutes). The dedupe key names the enrollment and the
shift's start, so overlapping runs or a crashed run tell nobody twice, and a shift moved to
another time is announced again. One run reads at most ``BATCH`` enrollments through the
partial index on accepted enrollments by start time (rule 9); a later run takes the rest."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyuan.activities.models import ActivityStatus, Enrollment, EnrollmentStatus
from zhiyuan.core.notifications import notify

KIND = "activities.shift.reminder"
BATCH = 5000


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value, timezone.get_fixed_timezone(8 * 60)).strftime("%Y-%m-%d %H:%M")


def shift_reminders_due(*, now: dt.datetime, hours: int | None = None):
    """Accepted enrollments of live shifts starting in ``(now, now + hours]``."""
    hours = settings.ZHIYUAN_SHIFT_REMINDER_HOURS if hours is None else hours
    return (
        Enrollment.objects.filter(
            status=EnrollmentStatus.ACCEPTED,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(hours=hours),
            shift__cancelled=False,
            activity__status__in=(ActivityStatus.PUBLISHED, ActivityStatus.CLOSED),
        )
        .select_related("volunteer__user", "activity", "slot__position")
        .order_by("starts_at", "id")
    )


def shift_reminders_run(now: dt.datetime | None = None) -> int:
    """Send the due reminders; returns the notices written (repeats are not counted)."""
    now = now or timezone.now()
    url = reverse("activities:my_enrollments")
    written = 0
    for e in shift_reminders_due(now=now)[:BATCH]:
        values = {
            "title": e.activity.title,
            "position": e.slot.position.name,
            "when": _local(e.starts_at),
            "address": e.activity.address,
        }
        with transaction.atomic():
            notice = notify(
                user=e.volunteer.user,
                kind=KIND,
                title=_("上岗提醒：%(title)s") % values,
                body=_("您报名的「%(position)s」将于 %(when)s 开始，地点 %(address)s。请准时到岗签到。") % values,
                url=url,
                dedupe_key=f"{KIND}:{e.pk}:{e.starts_at:%Y%m%d%H%M}",
            )
        written += notice is not None
    return written

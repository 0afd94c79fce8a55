"""Demo notices (ACT-7): what the services do not write while seeding, true to the demo data —
the demo volunteer's reminder of their next shift (the sign-up and hours notices come from the
enrollment and hours services themselves) and the city manager's note about the insurance
policy that ends within a month (``insurance/demo.py``). In-app only (``deliver=False``: seeding
sends no e-mail or SMS) and idempotent (dedupe keys)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyuan.core.notifications import notify

OLD_KEYS = ("demo:enrollment", "demo:shift", "demo:hours")


def seed(*, volunteer_user, manager_user) -> int:
    from zhiyuan.activities.models import Enrollment, EnrollmentStatus
    from zhiyuan.core.models import Notification
    from zhiyuan.insurance.models import InsurancePolicy

    # earlier demo versions wrote made-up notices (an activity and hours that did not exist)
    Notification.objects.filter(user=volunteer_user, dedupe_key__in=OLD_KEYS).delete()
    notices = []
    upcoming = (
        Enrollment.objects.filter(volunteer__user=volunteer_user, status=EnrollmentStatus.ACCEPTED, starts_at__gt=timezone.now())
        .select_related("activity")
        .order_by("starts_at")
        .first()
    )
    if upcoming is not None:
        when = timezone.localtime(upcoming.starts_at)
        notices.append((
            volunteer_user, "activities.shift.reminder",
            _("上岗提醒：%(activity)s") % {"activity": upcoming.activity.title},
            _("您报名的「%(activity)s」将于 %(when)s 开始，集合地点：%(address)s。请准时到岗。")
            % {"activity": upcoming.activity.title, "when": when.strftime("%m-%d %H:%M"), "address": upcoming.activity.address},
            reverse("activities:my_enrollments"), f"demo:shift:{upcoming.pk}",
        ))  # fmt: skip
    today = timezone.localdate()
    if InsurancePolicy.objects.filter(ends_on__gte=today, ends_on__lte=today + dt.timedelta(days=30)).exists():
        notices.append((
            manager_user, "insurance.policy.expiry", _("有保单即将到期"),
            _("请在「保险管理」查看即将到期的保单并及时续保。"), "/insurance/", "demo:insurance",
        ))  # fmt: skip
    written = 0
    for user, kind, title, body, url, key in notices:
        written += notify(user=user, kind=kind, title=title, body=body, url=url, dedupe_key=key, deliver=False) is not None
    return written

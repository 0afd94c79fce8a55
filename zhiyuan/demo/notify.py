"""Demo notices (ACT-7): a few in the demo volunteer's and the city manager's notification
centres, so the 「通知」 badge and page show something. In-app only (``deliver=False``: seeding
sends no e-mail or SMS) and idempotent (dedupe keys)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from zhiyuan.core.notifications import notify


def seed(*, volunteer_user, manager_user) -> int:
    # each notice's 查看 opens the page of its object, as the real notices do (it opened the home page)
    mine, hours = reverse("activities:my_enrollments"), reverse("records:my_hours")
    notices = [
        (volunteer_user, "activities.enrollment.accepted", _("报名成功：西湖环湖净滩行动"),
         _("您已报名「西湖环湖净滩行动」周六 09:00 班次，请准时到岗。"), mine, "demo:enrollment"),
        (volunteer_user, "activities.shift.reminder", _("明天 09:00 上岗提醒：西湖环湖净滩行动"),
         _("集合地点：西湖景区南门。请带好手套和饮用水。"), mine, "demo:shift"),
        (volunteer_user, "records.hours.confirmed", _("服务时长已确认：3.5 小时"),
         _("「社区长者探访」的服务时长已由组织确认，计入您的志愿服务记录。"), hours, "demo:hours"),
        (manager_user, "insurance.policy.expiry", _("有保单即将到期"),
         _("请在「保险管理」查看即将到期的保单并及时续保。"), "/insurance/", "demo:insurance"),
    ]  # fmt: skip
    written = 0
    for user, kind, title, body, url, key in notices:
        written += notify(user=user, kind=kind, title=title, body=body, url=url, dedupe_key=key, deliver=False) is not None
    return written

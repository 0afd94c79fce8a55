"""Test data for activities: a published activity with its shifts, positions and slots.

``published_activity`` is the one way tests of every area (enrollment, check-in, hours) get an
activity, so its signature and defaults stay stable. It writes through ``activities.services``
(create, then publish / close / finish / cancel as ``status`` asks), as the organization's admin,
so the kept counts are the service's. Activities in the past are published with the service's
clock (``now``) set before their first shift."""

import datetime as dt
import itertools

from django.utils import timezone

from zhiyuan.activities import services
from zhiyuan.activities.models import Activity, ActivityStatus

_n = itertools.count(1)
HUICHENG_TOWN = "441302001000"  # 桥东街道, 惠城区
# 惠州市 惠城区 江北 (a point inside the demo city)
LAT, LON = "23.111800", "114.416200"


def at(days: int = 1, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A local time ``days`` from today (aware)."""
    today = timezone.localdate()
    naive = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute))
    return timezone.make_aware(naive)


def published_activity(
    org,
    *,
    actor=None,
    shifts=None,
    positions=None,
    region_code: str | None = None,
    status: str = ActivityStatus.PUBLISHED,
    **values,
) -> Activity:
    """An activity of ``org`` with ``shifts`` (a list of (start, end); default one shift tomorrow
    09:00–12:00) and ``positions`` (a list of dicts of Position fields; default one position of
    5 slots), one slot per shift and position."""
    shifts = shifts or [(at(1, 9), at(1, 12))]
    positions = positions or [{"name": "引导员", "slots": 5}]
    data = {
        "title": f"测试活动{next(_n)}",
        "category": "community",
        "content": "社区环境整治与居民引导。",
        "address": "惠州市惠城区江北街道文明路1号",
        "latitude": LAT,
        "longitude": LON,
        "geofence_m": 300,
        "contact_name": "联系人",
        "contact_phone": "13800000000",
        # the rest of the recruitment notice (GB/T 40143), so the activity can be published
        "conditions": "身体健康，年满18周岁。",
        "signup_method": "在本平台报名。",
        "risks": "户外活动，注意防暑。",
        "safeguards": "提供饮用水和意外伤害保险。",
    }
    data.update(values)
    for name in ("project", "insurance_policy"):  # objects as their ids
        if name in data:
            obj = data.pop(name)
            data[f"{name}_id"] = obj.pk if obj is not None else None
    made = []
    for p in positions:
        p = dict(p)
        p["required_course_ids"] = [c.pk for c in p.pop("required_courses", [])]
        p["required_qualification_ids"] = [q.pk for q in p.pop("required_qualifications", [])]
        made.append(services.PositionInput(**p))
    admin = _organizer(org, actor)
    activity = services.activity_create(
        actor=admin,
        organization_id=org.pk,
        values=services.ActivityInput(region_code=region_code or "", shifts=list(shifts), positions=made, **data),
    )
    if status != ActivityStatus.DRAFT:
        before = min(s for s, _ in shifts) - dt.timedelta(hours=1)
        activity = services.activity_publish(actor=admin, activity=activity, now=min(before, timezone.now()))
    if status == ActivityStatus.CLOSED:
        activity = services.activity_close_recruitment(actor=admin, activity=activity)
    elif status == ActivityStatus.FINISHED:
        activity = services.activity_finish(actor=admin, activity=activity, now=max(activity.starts_at, timezone.now()))
    elif status == ActivityStatus.CANCELLED:
        activity = services.activity_cancel(actor=admin, activity=activity, reason="测试取消")
    activity.refresh_from_db()
    return activity


def _organizer(org, actor):
    """``actor`` when they may organize for ``org``, else the organization's admin (its
    applicant, by ``organizations.tests.factories.active_org``)."""
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import MANAGE, can

    if actor is not None and can(actor, Activity(organization=org, region_code=org.region_code), MANAGE):
        return actor
    assignment = (
        RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id=org.pk, active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if assignment is None:
        raise ValueError(f"organization {org.pk} has no admin to organize its activities")
    return assignment.user

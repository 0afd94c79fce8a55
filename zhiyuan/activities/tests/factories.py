"""Test data for activities: a published activity with its shifts, positions and slots.

``published_activity`` is the one way tests of every area (enrollment, check-in, hours) get an
activity, so its signature stays stable. It writes through ``activities.services`` once the
publishing service exists; until then it writes the rows the way that service must (kept
counts included)."""

import datetime as dt
import itertools

from django.utils import timezone

from zhiyuan.activities.models import Activity, ActivityStatus, Position, Shift, Slot

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
    }
    data.update(values)
    activity = Activity.objects.create(
        organization=org,
        region_code=region_code or org.region_code,
        starts_at=min(s for s, _ in shifts),
        ends_at=max(e for _, e in shifts),
        status=status,
        published_at=timezone.now() if status == ActivityStatus.PUBLISHED else None,
        created_by=actor,
        **data,
    )
    made_positions = []
    for p in positions:
        p = dict(p)
        courses = p.pop("required_courses", [])
        quals = p.pop("required_qualifications", [])
        position = Position.objects.create(activity=activity, **p)
        position.required_courses.set(courses)
        position.required_qualifications.set(quals)
        made_positions.append(position)
    total = 0
    for start, end in shifts:
        shift = Shift.objects.create(activity=activity, starts_at=start, ends_at=end)
        for position in made_positions:
            Slot.objects.create(shift=shift, position=position, capacity=position.slots)
            total += position.slots
    Activity.objects.filter(pk=activity.pk).update(slots_total=total, slots_open=total)
    activity.refresh_from_db()
    return activity

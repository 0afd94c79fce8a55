"""Test data for the hour ledger. Check-in is another area's work, so attendance rows are
written here directly, the way the check-in service must write them (enrollment copies of the
shift, activity, organization and region)."""

import datetime as dt
import itertools

from zhiyuan.activities.models import Attendance, Enrollment, Slot
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.organizations.tests.factories import active_org, applicant

_names = itertools.count(1)


def org_with_admins(reviewer, *, admins: int = 1, **values):
    """An active organization and its admins (the applicant is the first)."""
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.services import role_assignment_add

    first = applicant("组织管理员")
    org = active_org(reviewer, actor=first, **values)
    users = [first]
    for _i in range(admins - 1):
        u = applicant("第二管理员")
        role_assignment_add(user=u, role=Role.ORG_ADMIN, object_id=org.pk, granted_by=reviewer)
        users.append(u)
    return org, users


def past_activity(org, *, days: int = -1, start: int = 9, end: int = 12, **values):
    """A published activity of ``org`` with one shift ``days`` from today (default yesterday)."""
    return published_activity(org, shifts=[(at(days, start), at(days, end))], **values)


def attend(activity, volunteer, *, check_in=None, check_out=None, flags=(), shift=None, method="qr"):
    """An accepted enrollment of ``volunteer`` on the activity's (first) shift and its
    attendance; check-in/out default to the shift's start and end."""
    shift = shift or activity.shifts.order_by("starts_at").first()
    slot = Slot.objects.filter(shift=shift).first()
    enrollment = Enrollment.objects.create(
        slot=slot,
        volunteer=volunteer,
        shift=shift,
        activity=activity,
        organization_id=activity.organization_id,
        region_code=activity.region_code,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status="accepted",
    )
    check_in = check_in or shift.starts_at
    check_out = shift.ends_at if check_out is None else check_out
    return Attendance.objects.create(
        enrollment=enrollment,
        volunteer=volunteer,
        activity=activity,
        shift=shift,
        organization_id=activity.organization_id,
        region_code=activity.region_code,
        check_in_at=check_in,
        check_in_method=method,
        check_out_at=check_out or None,
        check_out_method=method if check_out else "",
        flags=list(flags),
    )


def another_volunteer(name: str | None = None):
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

    n = next(_names)
    stems = "甲乙丙丁戊己庚辛壬癸"
    return register(name=name or f"志愿者{stems[n % 10]}{stems[n // 10 % 10]}", region_code=HUICHENG_TOWN)


def minutes(td: dt.timedelta) -> int:
    return int(td.total_seconds() // 60)

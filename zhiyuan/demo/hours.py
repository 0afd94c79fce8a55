"""Demo hours (issue 10): the demo organization confirms the hours of its finished shifts and
grants one honour award, so the volunteer's 「我的时长」 and the organizer's pages have something
to show. Works on whatever attendance the activities seed wrote; without any, it does nothing.
The newest finished shift (when there are several), and the flagged records (manual, offline, forgotten check-out), stay
in the organizer's confirmation queue; one forgotten check-out is confirmed with a verified end.
Idempotent: only undecided attendances are confirmed, the honour grant is made once."""

import datetime as dt

HONOUR_REASON = "演示：社区防疫志愿服务表彰"
ADJUSTED_REASON = "忘记签退，经带队人核实提前15分钟离开"


def seed(*, org_admin_user, approver_user) -> dict:
    from django.utils import timezone

    from zhiyuan.activities.models import Attendance, Enrollment
    from zhiyuan.records import services
    from zhiyuan.records.models import HonourGrant, HourEntry
    from zhiyuan.records.permissions import admin_org_ids
    from zhiyuan.records.selectors import queue_scope

    out = {"confirmed": 0, "skipped": 0, "honour": 0}
    org_ids = sorted(admin_org_ids(org_admin_user))
    if not org_ids or not Attendance.objects.filter(organization_id__in=org_ids).exists():
        return out  # no attendance yet: nothing to confirm
    from zhiyuan.organizations.models import Organization

    for org in Organization.objects.filter(pk__in=org_ids):
        queue = queue_scope(organization=org)
        newest = queue.order_by("-shift__ends_at").values_list("shift_id", flat=True).first()
        if queue.values("shift_id").distinct().count() < 2:
            newest = None  # a single finished shift is confirmed
        # the newest shift waits in the queue (the organizer's work of today), as do the flagged
        ids = list(queue.exclude(shift_id=newest).values_list("id", flat=True)[:200])
        if ids:
            result = services.attendances_confirm_bulk(actor=org_admin_user, organization=org, ids=ids)
            out["confirmed"] += len(result.confirmed)
            out["skipped"] += len(result.skipped)
        # one forgotten check-out confirmed with the end the organizer verified (REC-1)
        flagged = queue.exclude(shift_id=newest).order_by("id")[:200]
        forgot = next((a for a in flagged if "auto_closed" in (a.flags or [])), None)
        if forgot is not None and not HourEntry.objects.filter(reason=ADJUSTED_REASON).exists():
            services.attendance_confirm(
                actor=org_admin_user, attendance=forgot, ends_at=forgot.shift.ends_at - dt.timedelta(minutes=15),
                reason=ADJUSTED_REASON,
            )  # fmt: skip
            out["confirmed"] += 1
        if HonourGrant.objects.filter(organization=org, reason=HONOUR_REASON).exists():
            continue
        enrolled = Enrollment.objects.filter(organization=org).select_related("volunteer").order_by("id").first()
        if enrolled is None:
            continue
        grant = services.honour_propose(
            actor=org_admin_user, organization=org, volunteer_no=enrolled.volunteer.volunteer_no, minutes=120,
            service_date=timezone.localdate() - dt.timedelta(days=30), reason=HONOUR_REASON,
        )  # fmt: skip
        from zhiyuan.records.permissions import can_approve_honour

        if can_approve_honour(approver_user, grant):
            services.honour_decide(actor=approver_user, grant=grant, approve=True, note="演示审批")
            out["honour"] += 1
    return out

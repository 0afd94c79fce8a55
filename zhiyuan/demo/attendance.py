"""Demo attendance (ACT-4, ACT-5): check-ins and check-outs for the demo's accepted enrollments
of shifts that have ended, so hours can be confirmed and every flag a reviewer meets is seen —
most by the activity's QR code, some by the session code or the e-card, one entered by hand
with a reason, a few late or offline, and a few forgotten check-outs closed at the shift's end
by ``attendance_close_overdue`` (flag ``auto_closed``).

Deterministic (the enrollment id picks the variant) and idempotent (an enrollment that has an
attendance is left alone). Without past enrollments (the enrollment seed has not run) it does
nothing."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from zhiyuan.activities.attendance import FLAG_LATE, FLAG_MANUAL, FLAG_OFFLINE, attendance_close_overdue
from zhiyuan.activities.models import Attendance, CheckEvent, CheckMethod, Enrollment, EnrollmentStatus


def _variant(enrollment_id: int) -> str:
    n = enrollment_id % 20
    if n == 0:
        return "forgot"
    if n == 1:
        return "manual"
    if n in (2, 3):
        return "late"
    if n == 4:
        return "offline"
    if n in (5, 6, 7):
        return "code"
    if n == 8:
        return "ecard"
    return "qr"


@transaction.atomic
def seed_attendance(*, progress=print, region_prefix: str = "4413", limit: int = 2_000) -> int:
    now = timezone.now()
    enrollments = list(
        Enrollment.objects.filter(
            status=EnrollmentStatus.ACCEPTED,
            ends_at__lt=now,
            region_code__startswith=region_prefix,
            attendance__isnull=True,
        )
        .select_related("shift")
        .order_by("id")[:limit]
    )
    if not enrollments:
        progress("attendance: no past enrollments in the demo (skipped)")
        return 0
    made = []
    events = []
    for e in enrollments:
        variant = _variant(e.pk)
        start, end = e.shift.starts_at, e.shift.ends_at
        check_in = start - dt.timedelta(minutes=e.pk % 9)
        check_out = end - dt.timedelta(minutes=e.pk % 7)
        flags, reason, method_in, method_out = [], "", CheckMethod.QR, CheckMethod.QR
        if variant == "late":
            check_in = start + dt.timedelta(minutes=15 + e.pk % 20)
            flags.append(FLAG_LATE)
        elif variant == "manual":
            method_in = method_out = CheckMethod.MANUAL
            flags.append(FLAG_MANUAL)
            reason = "手机没电，现场登记"
        elif variant == "offline":
            flags.append(FLAG_OFFLINE)
        elif variant == "code":
            method_in = method_out = CheckMethod.CODE
        elif variant == "ecard":
            method_in = CheckMethod.ECARD
        att = Attendance(
            enrollment=e,
            volunteer_id=e.volunteer_id,
            activity_id=e.activity_id,
            shift_id=e.shift_id,
            organization_id=e.organization_id,
            region_code=e.region_code,
            check_in_at=min(check_in, end),
            check_in_method=method_in,
            check_out_at=None if variant == "forgot" else max(check_out, min(check_in, end)),
            check_out_method="" if variant == "forgot" else method_out,
            flags=flags,
            reason=reason,
        )
        made.append(att)
    Attendance.objects.bulk_create(made)
    for att in made:
        events.append(
            CheckEvent(
                client_request_id=f"demo-{att.enrollment_id}-in",
                attendance=att,
                kind="in",
                method=att.check_in_method,
                received_at=att.check_in_at,
                result={"demo": True},
            )
        )
    CheckEvent.objects.bulk_create(events, ignore_conflicts=True)
    closed = attendance_close_overdue(now=now)
    progress(f"attendance: {len(made)} check-ins of past shifts ({closed} forgotten check-outs closed and flagged)")
    return len(made)

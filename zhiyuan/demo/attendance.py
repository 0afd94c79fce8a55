"""Demo shifts that already took place (issue 10 item 9, ACT-3 to ACT-5): the demo organization's
published activities whose shifts have ended get sign-ups, check-ins and check-outs, written
through the real services — ``activities.enrollment.enroll`` (and ``decide`` in review mode)
before the shift, ``activities.attendance`` during it — each call inside ``demo_clock`` set to
the moment it would have happened, so every rule (sign-up before the start, the check-in window,
the geofence, the QR token and session code of that minute, the offline grace) is applied as
it was then.

The demo logins who volunteer (陈志愿, 李组织) take part in every past shift with a plain QR
check-in and check-out, so 我的时长 has lines to confirm; the others show every flag a reviewer
meets: a session code, a late arrival, a record entered by hand with a reason, one synced later
from a phone that was offline, a forgotten check-out closed at the shift's end by
``attendance_close_overdue`` (flag ``auto_closed``), and a no-show. A single activity whose
shifts are all over is then marked finished.

Deterministic (the enrollment id picks the variant) and idempotent: a shift with sign-ups gets
none added, an enrollment with an attendance is left alone, request ids are fixed."""

import datetime as dt
import logging

from django.utils import timezone

from zhiyuan.demo.clock import demo_clock

log = logging.getLogger(__name__)

MAX_SHIFTS = 6  # the newest past shifts of the demo organization
PER_SHIFT = 9  # sign-ups per past shift (the named demo logins among them)
MANUAL_REASON = "手机没电，现场登记"


def _variant(ordinal: int, named: bool) -> str:
    """The case an unnamed participant shows, by their place among the shift's unnamed sign-ups
    (not by row id: ids differ between databases, and every shift should show every case)."""
    if named:
        return "qr"
    return {0: "forgot", 1: "manual", 2: "late", 3: "offline", 4: "code", 5: "code", 6: "absent"}.get(ordinal % 10, "qr")


def _sign_up(shift, people, *, org_admin_user, start: int) -> list:
    """Sign ``PER_SHIFT`` people up for ``shift`` before it began (the first slot with room)."""
    from zhiyuan.activities import enrollment as svc
    from zhiyuan.activities.models import EnrollmentMode, EnrollmentStatus, Slot
    from zhiyuan.core.errors import DomainError

    activity = shift.activity
    published = activity.published_at or shift.starts_at - dt.timedelta(days=3)
    opened = max(published, shift.starts_at - dt.timedelta(days=2))
    if opened >= shift.starts_at:
        return []
    moment = opened + (shift.starts_at - opened) / 2  # while recruiting, before the start
    slots = list(Slot.objects.filter(shift=shift).order_by("position_id"))
    chosen = people[:2] + [people[2 + (start + i) % max(1, len(people) - 2)] for i in range(PER_SHIFT - 2)]
    made = []
    with demo_clock(moment):
        for person in dict.fromkeys(chosen):  # in order, once each
            for slot in slots:
                try:
                    e = svc.enroll(person.user, slot.pk, "")
                except DomainError:  # full, not eligible, or already on this shift
                    continue
                if activity.enrollment_mode == EnrollmentMode.REVIEW and e.status == EnrollmentStatus.PENDING:
                    try:
                        e = svc.decide(org_admin_user, e, svc.ACCEPT)
                    except DomainError:
                        pass
                made.append(e)
                break
    return made


def _check(e, kind: str, *, at: dt.datetime, variant: str, org_admin_user) -> None:
    from zhiyuan.activities import attendance as att

    shift, activity = e.shift, e.activity
    req = att.CheckRequest(
        kind=kind, client_request_id=f"demo-{e.pk}-{kind}", latitude=activity.latitude, longitude=activity.longitude
    )
    if variant == "manual":
        with demo_clock(e.shift.ends_at + dt.timedelta(minutes=20)):
            operated = att.shift_get_for_attendance(actor=org_admin_user, shift_id=shift.pk)
            att.attendance_record_manual(
                actor=org_admin_user, shift=operated, req=req, reason=MANUAL_REASON, enrollment_id=e.pk, at=at
            )
        return
    if variant == "code":
        with demo_clock(at):
            code, _changes = att.session_code_for(shift.pk, now=at.timestamp())
            att.attendance_check_by_code(actor=e.volunteer.user, req=req, code=code, shift_id=shift.pk)
        return
    received = at
    if variant == "offline":  # the phone had no signal: the record reached the server later
        req.device_time = at
        received = shift.ends_at + dt.timedelta(minutes=40)
    with demo_clock(received):
        token, _expiry = att.qr_token_for(shift.pk, now=at.timestamp())
        att.attendance_check_by_qr(actor=e.volunteer.user, req=req, token=token, shift_id=shift.pk)


def _attend(e, *, org_admin_user) -> str:
    from zhiyuan.activities.models import Attendance

    variant = _variant(e.ordinal, e.named)
    if variant == "absent" or Attendance.objects.filter(enrollment_id=e.pk).exists():
        return ""
    start, end = e.shift.starts_at, e.shift.ends_at
    check_in = start - dt.timedelta(minutes=3 + e.pk % 9)
    if variant == "late":
        check_in = start + dt.timedelta(minutes=15 + e.pk % 20)
    _check(e, "in", at=check_in, variant=variant, org_admin_user=org_admin_user)
    if variant != "forgot":
        _check(e, "out", at=end - dt.timedelta(minutes=e.pk % 7), variant=variant, org_admin_user=org_admin_user)
    return variant


def seed_attendance(*, org_admin_user, volunteers, progress=print) -> dict:
    """Sign-ups and attendance for the demo organization's past shifts; returns counts."""
    from zhiyuan.activities import services
    from zhiyuan.activities.attendance import attendance_close_overdue
    from zhiyuan.activities.models import Activity, ActivityStatus, Enrollment, EnrollmentStatus, Shift
    from zhiyuan.core.errors import DomainError
    from zhiyuan.records.permissions import admin_org_ids

    out = {"enrollments": 0, "attendances": 0, "closed": 0, "finished": 0}
    people = list(volunteers)
    org_ids = sorted(admin_org_ids(org_admin_user)) if org_admin_user else []
    if len(people) < 3 or not org_ids:
        progress("attendance: no demo organization or volunteers (skipped)")
        return out
    now = timezone.now()
    named = {p.pk for p in people[:2]}
    shifts = list(
        Shift.objects.filter(
            activity__organization_id__in=org_ids,
            activity__status=ActivityStatus.PUBLISHED,
            ends_at__lt=now - dt.timedelta(hours=1),
            cancelled=False,
        )
        .select_related("activity__organization")
        .order_by("-starts_at")[:MAX_SHIFTS]
    )
    for i, shift in enumerate(reversed(shifts)):
        if not Enrollment.objects.filter(shift=shift).exists():
            out["enrollments"] += len(_sign_up(shift, people, org_admin_user=org_admin_user, start=i * PER_SHIFT))
    ordinal = {}  # enrollment id → its place among the shift's unnamed sign-ups (stable on re-runs)
    for shift in shifts:
        unnamed = (
            Enrollment.objects.filter(shift=shift, status=EnrollmentStatus.ACCEPTED)
            .exclude(volunteer_id__in=named)
            .order_by("id")
            .values_list("id", flat=True)
        )
        ordinal.update({pk: n for n, pk in enumerate(unnamed)})
    for e in (
        Enrollment.objects.filter(shift__in=shifts, status=EnrollmentStatus.ACCEPTED, attendance__isnull=True)
        .select_related("shift", "activity", "volunteer__user")
        .order_by("shift__starts_at", "id")
    ):
        e.named = e.volunteer_id in named
        e.ordinal = ordinal.get(e.pk, 0)
        try:
            out["attendances"] += bool(_attend(e, org_admin_user=org_admin_user))
        except DomainError as exc:  # a rule of today refuses the demo's plan: leave this one out
            log.warning("demo attendance of enrollment %s refused: %s", e.pk, exc)
    out["closed"] = attendance_close_overdue()
    for activity in Activity.objects.filter(
        organization_id__in=org_ids, status=ActivityStatus.PUBLISHED, ends_at__lt=now - dt.timedelta(hours=1)
    ):
        services.activity_finish(actor=org_admin_user, activity=activity)
        out["finished"] += 1
    progress(
        "attendance: {enrollments} sign-ups and {attendances} check-ins of past shifts, "
        "{closed} forgotten check-outs closed, {finished} activities finished".format(**out)
    )
    return out

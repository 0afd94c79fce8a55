"""Demo enrollments (issue 10 item 9): the demo volunteers signed up for the demo city's upcoming
activities, through the real service (``activities.enrollment``), so 我的报名 and the organizers'
enrollment lists show a living system: accepted places, a waitlist where a position is full, and
in review-mode activities some sign-ups accepted by the organizer and one left pending.

Activities come from the ``projects`` demo (``zhiyuan/demo/projects.py``); with none published,
nothing is done. Idempotent: a slot with sign-ups is left alone; a person already on a shift, or not eligible,
is skipped."""

import logging

log = logging.getLogger(__name__)

MAX_ACTIVITIES = 8
PER_SLOT_EXTRA = 2  # beyond capacity, so a full position shows its waitlist


def seed(*, volunteers, org_admin_user=None, **_ignored) -> int:
    """Sign ``volunteers`` (the demo volunteer first) up for upcoming published activities;
    returns how many sign-ups were made."""
    from django.utils import timezone

    from zhiyuan.activities import enrollment as svc
    from zhiyuan.activities.models import Activity, ActivityStatus, Enrollment, EnrollmentMode, EnrollmentStatus, Slot
    from zhiyuan.core.errors import DomainError

    now = timezone.now()
    activities = list(
        Activity.objects.filter(status=ActivityStatus.PUBLISHED, shifts__starts_at__gt=now)
        .distinct()
        .order_by("starts_at", "id")[:MAX_ACTIVITIES]
    )
    if not activities:
        log.info("demo enrollment: no upcoming published activity, nothing to sign up for")
        return 0
    people = list(volunteers)
    made = 0
    cursor = 0
    for activity in activities:
        slots = list(
            Slot.objects.filter(shift__activity=activity, shift__starts_at__gt=now, shift__cancelled=False).order_by(
                "shift__starts_at", "position_id"
            )[:3]
        )
        for slot in slots:
            if Enrollment.objects.filter(slot=slot).exists():
                continue  # signed up for by an earlier run: a re-run adds nobody
            want = min(slot.capacity - slot.accepted + PER_SLOT_EXTRA, 6)
            for _ in range(max(0, want)):
                if not people:
                    break
                person = people[cursor % len(people)]
                cursor += 1
                try:
                    e = svc.enroll(person.user, slot.pk, "")
                except DomainError:  # already on this shift, busy elsewhere, or not eligible
                    continue
                made += 1
                if (
                    activity.enrollment_mode == EnrollmentMode.REVIEW
                    and e.status == EnrollmentStatus.PENDING
                    and org_admin_user is not None
                    and made % 3
                ):
                    try:
                        svc.decide(org_admin_user, e, svc.ACCEPT)
                    except DomainError:
                        pass  # the demo admin does not run this organization
    return made

"""Evaluation (SPEC ACT-6): writes and the reads the evaluation pages need.

Rules, each enforced here once for the pages and the API:

* Only after the service: a rating needs an attendance of the volunteer on the activity whose
  enrollment was accepted, that was checked out, on a shift that has ended.
* The organizer is the organizing organization (谁组织谁记录): its admins, or the admins of its
  parent organization, rate the volunteers who served; nobody else — region managers see the
  activity (403), anyone else gets 404.
* One rating per pair (activity, volunteer) in each direction (a unique constraint backs it);
  saving again edits it, for ``RATING_EDIT_DAYS`` days after it was first given.
* The activity's ``rating_count`` / ``rating_sum`` change in the rating's transaction, under the
  activity's row lock (the square shows the average without aggregating).
* Beneficiary feedback: anyone, no account, from the first shift's start until
  ``FEEDBACK_DAYS`` after the end; rate-limited per address; a honeypot field that people never
  see — a bot that fills it is told "thank you" and nothing is saved.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.activities.evaluation_models import ActivityRating, BeneficiaryFeedback, VolunteerRating
from zhiyuan.activities.models import Activity, ActivityStatus, Attendance, EnrollmentStatus
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied

RATING_EDIT_DAYS = 7
FEEDBACK_DAYS = 30
FEEDBACK_PER_HOUR = 10  # per client address
COMMENT_MAX = 500


# --- who may rate ------------------------------------------------------------------------------


def is_organizer(actor, activity: Activity) -> bool:
    """An admin of the organizing organization or of its parent (the same rule as the activity
    scope's organization admins)."""
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    ids = actor_object_ids(actor, Role.ORG_ADMIN)
    return bool(ids) and (activity.organization_id in ids or activity.organization.parent_id in ids)


def participations(*, activity: Activity):
    """Attendances that count as having taken part: accepted, checked out, the shift over."""
    return Attendance.objects.filter(
        activity=activity,
        enrollment__status=EnrollmentStatus.ACCEPTED,
        check_out_at__isnull=False,
        shift__ends_at__lte=timezone.now(),
    )


def took_part(*, activity: Activity, volunteer) -> bool:
    return participations(activity=activity).filter(volunteer=volunteer).exists()


def activity_get_for_organizer(*, actor, id) -> Activity:
    """The activity for its organizer's evaluation page: 404 when missing or invisible, 403 when
    the actor sees it (a region manager) but does not organize it."""
    from zhiyuan.accounts.scopes import pk_or_404

    a = Activity.objects.select_related("organization").filter(pk=pk_or_404(id)).first()
    if a is None:
        raise NotFound()
    if is_organizer(actor, a):
        return a
    if Activity.objects.visible_to(actor).filter(pk=a.pk).exists():
        raise PermissionDenied(_("只有活动的组织单位才能评价志愿者。"))
    raise NotFound()


def activity_get_for_rating(*, actor, id) -> Activity:
    """The activity a signed-in volunteer rates: 404 when they cannot see it; 403 when they see
    it but did not take part (or the shift has not ended)."""
    from zhiyuan.accounts.scopes import pk_or_404
    from zhiyuan.activities.square import PUBLIC_DETAIL_STATUSES, square_visibility_q
    from zhiyuan.volunteers.selectors import volunteer_or_none

    a = Activity.objects.select_related("organization").filter(pk=pk_or_404(id)).first()
    if a is None:
        raise NotFound()
    volunteer = volunteer_or_none(actor)
    if volunteer is not None and took_part(activity=a, volunteer=volunteer):
        return a
    if a.status in PUBLIC_DETAIL_STATUSES and Activity.objects.filter(square_visibility_q(actor), pk=a.pk).exists():
        raise PermissionDenied(_("只有参加了活动并已签退的志愿者，才能在班次结束后评价此活动。"))
    raise NotFound()


# --- validation ----------------------------------------------------------------------------------


def _invalid(field: str, message) -> DomainError:
    return DomainError("invalid", _("提交的数据有误，请检查后重试。"), fields={field: [message]}, status=422)


def stars_check(stars) -> int:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise _invalid("stars", _("评分须为1至5星。"))
    return stars


def comment_clean(comment, *, field: str = "comment") -> str:
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise _invalid(field, _("最多%(n)d个字。") % {"n": COMMENT_MAX})
    return text


def _editable_check(rating) -> None:
    if timezone.now() > rating.created_at + dt.timedelta(days=RATING_EDIT_DAYS):
        raise Conflict("rating_locked", _("评价已提交超过%(n)d天，不能再修改。") % {"n": RATING_EDIT_DAYS})


# --- the volunteer rates the activity --------------------------------------------------------------


@transaction.atomic
def activity_rating_save(*, actor, activity: Activity, stars: int, comment: str = "") -> ActivityRating:
    """Rate ``activity`` as the signed-in volunteer (create, or edit within 7 days). The
    activity's kept count and sum change in this transaction, under its row lock."""
    from zhiyuan.volunteers.selectors import volunteer_for

    stars = stars_check(stars)
    comment = comment_clean(comment)
    volunteer = volunteer_for(actor)
    if not took_part(activity=activity, volunteer=volunteer):
        raise PermissionDenied(_("只有参加了活动并已签退的志愿者，才能在班次结束后评价此活动。"))
    Activity.objects.select_for_update().filter(pk=activity.pk).values_list("pk").get()
    now = timezone.now()
    rating = ActivityRating.objects.filter(activity=activity, volunteer=volunteer).first()
    if rating is None:
        rating = ActivityRating.objects.create(
            activity=activity, volunteer=volunteer, stars=stars, comment=comment, created_at=now, updated_at=now
        )
        Activity.objects.filter(pk=activity.pk).update(rating_count=F("rating_count") + 1, rating_sum=F("rating_sum") + stars)
    else:
        _editable_check(rating)
        delta = stars - rating.stars
        rating.stars, rating.comment, rating.updated_at = stars, comment, now
        rating.save(update_fields=["stars", "comment", "updated_at"])
        if delta:
            Activity.objects.filter(pk=activity.pk).update(rating_sum=F("rating_sum") + delta)
    return rating


def my_activity_rating(*, actor, activity: Activity) -> ActivityRating | None:
    from zhiyuan.volunteers.selectors import volunteer_or_none

    volunteer = volunteer_or_none(actor)
    if volunteer is None:
        return None
    return ActivityRating.objects.filter(activity=activity, volunteer=volunteer).first()


# --- the organizer rates a volunteer ---------------------------------------------------------------


@transaction.atomic
def volunteer_rating_save(*, actor, activity: Activity, volunteer_id: int, stars: int, comment: str = "") -> VolunteerRating:
    """The organizing organization rates one volunteer who served on ``activity`` (create, or
    edit within 7 days). Audited: it is a judgement about a person."""
    from zhiyuan.core.audit import audit_record

    if not is_organizer(actor, activity):
        raise PermissionDenied(_("只有活动的组织单位才能评价志愿者。"))
    stars = stars_check(stars)
    comment = comment_clean(comment)
    attendance = participations(activity=activity).filter(volunteer_id=volunteer_id).select_related("volunteer").first()
    if attendance is None:
        # not a participant of this activity: the same answer whether or not the person exists
        raise NotFound(_("该志愿者没有参加此活动（须已录用、已签退且班次已结束）。"))
    volunteer = attendance.volunteer
    now = timezone.now()
    rating = VolunteerRating.objects.select_for_update().filter(activity=activity, volunteer=volunteer).first()
    if rating is None:
        rating = VolunteerRating.objects.create(
            activity=activity, volunteer=volunteer, organization_id=activity.organization_id,
            region_code=activity.region_code, stars=stars, comment=comment, rated_by=actor, created_at=now, updated_at=now,
        )  # fmt: skip
        action = "activities.rating.volunteer_create"
    else:
        _editable_check(rating)
        rating.stars, rating.comment, rating.rated_by, rating.updated_at = stars, comment, actor, now
        rating.save(update_fields=["stars", "comment", "rated_by", "updated_at"])
        action = "activities.rating.volunteer_update"
    audit_record(
        actor=actor, action=action, obj=rating, region_code=activity.region_code,
        detail={"activity": activity.pk, "volunteer": volunteer.pk, "stars": stars},
    )  # fmt: skip
    return rating


@dataclass
class Participant:
    volunteer_id: int
    name: str
    shifts: int
    minutes: int
    rating: VolunteerRating | None

    @property
    def editable(self) -> bool:
        return self.rating is None or timezone.now() <= self.rating.created_at + dt.timedelta(days=RATING_EDIT_DAYS)


def participants(*, activity: Activity) -> list[Participant]:
    """Who took part (one entry per volunteer), with the organizer's rating: two queries."""
    people: dict[int, Participant] = {}
    for a in participations(activity=activity).select_related("volunteer").order_by("volunteer__name", "volunteer_id", "id"):
        p = people.get(a.volunteer_id)
        if p is None:
            p = people[a.volunteer_id] = Participant(a.volunteer_id, a.volunteer.name, 0, 0, None)
        p.shifts += 1
        p.minutes += int((a.check_out_at - a.check_in_at).total_seconds() // 60)
    for r in VolunteerRating.objects.filter(activity=activity, volunteer_id__in=list(people)):
        people[r.volunteer_id].rating = r
    return list(people.values())


# --- beneficiary feedback ------------------------------------------------------------------------


def feedback_activity_get(*, id) -> Activity:
    """The activity of the public feedback form: published, closed or finished (any
    visibility: the people served by a members-only activity may speak too)."""
    from zhiyuan.accounts.scopes import pk_or_404
    from zhiyuan.activities.square import PUBLIC_DETAIL_STATUSES

    a = Activity.objects.select_related("organization").filter(pk=pk_or_404(id), status__in=PUBLIC_DETAIL_STATUSES).first()
    if a is None:
        raise NotFound()
    return a


def feedback_open(activity: Activity, *, now=None) -> bool:
    now = now or timezone.now()
    return activity.starts_at <= now <= activity.ends_at + dt.timedelta(days=FEEDBACK_DAYS)


def beneficiary_feedback_create(
    *, activity: Activity, stars: int, comment: str = "", contact: str = "", honeypot: str = "", ip: str | None = None
) -> BeneficiaryFeedback | None:
    """Save a served person's feedback. Returns None for a filled honeypot (nothing saved, the
    sender is thanked all the same). 429 over ``FEEDBACK_PER_HOUR`` per address."""
    from zhiyuan.accounts.ratelimit import rate_limit_hit

    if (honeypot or "").strip():
        return None
    statuses = (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED, ActivityStatus.FINISHED)
    if activity.status not in statuses or not feedback_open(activity):
        raise Conflict("feedback_closed", _("此活动现在不接受反馈：活动开始后至结束后%(n)d天内可以提交。") % {"n": FEEDBACK_DAYS})
    stars = stars_check(stars)
    comment = comment_clean(comment)
    contact = comment_clean(contact, field="contact")[:50]
    if rate_limit_hit(f"feedback:{ip or '-'}", FEEDBACK_PER_HOUR, 3600):
        raise DomainError("rate_limited", _("提交过于频繁，请稍后再试。"), status=429)
    return BeneficiaryFeedback.objects.create(activity=activity, stars=stars, comment=comment, contact=contact)


def feedback_recent(*, activity: Activity, limit: int = 50) -> list[BeneficiaryFeedback]:
    return list(BeneficiaryFeedback.objects.filter(activity=activity).order_by("-created_at", "-id")[:limit])

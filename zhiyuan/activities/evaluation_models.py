"""Evaluation (SPEC ACT-6): the organizer rates each volunteer who served, the volunteer rates the
activity, and the people served leave feedback on a public form.

* ``VolunteerRating`` — the organizing organization's rating of one volunteer on one activity.
* ``ActivityRating`` — one volunteer's rating of one activity; the activity keeps
  ``rating_count`` / ``rating_sum`` in the same transaction (``evaluations.py``).
* ``BeneficiaryFeedback`` — anonymous feedback of a person served (no account), rate-limited.

One rating per pair (activity, volunteer) in each direction — a unique constraint, not only a
check in the service — editable for 7 days after it was first given."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STARS = Q(stars__gte=1, stars__lte=5)


class VolunteerRating(models.Model):
    activity = models.ForeignKey("activities.Activity", on_delete=models.PROTECT, related_name="volunteer_ratings")
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    stars = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评语"), max_length=500, blank=True, default="")
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("志愿者评价")
        constraints = [
            models.CheckConstraint(condition=STARS, name="volunteer_rating_stars_1_5"),
            models.UniqueConstraint(fields=["activity", "volunteer"], name="volunteer_rating_one_per_pair"),
        ]
        indexes = [models.Index(fields=["volunteer", "created_at"], name="volunteer_rating_volunteer")]


class ActivityRating(models.Model):
    activity = models.ForeignKey("activities.Activity", on_delete=models.PROTECT, related_name="ratings")
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="+")
    stars = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评价内容"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("活动评价")
        constraints = [
            models.CheckConstraint(condition=STARS, name="activity_rating_stars_1_5"),
            models.UniqueConstraint(fields=["activity", "volunteer"], name="activity_rating_one_per_pair"),
        ]
        indexes = [models.Index(fields=["activity", "-created_at", "-id"], name="activity_rating_recent")]


class BeneficiaryFeedback(models.Model):
    """A served person's word on an activity: no account, no personal data required (a name or
    phone only if they choose to leave one, shown to the organizer alone)."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.PROTECT, related_name="beneficiary_feedback")
    stars = models.PositiveSmallIntegerField(_("满意度"))
    comment = models.CharField(_("意见和建议"), max_length=500, blank=True, default="")
    contact = models.CharField(_("联系方式（选填）"), max_length=50, blank=True, default="")
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务对象反馈")
        constraints = [models.CheckConstraint(condition=STARS, name="beneficiary_feedback_stars_1_5")]
        indexes = [models.Index(fields=["activity", "-created_at", "-id"], name="beneficiary_feedback_recent")]

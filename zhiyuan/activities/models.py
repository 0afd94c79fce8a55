"""Projects, activities, shifts, positions, enrollment and attendance (SPEC ACT-1 … ACT-5).

* ``Project`` — the project library 项目库 (ACT-1): proposal → review → approved → running →
  closed → evaluated, reviewed by the region manager of the project's region.
* ``Activity`` — one event or a series of shifts (ACT-2), under a project or standalone, organized
  by one organization (谁组织谁记录: the organizer is who confirms its hours). Place with
  coordinates and a geofence radius; the recruitment notice (GB/T 40143) fields.
* ``Shift`` — one concrete time window of an activity (a single event has one; a recurring series
  has one per occurrence, generated from ``Activity.recurrence``).
* ``Position`` 岗位 — a role on the activity with its requirements (skills, age range, minors,
  required courses / qualification types, insurance, dangerous).
* ``Slot`` — a position on a shift: its capacity and the kept counts of accepted and waitlisted
  enrollments. Sign-ups lock this row (``SELECT … FOR UPDATE`` / the IMMEDIATE write
  transaction on SQLite), so capacity is never exceeded (ACT-3).
* ``Enrollment`` 报名 — a volunteer on a slot; copies the shift's window, activity, organization
  and region so overlap checks and lists read one table through its indexes.
* ``Attendance`` 签到签退 — check-in and check-out of one enrollment (ACT-4, ACT-5), with how each
  was made and the flags a reviewer must see; ``CheckEvent`` makes every check request idempotent
  by its client request id (ARCHITECTURE rule 5).

Scope (rule 1): every row carries the 12-digit ``region_code`` of the activity (or project), and
the organization; organization admins reach their organization's rows through scope providers
registered in apps.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import ScopedQuerySet

REGION_12 = Q(region_code__regex=r"^[0-9]{12}$")


class ActivitiesQuerySet(ScopedQuerySet):
    region_field = "region_code"
    # Region managers see, review and export what happens inside their region; organizations
    # manage and operate their own activities (providers in apps.py).
    region_actions = frozenset({"view", "review", "export"})


# --- projects (ACT-1) ------------------------------------------------------------------------


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已立项")
    REJECTED = "rejected", _("未通过")
    RUNNING = "running", _("实施中")
    CLOSED = "closed", _("已结项")
    EVALUATED = "evaluated", _("已评估")


class Project(models.Model):
    name = models.CharField(_("项目名称"), max_length=100)
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("申报组织"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(_("所属区划"), max_length=12, db_index=True)
    category = models.CharField(_("服务类别"), max_length=32)  # volunteers.codes.ServiceCategory
    target_group = models.CharField(_("服务对象"), max_length=100, blank=True, default="")
    summary = models.TextField(_("项目简介"), blank=True, default="")
    goals = models.TextField(_("项目目标"), blank=True, default="")
    budget = models.DecimalField(_("预算（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    is_demonstration = models.BooleanField(_("示范项目"), default=False)
    is_brand = models.BooleanField(_("品牌项目"), default=False)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True, default="")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    outcome = models.TextField(_("成效评估"), blank=True, default="")
    outcome_score = models.PositiveSmallIntegerField(_("评估得分"), null=True, blank=True)  # 0–100
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ActivitiesQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务项目")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=REGION_12, name="project_region_12"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="project_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(outcome_score__isnull=True) | Q(outcome_score__lte=100), name="project_score_range"
            ),
        ]
        indexes = [
            models.Index(fields=["region_code", "id"], name="project_region_id"),
            models.Index(fields=["status", "region_code", "id"], name="project_status_region"),
        ]

    def __str__(self):
        return self.name


class ProjectStatusChange(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=ProjectStatus.choices, blank=True, default="")
    to_status = models.CharField(max_length=10, choices=ProjectStatus.choices)
    note = models.CharField(max_length=500, blank=True, default="")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


# --- activities, shifts, positions (ACT-2) ---------------------------------------------------


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("招募中")
    CLOSED = "closed", _("停止招募")
    FINISHED = "finished", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("公开招募")
    MEMBERS = "members", _("仅限本组织成员")


class EnrollmentMode(models.TextChoices):
    AUTO = "auto", _("自动录用")
    REVIEW = "review", _("审核录用")


class Activity(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("所属项目"), null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(_("活动区划"), max_length=12, db_index=True)
    title = models.CharField(_("活动名称"), max_length=100)
    category = models.CharField(_("服务类别"), max_length=32)  # volunteers.codes.ServiceCategory
    # The recruitment notice 招募公告 (GB/T 40143): time and place come from the shifts and the
    # fields below; content, conditions, numbers (slots), how to sign up, risks and safeguards.
    content = models.TextField(_("服务内容"))
    conditions = models.TextField(_("招募条件"), blank=True, default="")
    signup_method = models.CharField(_("报名方式"), max_length=200, blank=True, default="")
    risks = models.TextField(_("风险提示"), blank=True, default="")
    safeguards = models.TextField(_("保障措施"), blank=True, default="")
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True, default="")
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True, default="")
    address = models.CharField(_("活动地点"), max_length=200)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    geofence_m = models.PositiveIntegerField(_("签到范围（米）"), default=300)
    starts_at = models.DateTimeField(_("开始时间"))  # first shift's start (kept with the shifts)
    ends_at = models.DateTimeField(_("结束时间"))  # last shift's end
    # A recurring series: {"weekdays": [0..6], "start": "HH:MM", "end": "HH:MM", "from": date,
    # "until": date, "except": [dates]}; empty for a single event. Shifts are generated from it.
    recurrence = models.JSONField(_("重复规则"), default=dict, blank=True)
    visibility = models.CharField(_("招募范围"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    enrollment_mode = models.CharField(_("录用方式"), max_length=10, choices=EnrollmentMode.choices, default=EnrollmentMode.AUTO)
    cancel_deadline_hours = models.PositiveSmallIntegerField(_("取消截止（开始前小时数）"), default=24)
    status = models.CharField(_("状态"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # Kept in the same transaction as the slots and enrollments (rule 9): the square shows them.
    slots_total = models.PositiveIntegerField(_("招募人数"), default=0)
    slots_open = models.PositiveIntegerField(_("剩余名额"), default=0)
    # The volunteers' ratings of the activity (ACT-6), kept in the rating's transaction
    # (evaluations.py): the square card shows sum / count without aggregating per request.
    rating_count = models.PositiveIntegerField(_("评价人数"), default=0)
    rating_sum = models.PositiveIntegerField(_("评分合计"), default=0)
    insurance_policy = models.ForeignKey(
        "insurance.InsurancePolicy", verbose_name=_("活动保险"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ActivitiesQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务活动")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=REGION_12, name="activity_region_12"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_window_ordered"),
            models.CheckConstraint(condition=Q(geofence_m__gte=10, geofence_m__lte=10_000), name="activity_geofence_range"),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="activity_coordinates",
            ),
            models.CheckConstraint(condition=Q(slots_open__lte=F("slots_total")), name="activity_open_slots_bounded"),
            models.CheckConstraint(
                condition=Q(rating_sum__gte=F("rating_count"), rating_sum__lte=F("rating_count") * 5),
                name="activity_rating_sum_bounded",
            ),
        ]
        indexes = [
            # the square: published, by start, within a region range
            # (then the square's other conditions — ended, visibility, region, category — checked in
            # the index entry: a published activity already over costs an entry, not a row read)
            models.Index(
                fields=["status", "starts_at", "id", "ends_at", "visibility", "region_code", "category"], name="activity_square"
            ),
            models.Index(fields=["region_code", "starts_at", "id"], name="activity_region_start"),
            models.Index(fields=["organization", "starts_at", "id"], name="activity_org_start"),
            # "distance from me" on the square: a bounding box, a range on latitude in this index
            models.Index(fields=["status", "latitude", "longitude", "ends_at", "visibility", "id"], name="activity_square_geo"),
        ]

    def __str__(self):
        return self.title

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None


class Shift(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    cancelled = models.BooleanField(_("已取消"), default=False)

    class Meta:
        verbose_name = _("班次")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_window_ordered"),
            models.UniqueConstraint(fields=["activity", "starts_at"], name="shift_activity_start_unique"),
        ]
        indexes = [models.Index(fields=["starts_at", "id"], name="shift_start")]

    def __str__(self):
        return f"{self.activity_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Position(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="positions")
    name = models.CharField(_("岗位名称"), max_length=50)
    duties = models.TextField(_("岗位职责"), blank=True, default="")
    slots = models.PositiveIntegerField(_("每班次名额"))
    skills = models.JSONField(_("所需技能"), default=list, blank=True)  # volunteers.codes.Skill values
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("最高年龄"), null=True, blank=True)
    minors_allowed = models.BooleanField(_("允许未成年人"), default=False)
    dangerous = models.BooleanField(_("危险岗位"), default=False)
    insurance_required = models.BooleanField(_("须有保险"), default=False)
    required_courses = models.ManyToManyField(
        "training.TrainingCourse", verbose_name=_("须完成的培训"), blank=True, related_name="+"
    )
    required_qualifications = models.ManyToManyField(
        "training.QualificationType", verbose_name=_("须具备的资格"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("岗位")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(slots__gte=1), name="position_slots_positive"),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(max_age__gte=F("min_age")),
                name="position_age_range",
            ),
            # a minor never works a dangerous position (条例; RULES.md)
            models.CheckConstraint(condition=~Q(dangerous=True, minors_allowed=True), name="position_no_minors_if_dangerous"),
        ]

    def __str__(self):
        return self.name


class Slot(models.Model):
    """A position on a shift. ``accepted`` and ``waitlisted`` are kept under this row's lock."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="slots")
    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="shift_slots")
    capacity = models.PositiveIntegerField()
    accepted = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    waitlisted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shift", "position"], name="slot_shift_position_unique"),
            models.CheckConstraint(condition=Q(accepted__lte=F("capacity")), name="slot_never_overbooked"),
        ]


# --- enrollment (ACT-3) ----------------------------------------------------------------------


class EnrollmentStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已录用")
    WAITLISTED = "waitlisted", _("候补中")
    REJECTED = "rejected", _("未录用")
    CANCELLED = "cancelled", _("已取消")


ACTIVE_ENROLLMENT = ("pending", "accepted", "waitlisted")


class Enrollment(models.Model):
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="enrollments")
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="enrollments")
    # copies of the slot's shift/activity, so overlap checks and every list read this table alone
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="enrollments")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="enrollments")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(_("状态"), max_length=10, choices=EnrollmentStatus.choices)
    note = models.CharField(_("报名留言"), max_length=200, blank=True, default="")
    reason = models.CharField(_("原因"), max_length=200, blank=True, default="")  # rejection / cancellation
    applied_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    objects = ActivitiesQuerySet.as_manager()

    class Meta:
        verbose_name = _("报名")
        ordering = ["-id"]
        constraints = [
            # one live enrollment per volunteer per shift
            models.UniqueConstraint(
                fields=["shift", "volunteer"],
                condition=Q(status__in=ACTIVE_ENROLLMENT),
                name="enrollment_one_live_per_shift",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="enrollment_window_ordered"),
        ]
        indexes = [
            models.Index(fields=["volunteer", "starts_at"], name="enrollment_volunteer_start"),
            models.Index(fields=["slot", "status", "applied_at", "id"], name="enrollment_slot_queue"),
            models.Index(fields=["activity", "status", "id"], name="enrollment_activity_status"),
            models.Index(fields=["organization", "status", "starts_at", "id"], name="enrollment_org_status"),
            # the reminder before a shift (activities.reminders): accepted places by start time
            models.Index(fields=["starts_at", "id"], condition=Q(status="accepted"), name="enrollment_accepted_start"),
        ]


# --- attendance (ACT-4, ACT-5) ---------------------------------------------------------------


class CheckMethod(models.TextChoices):
    QR = "qr", _("扫活动码")
    ECARD = "ecard", _("扫志愿者电子证")
    CODE = "code", _("签到码")
    MANUAL = "manual", _("人工补录")
    AUTO_CLOSE = "auto_close", _("班次结束自动签退")


class HoursState(models.TextChoices):
    """What the organizing body decided about an attendance's hours (records, REC-1/REC-2)."""

    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    VOIDED = "voided", _("不计时长")


class Attendance(models.Model):
    enrollment = models.OneToOneField(Enrollment, on_delete=models.PROTECT, related_name="attendance")
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    check_in_at = models.DateTimeField(_("签到时间"))
    check_in_method = models.CharField(_("签到方式"), max_length=12, choices=CheckMethod.choices)
    check_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    check_out_method = models.CharField(_("签退方式"), max_length=12, choices=CheckMethod.choices, blank=True, default="")
    # flags a reviewer must see before confirming: late, outside_geofence, offline, auto_closed,
    # manual (with reason)
    flags = models.JSONField(_("异常标记"), default=list, blank=True)
    reason = models.CharField(_("补录原因"), max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # written only by records.services (the hour ledger) in the transaction of its ledger entry
    hours_state = models.CharField(_("时长状态"), max_length=10, choices=HoursState.choices, default=HoursState.PENDING)

    objects = ActivitiesQuerySet.as_manager()

    class Meta:
        verbose_name = _("签到记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True) | Q(check_out_at__gte=F("check_in_at")), name="attendance_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["shift", "check_out_at"], name="attendance_shift_open"),
            models.Index(fields=["organization", "check_in_at", "id"], name="attendance_org_in"),
            models.Index(fields=["volunteer", "check_in_at"], name="attendance_volunteer_in"),
            # the organization's confirmation queue: only undecided rows are in it (records)
            models.Index(
                fields=["organization", "check_in_at", "id"], condition=Q(hours_state="pending"), name="attendance_hours_queue"
            ),
        ]


class CheckEvent(models.Model):
    """One check-in/out request as received (idempotency by ``client_request_id``; offline
    records carry the device time)."""

    client_request_id = models.CharField(max_length=64, unique=True)
    attendance = models.ForeignKey(Attendance, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=3)  # "in" / "out"
    method = models.CharField(max_length=12, choices=CheckMethod.choices)
    device_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.JSONField(default=dict)  # the answer given, replayed for a repeated request


# The evaluations (ACT-6) live in their own module; imported here so Django finds them.
from zhiyuan.activities.evaluation_models import ActivityRating, BeneficiaryFeedback, VolunteerRating  # noqa: E402, F401

"""Training (SPEC TRN-1, TRN-2; 条例 art. 16 先培训再上岗) and qualifications.

* ``TrainingCourse`` — what is taught: a service category, a level, hours, syllabus, materials;
  an online course also has a question bank (``Question``) and a quiz rule (pass mark, questions
  per attempt, attempts allowed).
* ``Trainer`` (certified 培训师) and ``TrainingBase`` (培训基地), each with a certification number
  and an expiry date.
* ``TrainingSession`` — one offline run of a course; ``SessionEnrollment`` holds enrollment,
  attendance and the participant's evaluation. ``enrolled_count`` is kept in the same transaction
  as the enrollment (rule 9), under a row lock on the session, so capacity is never exceeded.
* ``TrainingRecord`` — a completed training (from a session, an online quiz or an import).
* ``TrainingCertificate`` — what eligibility reads: a course certificate (issued with a record)
  or a qualification (an approved ``Qualification``), valid from ``issued_on`` to ``expires_on``.
* ``QualificationType`` (急救员, 心理援助 …) and ``Qualification``: a volunteer's evidence of an
  outside certificate, reviewed by an organization admin or a region manager.

Scope (ARCHITECTURE rule 1): every row carries the 12-digit ``region_code`` of whose business it
is (a course's or session's organizer, the volunteer's region for records, certificates and
qualifications) and, where an organization is involved, the organization.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import ScopedQuerySet

REGION_12 = Q(region_code__regex=r"^[0-9]{12}$")


class Level(models.TextChoices):
    BASIC = "basic", _("初级")
    INTERMEDIATE = "intermediate", _("中级")
    ADVANCED = "advanced", _("高级")


class CourseStatus(models.TextChoices):
    ACTIVE = "active", _("开放")
    ARCHIVED = "archived", _("已停用")


class TrainingQuerySet(ScopedQuerySet):
    region_field = "region_code"
    # Region managers see and manage the training business inside their region; organization
    # admins are added per model by providers registered in apps.py.
    region_actions = frozenset({"view", "manage", "review", "export"})


class Owned(models.Model):
    """Training business of a region or of an organization (courses, sessions, trainers, bases):
    the 12-digit region whose managers hold it and, if any, the organization whose admins do
    (``TrainingQuerySet`` and the providers in ``apps.py``)."""

    region_code = models.CharField(_("所属区划"), max_length=12, db_index=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = TrainingQuerySet.as_manager()

    class Meta:
        abstract = True


class QualificationType(models.Model):
    """A registry entry (seeded by migration 0002): what the qualification is called and how long
    one stays valid (``validity_months``; null = does not expire unless the certificate says so)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    validity_months = models.PositiveSmallIntegerField(_("有效期（月）"), null=True, blank=True)
    description = models.CharField(_("说明"), max_length=200, blank=True, default="")
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("资格类型")
        ordering = ["id"]

    def __str__(self):
        return self.name


class TrainingCourse(Owned):
    name = models.CharField(_("课程名称"), max_length=100)
    category = models.CharField(_("服务类别"), max_length=32)  # volunteers.codes.ServiceCategory
    level = models.CharField(_("级别"), max_length=12, choices=Level.choices, default=Level.BASIC)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    syllabus = models.TextField(_("教学大纲"), blank=True, default="")
    materials = models.TextField(_("学习资料"), blank=True, default="")
    # The certificate a completion earns: valid this many months (null: does not expire) and, if
    # set, counting as that qualification too (a 急救员 course earns the 急救员 qualification).
    validity_months = models.PositiveSmallIntegerField(_("证书有效期（月）"), null=True, blank=True)
    qualification_type = models.ForeignKey(
        QualificationType, verbose_name=_("对应资格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    online = models.BooleanField(_("线上课程"), default=False)
    pass_mark = models.PositiveSmallIntegerField(_("及格分"), default=60)  # of 100
    questions_per_attempt = models.PositiveSmallIntegerField(_("每次抽题数"), default=10)
    max_attempts = models.PositiveSmallIntegerField(_("可考次数"), default=3)
    status = models.CharField(_("状态"), max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("培训课程")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=REGION_12, name="training_course_region_12"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_course_hours_positive"),
            models.CheckConstraint(condition=Q(pass_mark__gte=0, pass_mark__lte=100), name="training_course_pass_mark_range"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="training_course_attempts_positive"),
            models.CheckConstraint(condition=Q(questions_per_attempt__gte=1), name="training_course_questions_positive"),
        ]
        indexes = [models.Index(fields=["status", "online", "id"])]

    def __str__(self):
        return self.name


class CertificationState(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRING = "expiring", _("即将到期")
    EXPIRED = "expired", _("已过期")
    NOT_YET = "not_yet", _("未生效")


class Certified(Owned):
    """What a certified trainer and a certified training base share (seed 001: 一学院一中心一基地):
    a certification number, its dates, the region and organization whose business it is. A
    session may use either only while its certification is valid (``valid_on``); the lists flag
    those about to expire (``certification_state``)."""

    certification_no = models.CharField(_("证书编号"), max_length=40, unique=True)
    certified_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"))

    class Meta:
        abstract = True
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def valid_on(self, day) -> bool:
        return self.certified_on <= day <= self.expires_on

    def certification_state(self, *, on, days: int) -> str:
        """Valid, expiring within ``days`` of ``on`` (the renewal setting), expired, or not yet."""
        import datetime as dt

        if on < self.certified_on:
            return CertificationState.NOT_YET
        if on > self.expires_on:
            return CertificationState.EXPIRED
        if self.expires_on <= on + dt.timedelta(days=days):
            return CertificationState.EXPIRING
        return CertificationState.VALID


def _certified_constraints(prefix: str) -> list:
    """The constraints of a ``Certified`` model (named after the model, as they always were)."""
    return [
        models.CheckConstraint(condition=REGION_12, name=f"{prefix}_region_12"),
        models.CheckConstraint(condition=Q(expires_on__gte=models.F("certified_on")), name=f"{prefix}_expiry_after_issue"),
    ]


def _certified_indexes(prefix: str) -> list:
    """The list's sorts (``core.lists`` keyset): by name, by expiry (expiring first)."""
    return [
        models.Index(fields=["name", "id"], name=f"{prefix}_name"),
        models.Index(fields=["expires_on", "id"], name=f"{prefix}_expiry"),
    ]


class Trainer(Certified):
    """A certified trainer 培训师."""

    name = models.CharField(_("姓名"), max_length=50)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    specialty = models.CharField(_("专长"), max_length=100, blank=True, default="")

    class Meta(Certified.Meta):
        verbose_name = _("培训师")
        constraints = _certified_constraints("trainer")
        indexes = _certified_indexes("trainer")


class TrainingBase(Certified):
    """A certified training base 培训基地."""

    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)

    class Meta(Certified.Meta):
        verbose_name = _("培训基地")
        constraints = _certified_constraints("training_base")
        indexes = _certified_indexes("training_base")


class SessionStatus(models.TextChoices):
    OPEN = "open", _("报名中")
    CLOSED = "closed", _("报名截止")
    COMPLETED = "completed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class TrainingSession(Owned):
    course = models.ForeignKey(TrainingCourse, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="sessions")
    trainer = models.ForeignKey(
        Trainer, verbose_name=_("培训师"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    base = models.ForeignKey(
        TrainingBase, verbose_name=_("培训基地"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("地点"), max_length=200, blank=True, default="")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    enrolled_count = models.PositiveIntegerField(_("已报名"), default=0)  # kept with the enrollments
    status = models.CharField(_("状态"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("培训班")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=REGION_12, name="training_session_region_12"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="training_session_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="training_session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(enrolled_count__lte=models.F("capacity")), name="training_session_enrolled_within_capacity"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at", "id"])]

    def __str__(self):
        return f"{self.course.name} {timezone.localtime(self.starts_at):%Y-%m-%d}"

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.enrolled_count)


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("已报名")
    CANCELLED = "cancelled", _("已取消")


class Attendance(models.TextChoices):
    PENDING = "pending", _("未签到")
    PRESENT = "present", _("已参训")
    ABSENT = "absent", _("缺席")


class SessionEnrollment(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="enrollments")
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="training_enrollments")
    status = models.CharField(_("状态"), max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED)
    attendance = models.CharField(_("出勤"), max_length=10, choices=Attendance.choices, default=Attendance.PENDING)
    score = models.PositiveSmallIntegerField(_("考核成绩"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)  # 1–5, the participant's evaluation
    comment = models.CharField(_("评价意见"), max_length=500, blank=True, default="")
    enrolled_at = models.DateTimeField(_("报名时间"), default=timezone.now)

    class Meta:
        verbose_name = _("培训报名")
        ordering = ["enrolled_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "volunteer"], name="training_enrollment_once_per_session"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="training_rating_1_5"
            ),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="training_enrollment_score_range"),
        ]


class RecordSource(models.TextChoices):
    SESSION = "session", _("线下培训")
    ONLINE = "online", _("线上学习")
    IMPORT = "import", _("导入")


class TrainingRecord(models.Model):
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="training_records")
    course = models.ForeignKey(TrainingCourse, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="records")
    source = models.CharField(_("来源"), max_length=10, choices=RecordSource.choices)
    session = models.ForeignKey(TrainingSession, null=True, blank=True, on_delete=models.PROTECT, related_name="records")
    completed_on = models.DateField(_("完成日期"))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    score = models.PositiveSmallIntegerField(_("成绩"), null=True, blank=True)
    region_code = models.CharField(_("区划"), max_length=12)  # the volunteer's, when recorded
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("组织单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训记录")
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=REGION_12, name="training_record_region_12"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_record_hours_positive"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="training_record_score_range"),
            # one record per session and person: attendance confirmed twice is still one training
            models.UniqueConstraint(
                fields=["session", "volunteer"], condition=Q(session__isnull=False), name="training_record_once_per_session"
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "-completed_on"]),
            models.Index(fields=["region_code", "-completed_on", "-id"]),
            models.Index(fields=["organization", "-completed_on"]),
        ]


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")


class TrainingCertificate(models.Model):
    """A course certificate or an approved qualification: what ``training_requirements_met`` reads.
    One query answers a requirement list for a batch of volunteers through the covering index
    ``training_cert_eligibility`` (volunteer first, then every column the check reads)."""

    certificate_no = models.CharField(_("证书编号"), max_length=40, unique=True)
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="training_certificates")
    course = models.ForeignKey(TrainingCourse, null=True, blank=True, on_delete=models.PROTECT, related_name="certificates")
    qualification_type = models.ForeignKey(
        QualificationType, null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    record = models.OneToOneField(TrainingRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="certificate")
    qualification = models.OneToOneField(
        "training.Qualification", null=True, blank=True, on_delete=models.PROTECT, related_name="certificate"
    )
    title = models.CharField(_("证书名称"), max_length=100)
    issuer = models.CharField(_("发证单位"), max_length=100)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.VALID)
    region_code = models.CharField(_("区划"), max_length=12)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("组织单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    renewal_reminded_on = models.DateField(_("续期提醒日期"), null=True, blank=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训证书")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=REGION_12, name="training_certificate_region_12"),
            models.CheckConstraint(
                condition=Q(course__isnull=False) | Q(qualification_type__isnull=False),
                name="training_certificate_names_something",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("issued_on")),
                name="training_certificate_expiry_after_issue",
            ),
        ]
        indexes = [
            # covers the eligibility query (volunteer ids, status, course or type, dates): an
            # index-only scan on PostgreSQL, a covering index on SQLite — no row fetch per person
            models.Index(
                fields=["volunteer", "status", "course", "qualification_type", "issued_on", "expires_on"],
                name="training_cert_eligibility",
            ),
            models.Index(fields=["status", "expires_on"]),
            models.Index(fields=["region_code", "-issued_on", "-id"]),
        ]

    def __str__(self):
        return self.certificate_no

    def valid_on(self, day) -> bool:
        return (
            self.status == CertificateStatus.VALID
            and self.issued_on <= day
            and (self.expires_on is None or day <= self.expires_on)
        )


class QualificationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class Qualification(models.Model):
    """A volunteer's outside certificate with its evidence file (encrypted at rest under
    ``ZHIYUAN_PRIVATE_DIR``, never given a public URL), waiting for review."""

    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="qualifications")
    qualification_type = models.ForeignKey(
        QualificationType, verbose_name=_("资格类型"), on_delete=models.PROTECT, related_name="+"
    )
    certificate_no = models.CharField(_("证书编号"), max_length=40)
    issuer = models.CharField(_("发证机构"), max_length=100)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    evidence_name = models.CharField(_("证明材料"), max_length=100)
    evidence_type = models.CharField(max_length=50)
    evidence_file = models.CharField(max_length=64)  # file name under the private directory
    evidence_key_sealed = models.TextField()  # the file's key, sealed (core.filecrypt)
    status = models.CharField(_("状态"), max_length=10, choices=QualificationStatus.choices, default=QualificationStatus.PENDING)
    reason = models.CharField(_("审核意见"), max_length=200, blank=True, default="")
    region_code = models.CharField(_("区划"), max_length=12)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("审核组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = _("资格证明")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=REGION_12, name="qualification_region_12"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("issued_on")),
                name="qualification_expiry_after_issue",
            ),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reason=""), name="qualification_rejection_has_reason"),
        ]
        indexes = [
            models.Index(fields=["status", "region_code", "-submitted_at"]),
            models.Index(fields=["organization", "status"]),
        ]


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")


class Question(models.Model):
    """A question of an online course's bank. ``answer`` (indexes into ``options``) never leaves
    the server: the quiz pages and the API send the text and the options only."""

    course = models.ForeignKey(TrainingCourse, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("题目"), max_length=500)
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    options = models.JSONField(_("选项"))  # ["A text", "B text", ...]
    answer = models.JSONField(_("答案"))  # sorted option indexes, e.g. [1] or [0, 2]
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("试题")
        ordering = ["id"]


class QuizAttempt(models.Model):
    """One attempt at an online course's quiz. The drawn questions are stored here when it starts
    and scored from the bank when it is submitted; ``attempt_no`` is unique per volunteer and
    course, so two attempts started at once cannot both take the last allowed number."""

    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="attempts")
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="quiz_attempts")
    attempt_no = models.PositiveSmallIntegerField()
    question_ids = models.JSONField()  # in the order shown
    answers = models.JSONField(default=dict, blank=True)  # {"question id": [option indexes]}
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("在线测验")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "course", "attempt_no"], name="quiz_attempt_no_unique"),
        ]

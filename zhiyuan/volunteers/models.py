"""Volunteers (SPEC VOL-1…VOL-9).

Code-table values (political status, education, ethnicity, skills, service categories) are
stored as their codes without ``choices=`` on the columns: the tables live in ``codes.py`` and
are checked by the services, so a revised table needs no migration.
"""

from django.conf import settings
from django.db import connections, models
from django.db.models import Func, Q
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhiyuan.accounts.scopes import ScopedQuerySet


def processable_q(path: str = "") -> Q:
    """VOL-6 / PIPL art. 47: the one definition of a person who may still be processed (consent
    not withdrawn), for a volunteer reached through ``path`` (``"volunteer__"`` from a membership).
    ``Volunteer.objects.processable()`` / ``restricted()`` and ``Volunteer.is_restricted`` use it."""
    return Q(**{f"{path}restricted_at__isnull": True})


class _NotIndexed(Func):
    """SQLite's unary ``+``: the same value, but a term the planner will not answer from an
    index (the documented way to steer SQLite's planner)."""

    template = "+%(expressions)s"
    arity = 1


BROAD_PREFIX = 4  # a province or a city: a large part of the table


def not_indexed(field: str, output_field=None):
    """``field`` as a term SQLite's planner does not answer from an index (see ``_NotIndexed``)."""
    return _NotIndexed(field, output_field=output_field or models.CharField())


def _broad(lookup: str, value, broad_prefix: int) -> bool:
    digits = 12 - broad_prefix
    return isinstance(value, str) and (
        (lookup == "gte" and value.endswith("0" * digits)) or (lookup == "lte" and value.endswith("9" * digits))
    )


def sqlite_broad_ranges(q: Q, field: str = "region_code", *, broad_prefix: int = BROAD_PREFIX) -> Q:
    """On SQLite, the region ranges of a province or a city (``regions.codes.prefix_q``) as terms
    the planner does not read from the region index. SQLite (built without STAT4 histograms)
    guesses that any two-sided range keeps 1/64 of the rows, so it reads a province's 10⁶ rows
    through the region index and sorts them all for one page; without the index it walks the
    list's sort index and stops after the page (docs/benchmarks.md §7). Narrower ranges (a county
    and below) keep the index. Changes ``q`` in place and returns it."""
    for i, child in enumerate(q.children):
        if isinstance(child, Q):
            sqlite_broad_ranges(child, field, broad_prefix=broad_prefix)
        elif isinstance(child, tuple) and child[0] in (f"{field}__gte", f"{field}__lte"):
            lookup = child[0].rsplit("__", 1)[1]
            if _broad(lookup, child[1], broad_prefix):
                cls = GreaterThanOrEqual if lookup == "gte" else LessThanOrEqual
                q.children[i] = cls(not_indexed(field), child[1])
    return q


class VolunteerQuerySet(ScopedQuerySet):
    """Scope by residence region (ARCHITECTURE rule 1).

    Restriction (VOL-6, PIPL 47): a person who withdrew consent (``restricted_at`` set) is kept
    for the legal retention period but is no longer processed: ``visible_to`` leaves them out of
    every manager list, search, export and matching. Only storage/security tasks (key rotation,
    the person's own data access) reach restricted rows, through ``including_restricted()``.
    """

    region_field = "region_code"
    # Region managers see, manage (reveal, status, corrections, assisted registration) and export
    # the residents of their region; an organization admin only sees its members (a provider).
    region_actions = frozenset({"view", "manage", "export"})

    def scope_q(self, actor, action: str = "view"):
        q = super().scope_q(actor, action)
        if isinstance(q, Q) and connections[self.db].vendor == "sqlite":
            q = sqlite_broad_ranges(q)
        return q

    def processable(self):
        """Rows that may be used at all: consent not withdrawn."""
        return self.filter(processable_q())

    def restricted(self):
        """Rows kept for the retention period only (consent withdrawn)."""
        return self.exclude(processable_q())

    def active_for_processing(self):
        """Rows that may be matched, enrolled, dispatched: not restricted and status active."""
        return self.processable().filter(status=Volunteer.Status.ACTIVE)

    def visible_to(self, actor, action: str = "view", *, include_restricted: bool = False):
        """The volunteers ``actor`` may ``action`` as a manager; restricted people are excluded
        unless ``include_restricted`` (for retention/security duties only — never lists or exports)."""
        qs = super().visible_to(actor, action)
        return qs if include_restricted else qs.processable()

    def with_skill(self, code: str):
        return self.filter(skills__code=code)

    def available_at(self, mask: int):
        """Volunteers whose weekly availability covers every slot bit in ``mask``."""
        return self.annotate(_avail=models.F("availability").bitand(mask)).filter(_avail=mask)


class Volunteer(models.Model):
    """VOL-1…VOL-9: a registered person. The document number is never stored in plaintext:
    ``id_number_sealed`` is AES-GCM, ``id_number_index`` an HMAC blind index (VOL-2)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("暂停")
        EXITED = "exited", _("已退出")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="volunteer")
    volunteer_no = models.CharField(_("志愿者编号"), max_length=16, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=8)
    id_number_sealed = models.TextField()
    id_number_index = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("证件号码"), max_length=40)
    gender = models.CharField(_("性别"), max_length=1, default="0")  # GB/T 2261.1
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    region_code = models.CharField(_("居住区划"), max_length=12, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    restricted_at = models.DateTimeField(_("撤回同意时间"), null=True, blank=True)  # VOL-6
    registered_at = models.DateTimeField(_("注册时间"), default=timezone.now)

    # VOL-4 profile (codes from codes.py; "" = not given)
    political_status = models.CharField(_("政治面貌"), max_length=2, blank=True, default="")  # GB/T 4762
    education = models.CharField(_("学历"), max_length=2, blank=True, default="")  # GB/T 4658
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True, default="")  # GB/T 3304
    # Sensitive (PIPL 28): used only for distance matching, never shown to anyone but the person.
    home_lat = models.DecimalField(_("居住地纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    home_lng = models.DecimalField(_("居住地经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Weekly availability: bit (day-1)*3 + slot, day 1 = Monday, slot 0 morning / 1 afternoon / 2 evening.
    availability = models.PositiveIntegerField(_("可服务时间"), default=0)
    photo = models.FileField(_("照片"), upload_to="volunteers/photos/", blank=True, default="", max_length=200)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿者")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "status"]),
            # The default order of every list (newest first) read from an index instead of sorting
            # the whole scope; (registered_at, id) is also the keyset of cursor pagination.
            models.Index(fields=["registered_at", "id"], name="volunteer_registered_id"),
            # The name and age sorts, each with its keyset tie-break (issue #7 item 2). PostgreSQL
            # also gets (registered_at, id) and (birth_date, id) DESC NULLS LAST, which the newest-
            # first and youngest-first orders need there (migration 0009_perf_…).
            models.Index(fields=["name", "id"], name="volunteer_name_id"),
            models.Index(fields=["birth_date", "id"], name="volunteer_birth_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(home_lat__isnull=True, home_lng__isnull=True) | Q(home_lat__isnull=False, home_lng__isnull=False),
                name="volunteer_home_location_complete",
            ),
            models.CheckConstraint(condition=Q(availability__lt=1 << 21), name="volunteer_availability_21_slots"),
        ]

    def __str__(self):
        return f"{self.name}（{self.volunteer_no}）"

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None


class VolunteerTally(models.Model):
    """How many volunteers live in one region with one status, kept so that a list's total never
    counts the scope (issue #7 item 2). Restricted people (consent withdrawn) are not counted, as
    ``visible_to`` leaves them out. Changed only by ``volunteers.tallies`` in the transaction of
    the change (registration, import, status change, residence change, restriction), rebuilt and
    checked by ``manage.py volunteer_tallies [--check]``."""

    region_code = models.CharField(max_length=12)
    status = models.CharField(max_length=10, choices=Volunteer.Status.choices)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "status"], name="volunteer_tally_key")]

    def __str__(self):
        return f"{self.region_code} {self.status} {self.n}"


class VolunteerSkill(models.Model):
    """VOL-4: a skill or professional qualification (code from codes.py) with optional detail
    such as the certificate held (执业医师、心理咨询师…)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="skills")
    code = models.CharField(_("技能"), max_length=32)
    detail = models.CharField(_("资质说明"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("技能特长")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["volunteer", "code"], name="volunteer_skill_unique")]
        indexes = [models.Index(fields=["code"])]


class VolunteerServiceCategory(models.Model):
    """VOL-4: a preferred service category (code from codes.py)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="service_categories")
    code = models.CharField(_("服务类别"), max_length=32)

    class Meta:
        verbose_name = _("服务意向")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["volunteer", "code"], name="volunteer_category_unique")]
        indexes = [models.Index(fields=["code"])]


class VolunteerNumberCounter(models.Model):
    """VOL-3: the allocator of volunteer-number serials. One row (id=1), locked with
    ``select_for_update`` while a number (or a block of numbers) is taken."""

    last_serial = models.BigIntegerField(default=0)


class PrivacyNotice(models.Model):
    """VOL-6 (PIPL 17): a version of the privacy notice. Exactly one is current; consents name
    the version the person accepted."""

    version = models.CharField(_("版本"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    is_current = models.BooleanField(_("当前版本"), default=False)

    class Meta:
        verbose_name = _("隐私政策")
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="privacy_notice_one_current")
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class ConsentRecord(models.Model):
    """VOL-6/7: one consent given (privacy notice, oath, guardian, location). Withdrawal sets
    ``withdrawn_at``; records are never deleted (kept for the legal period)."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("个人信息处理同意")
        OATH = "oath", _("志愿者誓词")
        GUARDIAN = "guardian", _("监护人同意")
        LOCATION = "location", _("位置信息单独同意")

    class Source(models.TextChoices):
        SELF = "self", _("本人在线确认")
        ASSISTED = "assisted", _("管理员代为登记")
        IMPORT = "import", _("批量导入（线下签署）")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    notice = models.ForeignKey(PrivacyNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(_("文本版本"), max_length=20)
    source = models.CharField(_("方式"), max_length=10, choices=Source.choices, default=Source.SELF)
    accepted_at = models.DateTimeField(_("同意时间"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("同意记录")
        ordering = ["-accepted_at", "-id"]
        indexes = [models.Index(fields=["volunteer", "kind"])]

    @property
    def version_label(self) -> str:
        from zhiyuan.volunteers.texts import consent_version_label

        return consent_version_label(self.version)


class GuardianConsent(models.Model):
    """VOL-5 (PIPL 31; China Registered Volunteer rules for 14–17): the guardian who consented
    to a minor's registration."""

    class Relation(models.TextChoices):
        FATHER = "father", _("父亲")
        MOTHER = "mother", _("母亲")
        GRANDPARENT = "grandparent", _("祖父母/外祖父母")
        OTHER = "other", _("其他监护人")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="guardian_consents")
    consent = models.OneToOneField(ConsentRecord, on_delete=models.PROTECT, related_name="guardian_detail")
    guardian_name = models.CharField(_("监护人姓名"), max_length=50)
    relation = models.CharField(_("与本人关系"), max_length=12, choices=Relation.choices)
    guardian_mobile = models.CharField(_("监护人手机号"), max_length=11)
    consented_at = models.DateTimeField(_("同意时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监护人同意")
        ordering = ["-consented_at", "-id"]


class VolunteerStatusChange(models.Model):
    """VOL-9: status history (dynamic management and exit mechanism). Append-only."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, choices=Volunteer.Status.choices)
    reason = models.CharField(_("原因"), max_length=500)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("状态变更")
        ordering = ["-at", "-id"]


class ProfileCorrectionRequest(models.Model):
    """VOL-6 (PIPL 46): the person asks a manager to correct a field they cannot edit
    themselves (name, document, gender, birth date). The requested value is sealed: for a
    document it is a document number (VOL-2)."""

    class Field(models.TextChoices):
        NAME = "name", _("姓名")
        DOCUMENT = "document", _("证件类型及号码")
        GENDER = "gender", _("性别")
        BIRTH_DATE = "birth_date", _("出生日期")

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        APPROVED = "approved", _("已更正")
        REJECTED = "rejected", _("已驳回")
        CANCELLED = "cancelled", pgettext_lazy("correction request", "已撤销")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="correction_requests")
    field = models.CharField(_("更正项目"), max_length=12, choices=Field.choices)
    requested_sealed = models.TextField()
    requested_masked = models.CharField(_("更正为"), max_length=60)
    reason = models.CharField(pgettext_lazy("correction request", "说明"), max_length=500)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    response = models.CharField(_("处理意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("信息更正申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "field"], condition=Q(status="pending"), name="correction_one_pending_per_field"
            )
        ]


def _scope_inside(scope: str, current: list[str]) -> bool:
    """Does a job's recorded ``scope`` ("p1,p2"; "*" for a platform admin) lie inside the region
    prefixes ``current``?"""
    parts = [p for p in scope.split(",") if p]
    return bool(parts) and "*" not in parts and all(any(p.startswith(c) for c in current) for p in parts)


def import_job_uploader_q(actor):
    """Scope provider of ``ImportJob`` (registered in ``apps.ready``): an import job is its
    uploader's business. The uploader sees their own jobs while still a region manager whose
    current regions contain the job's recorded ``scope`` (the uploader's region prefixes at
    submit time): a revoked or narrowed role also closes the old jobs, their reports and previews.
    One small query (the uploader's few distinct scopes, on the ``created_by`` index)."""
    from zhiyuan.accounts.scopes import actor_region_prefixes

    current = actor_region_prefixes(actor)
    if not current:
        return None
    mine = ImportJob.objects.filter(created_by=actor).order_by()
    scopes = {s for s in mine.values_list("scope", flat=True).distinct() if _scope_inside(s, current)}
    return Q(created_by=actor, scope__in=sorted(scopes)) if scopes else None


def import_job_uploader_test(actor, job) -> bool:
    """``import_job_uploader_q`` for one fetched job (``scopes.can`` needs no query)."""
    from zhiyuan.accounts.scopes import actor_region_prefixes

    return job.created_by_id == actor.pk and _scope_inside(job.scope, actor_region_prefixes(actor))


class ImportJobQuerySet(ScopedQuerySet):
    """``visible_to(actor, action)`` like every scoped model (ARCHITECTURE rule 1): a job has no
    region of its own, so region managers hold nothing over it by region (``region_actions`` is
    empty); platform admins see every job; the uploader sees their own through the scope provider
    ``import_job_uploader_q`` (view and export: the job page, the API and the report). Nobody
    else — not even a manager of the same region."""

    region_field = None
    region_actions = frozenset()


class ImportJob(models.Model):
    """VOL-10: one uploaded import file and its processing (services/import_jobs.py).

    The file waits encrypted under ``ZHIYUAN_PRIVATE_DIR`` (``file_ref``; its key sealed in
    ``file_key_sealed``) and is deleted when the job finishes. The report keeps messages only:
    counts here, one ``ImportJobError`` per problem, masked preview rows for a check."""

    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", _("检查（不导入）")
        ALL_OR_NOTHING = "all_or_nothing", _("整批导入（有错误则全部不导入）")
        VALID_ONLY = "valid_only", _("只导入校验通过的行")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Phase(models.TextChoices):
        CHECKING = "checking", _("校验")
        IMPORTING = "importing", _("导入")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What the rows become (``import_kinds``): "volunteers", or a higher app's kind such as
    # "training.record", whose target (a course) is ``target_id``.
    kind = models.CharField(_("导入内容"), max_length=40, default="volunteers")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    scope = models.CharField(_("导入范围"), max_length=200, blank=True)  # "*" platform, else region prefixes
    token_prefix = models.CharField(max_length=12, blank=True)  # an API token's region narrowing, kept for the worker
    mode = models.CharField(_("方式"), max_length=16, choices=Mode.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices, default=Phase.CHECKING)
    client_id = models.CharField(max_length=64, blank=True)  # ARCHITECTURE rule 5: a repeated submit
    file_name = models.CharField(_("文件名"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    file_sha256 = models.CharField(max_length=64)
    file_ref = models.CharField(max_length=100, blank=True)  # name under ZHIYUAN_PRIVATE_DIR/imports; "" once deleted
    file_key_sealed = models.TextField(blank=True)
    rows_total = models.PositiveIntegerField(_("数据行"), default=0)  # an upper bound until the check pass ends
    rows_done = models.PositiveIntegerField(default=0)  # rows checked (the first pass)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(_("已导入"), default=0)
    errors_count = models.PositiveIntegerField(default=0)
    file_errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)  # masked, first valid rows; cleared by the sweep
    message = models.CharField(max_length=300, blank=True)  # why a job failed or stopped
    ip = models.GenericIPAddressField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)  # the uploader's; the worker writes the report in it
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)  # progress heartbeat

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            # one's own jobs newest first (import_lists.IMPORT_JOBS; id breaks ties for the keyset cursor)
            models.Index(fields=["created_by", "created_at", "id"], name="importjob_by_user_created"),
            models.Index(fields=["status", "updated_at"], name="importjob_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_id"], condition=~Q(client_id=""), name="importjob_one_per_client_id"
            ),
        ]

    def __str__(self):
        return f"{self.pk} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def dry_run(self) -> bool:
        return self.mode == self.Mode.DRY_RUN

    @property
    def ok(self) -> bool:
        """Finished, and neither the file nor any row had a problem."""
        return self.status == self.Status.DONE and not self.file_errors and not self.errors_count and not self.message

    @property
    def progress(self) -> int:
        """0–100. All-or-nothing runs two passes (check, then import): half each."""
        if self.finished:
            return 100
        total = max(self.rows_total, 1)
        if self.mode != self.Mode.ALL_OR_NOTHING:
            return min(99, self.rows_done * 100 // total)
        if self.phase == self.Phase.IMPORTING:
            return min(99, 50 + self.rows_created * 50 // total)
        return min(49, self.rows_done * 50 // total)


class ImportJobError(models.Model):
    """One problem of one row (Excel row number, field key, Chinese message; never the value)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField(_("行号"))
    field = models.CharField(_("字段"), max_length=40)
    message = models.CharField(_("问题"), max_length=300)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="importjoberror_job_row")]

    @property
    def field_label(self) -> str:
        from zhiyuan.volunteers.imports import field_label

        return field_label(self.field)

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChainedEntry(models.Model):
    """Base of an append-only, hash-chained log (ARCHITECTURE rule 10; ``core.chain``).

    Entries are chained per ``partition`` (a day for the audit log, a volunteer for the hour
    ledger): ``seq`` counts 1, 2, 3 … within the partition, ``prev_hash`` is the hash of the
    entry before it (64 zeros for the first) and
    ``hash = sha256(prev_hash || canonical JSON of chain_payload() + partition + seq)``.
    A subclass implements ``chain_payload()`` and ``chain_label()``; rows are written only by
    ``core.chain.chain_append`` and its migration adds ``core.chain.append_only()``.
    """

    partition = models.CharField(max_length=64, editable=False)
    seq = models.PositiveBigIntegerField(editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["partition", "seq"], name="%(app_label)s_%(class)s_chain_seq"),
        ]

    def chain_payload(self) -> dict:  # pragma: no cover - abstract
        """The entry's own fields as JSON values, exactly as the database gives them back."""
        raise NotImplementedError

    def chain_label(self) -> str:
        """How ``chain_verify`` names the entry in a report."""
        return f"#{self.pk}"


class ChainHead(models.Model):
    """The newest entry of one partition of one chain. Appends lock only their partition's row,
    so writes in different partitions never wait for each other. Mutable (not a chained table)."""

    chain = models.CharField(max_length=100)
    partition = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "partition"], name="core_chainhead_unique")]


class AuditEntry(ChainedEntry):
    """ACC-3: append-only, hash-chained audit record, chained per day (Asia/Shanghai date).

    ``manage.py chain_verify`` (alias ``audit_verify``) checks every day and names the first
    entry that does not match. Kept ≥ 6 months (网络安全法 Art. 21); by default never pruned.
    Rows are written only by ``core.audit.audit_record``; the database refuses UPDATE and DELETE.
    """

    class Result(models.TextChoices):
        OK = "ok", _("成功")
        DENIED = "denied", _("拒绝")
        FAILED = "failed", _("失败")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=100, blank=True)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices, default=Result.OK)
    ip = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    # The 12-digit region of the object acted on ("" when it has none: logins, tokens, the audit
    # log itself). Region managers see the entries inside their region (ACC-3); only platform
    # admins see those without one.
    region_code = models.CharField(_("区划"), max_length=12, blank=True, default="")

    class Meta(ChainedEntry.Meta):
        ordering = ["id"]
        verbose_name = _("审计日志")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["region_code", "id"], name="core_audit_region_id"),
        ]

    def chain_payload(self) -> dict:
        from zhiyuan.core.audit import audit_payload

        return audit_payload(self)

    def chain_label(self) -> str:
        return f"#{self.pk} ({timezone.localtime(self.at).isoformat(timespec='seconds')}, {self.action})"


class KeyCanary(models.Model):
    """A known value under one key of the key ring (``core.keycheck``): at start-up each must
    open, so a database restored beside the wrong key file is refused instead of answering 500
    at the first TOTP login or data download (issue #11 item 4). Holds nothing secret."""

    class Kind(models.TextChoices):
        SEALING = "id", "AES-GCM"
        BLIND_INDEX = "blind", "HMAC"
        SIGNING = "signing", "Ed25519"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key_id = models.CharField(max_length=40)
    value = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key_id"], name="core_keycanary_one_per_key")]


class WorkerHeartbeat(models.Model):
    """One running background worker (``manage.py db_worker``, core.workers): who it is and when
    it last said it was alive. A task left running by a worker whose row is missing, whose
    process is gone (same host) or whose heartbeat stopped is failed (issue #11)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    pid_started = models.CharField(max_length=32, blank=True)  # the process's start time (Linux), against pid reuse
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()


class ExportJob(models.Model):
    """A background export (issue #7 item 3): a list too large to stream in the request is
    written by the worker (``core.tasks.export_job_task``) to a file encrypted at rest under
    ``ZHIYUAN_PRIVATE_DIR/exports`` (``core.filecrypt``, never a public URL), downloaded by its
    owner only through a signed link until ``expires_at``, then deleted by ``exports_sweep``.

    The filters are kept sealed (a search may be a name or a mobile number); ``filters_summary``
    is what the page and the audit log show (a search as ``*``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("导出人"))
    list_name = models.CharField(_("列表"), max_length=64)
    filters_sealed = models.TextField(blank=True)
    filters_summary = models.JSONField(_("筛选条件"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(_("已写入行数"), default=0)
    rows_total = models.PositiveIntegerField(_("预计行数"), null=True, blank=True)
    truncated = models.BooleanField(default=False)  # more rows matched than the job cap
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    file_name = models.CharField(max_length=80, blank=True)  # under ZHIYUAN_PRIVATE_DIR/exports
    file_key_sealed = models.TextField(blank=True)
    file_size = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("后台导出")
        indexes = [
            models.Index(fields=["owner", "-id"], name="core_export_owner_id"),
            models.Index(fields=["status", "expires_at"], name="core_export_status_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.list_name} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def progress(self) -> int:
        """Percent written (an estimate: ``rows_total`` is counted when the job starts)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class Notification(models.Model):
    """One message to one user in the in-app notification centre (SPEC ACT-7). Written only by
    ``core.notifications.notify``, which also hands it to the user's other channels (e-mail,
    SMS). ``dedupe_key`` makes a repeated notice (a scheduled reminder run twice) a no-op."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)  # e.g. "activities.enrollment.accepted"
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=300, blank=True, default="")  # a path inside the site
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Kept with ``read_at`` (True exactly while it is NULL) so "unread first, newest first" is a
    # keyset order on one index, (user, unread, id): core.lists orders NULLs last in both
    # directions, which would put unread notices last.
    unread = models.BooleanField(default=True)
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=models.Q(dedupe_key__isnull=False), name="notification_dedupe"
            ),
            models.CheckConstraint(
                condition=models.Q(unread=True, read_at__isnull=True) | models.Q(unread=False, read_at__isnull=False),
                name="notification_unread_matches_read_at",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "id"], name="notification_user_id"),
            # the centre's order and the badge's count (user, unread = true)
            models.Index(fields=["user", "unread", "id"], name="notification_user_unread"),
            # the retention sweep: read notices older than ZHIYUAN_NOTIFICATION_KEEP_DAYS
            models.Index(fields=["read_at"], name="notification_read_at"),
        ]


class NotificationDelivery(models.Model):
    """How one notice went out on one channel besides the in-app centre (e-mail, SMS): written
    by the delivery task after the caller's transaction committed. A failure is recorded here
    and logged, never raised to whoever called ``notify``."""

    class Status(models.TextChoices):
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("未发送")  # no address (no e-mail on the account)

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10)  # email | sms (core.notifications.CHANNELS)
    status = models.CharField(max_length=10, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True, default="")  # no personal data
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notification_delivery_once"),
            models.CheckConstraint(condition=models.Q(channel__in=["email", "sms"]), name="notification_delivery_channel"),
        ]


class NotificationPreference(models.Model):
    """A user's choice of channels for one notice topic (``core.notifications`` topics: a kind
    prefix such as ``activities.shift``). No row: the topic's defaults. The in-app centre is
    always on and not a choice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    topic = models.CharField(max_length=40)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="notification_preference_once"),
        ]

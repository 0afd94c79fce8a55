"""Service hours: the hour ledger, its kept totals and corrections (SPEC REC-1 … REC-4).

* ``HourEntry`` — the ledger (REC-3): append-only, hash-chained per volunteer (partition
  ``v<volunteer id>``, core.chain), never updated or deleted (the database refuses). An entry
  *confirms* credit (from an attendance record: the interval served, clipped to the shift) or
  honour hours (granted by an organizer with a reason and an approver), *corrects* an earlier
  entry (a compensating entry, signed minutes) or *voids* one (minus its minutes). Each points at
  its evidence (attendance, correction request, grant reason).
* ``HourTotal`` — kept totals per volunteer: lifetime (``year`` 0, no organization), per year
  (``year`` set) and per organization, updated in the same transaction as the entry (rule 2).
* ``RegionHours`` — per-region, per-year rollups kept the same way for statistics (STAT).
* ``CreditedInterval`` — the intervals a volunteer is credited for, so "never overlap" is one
  indexed range query (REC-3).
* ``CorrectionRequest`` — 错误/缺漏 (REC-4): the volunteer asks, the organizing body accepts
  (compensating entry) or rejects with a reason. An optional evidence file is encrypted at rest
  (core.filecrypt; its key sealed, registered for key rotation).
* ``HonourGrant`` — honour hours (REC-1): one admin of the organization proposes (reason), a
  second person approves; only then is the entry written (recorded_by, approved_by).

Who records certifies (REC-2): only the activity's organizing body writes its entries.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import ScopedQuerySet
from zhiyuan.core.models import ChainedEntry


class RecordsQuerySet(ScopedQuerySet):
    region_field = "region_code"
    region_actions = frozenset({"view", "export"})


class HourKind(models.TextChoices):
    CREDIT = "credit", _("服务时长")  # from attendance evidence
    HONOUR = "honour", _("荣誉时长")  # granted with reason and approver


class EntryAction(models.TextChoices):
    CONFIRM = "confirm", _("确认")
    CORRECT = "correct", _("更正")
    VOID = "void", _("作废")


class HourEntry(ChainedEntry):
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)  # the activity's region (scope, rollups)
    activity = models.ForeignKey("activities.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attendance = models.ForeignKey("activities.Attendance", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=HourKind.choices)
    action = models.CharField(_("操作"), max_length=8, choices=EntryAction.choices)
    minutes = models.IntegerField(_("分钟数"))  # signed: a void or downward correction is negative
    starts_at = models.DateTimeField(null=True, blank=True)  # credited interval (credit entries)
    ends_at = models.DateTimeField(null=True, blank=True)
    service_date = models.DateField(_("服务日期"))
    refers_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    correction = models.ForeignKey("records.CorrectionRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    honour_grant = models.ForeignKey("records.HonourGrant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("事由"), max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RecordsQuerySet.as_manager()

    class Meta(ChainedEntry.Meta):
        verbose_name = _("时长记录")
        ordering = ["-id"]
        constraints = [
            *ChainedEntry.Meta.constraints,
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="hour_entry_interval_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "service_date", "id"], name="hour_entry_volunteer_date"),
            models.Index(fields=["organization", "created_at", "id"], name="hour_entry_org_created"),
            models.Index(fields=["attendance"], name="hour_entry_attendance"),
        ]

    def chain_payload(self) -> dict:
        def ts(v):
            return v.isoformat() if v else None

        return {
            "volunteer": self.volunteer_id,
            "organization": self.organization_id,
            "region": self.region_code,
            "activity": self.activity_id,
            "attendance": self.attendance_id,
            "kind": self.kind,
            "action": self.action,
            "minutes": self.minutes,
            "starts_at": ts(self.starts_at),
            "ends_at": ts(self.ends_at),
            "service_date": self.service_date.isoformat(),
            "refers_to": self.refers_to_id,
            "correction": self.correction_id,
            "reason": self.reason,
            "recorded_by": self.recorded_by_id,
            "approved_by": self.approved_by_id,
            "created_at": ts(self.created_at),
            # only when set: a key added later must not change the hash of entries without it
            **({"honour_grant": self.honour_grant_id} if self.honour_grant_id else {}),
        }

    def chain_label(self) -> str:
        return f"hour entry #{self.pk} (volunteer {self.volunteer_id})"


class HourTotal(models.Model):
    """Minutes per volunteer: lifetime (year 0, organization null), per year (organization
    null), per organization (year 0). Kept with every ledger entry (same transaction)."""

    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(default=0)
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    credit_minutes = models.BigIntegerField(default=0)
    honour_minutes = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "year"], condition=Q(organization__isnull=True), name="hour_total_volunteer_year"
            ),
            models.UniqueConstraint(
                fields=["volunteer", "organization"], condition=Q(organization__isnull=False), name="hour_total_volunteer_org"
            ),
        ]


class RegionHours(models.Model):
    """Minutes per region (12-digit code of the activity) and year: statistics roll these up."""

    region_code = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField()
    credit_minutes = models.BigIntegerField(default=0)
    honour_minutes = models.BigIntegerField(default=0)
    entries = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "year"], name="region_hours_key")]


class CreditedInterval(models.Model):
    """A credited interval of one volunteer (live while its entry is not voided)."""

    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.CASCADE, related_name="+")
    entry = models.OneToOneField(HourEntry, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey("activities.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="credited_interval_ordered")]
        indexes = [models.Index(fields=["volunteer", "starts_at"], name="credited_volunteer_start")]


class CorrectionKind(models.TextChoices):
    ERROR = "error", _("记录错误")
    MISSING = "missing", _("记录缺漏")


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    ACCEPTED = "accepted", _("已更正")
    REJECTED = "rejected", _("已驳回")


EVIDENCE_PURPOSE = "records.correction_evidence"


class CorrectionRequest(models.Model):
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    activity = models.ForeignKey("activities.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(HourEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=CorrectionKind.choices)
    claimed_minutes = models.PositiveIntegerField(_("申报分钟数"), null=True, blank=True)
    # 缺漏: the interval the volunteer says they served (the organization may adjust it on accepting)
    claimed_starts_at = models.DateTimeField(_("申报开始时间"), null=True, blank=True)
    claimed_ends_at = models.DateTimeField(_("申报结束时间"), null=True, blank=True)
    explanation = models.TextField(_("说明"))
    # the evidence file, encrypted at rest under ZHIYUAN_PRIVATE_DIR/records (never a public URL)
    evidence_path = models.CharField(max_length=200, blank=True, default="")
    evidence_key_sealed = models.TextField(blank=True, default="")
    evidence_name = models.CharField(_("证明材料"), max_length=120, blank=True, default="")
    evidence_type = models.CharField(max_length=60, blank=True, default="")
    status = models.CharField(_("状态"), max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("处理意见"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RecordsQuerySet.as_manager()

    class Meta:
        verbose_name = _("时长更正申请")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "status", "id"], name="correction_org_status"),
            models.Index(fields=["volunteer", "id"], name="correction_volunteer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_ends_at__isnull=True) | Q(claimed_ends_at__gt=F("claimed_starts_at")),
                name="correction_claim_ordered",
            ),
        ]

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_path)


class HonourStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class HonourGrant(models.Model):
    """Honour hours proposed by an admin of the organization with a reason; a second person (another
    admin of it) approves, which writes the ledger entry, or rejects with a reason (REC-1)."""

    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    activity = models.ForeignKey("activities.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField(_("分钟数"))
    service_date = models.DateField(_("服务日期"))
    reason = models.CharField(_("事由"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=HonourStatus.choices, default=HonourStatus.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True, default="")

    objects = RecordsQuerySet.as_manager()

    class Meta:
        verbose_name = _("荣誉时长")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1), name="honour_minutes_positive"),
            # the approver is a second person (REC-1)
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")), name="honour_second_person"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "id"], name="honour_org_status"),
            models.Index(fields=["volunteer", "id"], name="honour_volunteer"),
        ]

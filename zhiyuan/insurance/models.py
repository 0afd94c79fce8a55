"""Insurance (SPEC FUN-4, 条例 art. 17: before an activity with risk to life or health the
organization buys personal accident insurance).

* ``InsurancePolicy`` — a policy bought by an organization (``holder``) or by the platform for a
  region (no holder; ``region_code`` is the region it covers): insurer, policy number (unique per
  insurer), period, kind (accident, liability), sum insured, and what it covers:

  - ``members``  — blanket: every active member of the holder organization (and of its sub-teams);
    a platform policy: every volunteer living in its region;
  - ``listed``   — the insured persons on its list (``InsuredPerson``, from the insurer's Excel list);
  - ``activity`` — one activity's participants. The activities app (layer 7) points down at the
    policy and asks ``insurance_covered(..., policy=...)``; a list on such a policy, if any,
    narrows it to the listed persons.

* ``InsuredPerson`` — a volunteer on a policy's list. The person is matched by the blind index of
  their document number (``volunteers.documents``); the number itself is never stored here.

The policy document (PDF or image) is encrypted at rest under ``var/private/insurance/``
(``core.filecrypt``) and served only through the download view, audited.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import ScopedQuerySet

DOCUMENT_PURPOSE = "insurance.policy_document"


class Kind(models.TextChoices):
    ACCIDENT = "accident", _("人身意外伤害保险")
    LIABILITY = "liability", _("责任保险")


class Cover(models.TextChoices):
    MEMBERS = "members", _("组织成员统保")
    LISTED = "listed", _("名单内人员")
    ACTIVITY = "activity", _("单次活动")


class Status(models.TextChoices):
    ACTIVE = "active", _("有效")
    CANCELLED = "cancelled", _("已退保")


class InsurancePolicyQuerySet(ScopedQuerySet):
    region_field = "region_code"
    # FUN-4: region managers see, manage and export the policies held inside their region; the
    # holder organization's admins see and manage its policies (a provider in apps.py).
    region_actions = frozenset({"view", "manage", "export"})

    def active(self):
        return self.filter(status=Status.ACTIVE)


class InsurancePolicy(models.Model):
    holder = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("投保组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="insurance_policies",
    )
    # The holder organization's region, or for a platform policy the region it covers.
    region_code = models.CharField(_("所属区划"), max_length=12, db_index=True)
    insurer = models.CharField(_("保险公司"), max_length=100)
    policy_no = models.CharField(_("保单号"), max_length=60)
    kind = models.CharField(_("险种"), max_length=10, choices=Kind.choices, default=Kind.ACCIDENT)
    cover = models.CharField(_("保障范围"), max_length=10, choices=Cover.choices, default=Cover.LISTED)
    starts_on = models.DateField(_("起保日期"))
    ends_on = models.DateField(_("终止日期"))
    sum_insured = models.DecimalField(_("保险金额（元）"), max_digits=14, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    cancelled_on = models.DateField(_("退保日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True, default="")
    insured_count = models.PositiveIntegerField(_("被保险人数"), default=0)  # kept in the import's transaction
    # The policy document, encrypted at rest (core.filecrypt); never a public URL.
    document_path = models.CharField(max_length=200, blank=True, default="")
    document_key_sealed = models.TextField(blank=True, default="")
    document_name = models.CharField(_("保单文件"), max_length=120, blank=True, default="")
    document_type = models.CharField(max_length=60, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = InsurancePolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("保险保单")
        ordering = ["-ends_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(region_code__regex=r"^[0-9]{12}$"), name="insurance_policy_region_12_digits"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="insurance_policy_period_order"),
            models.CheckConstraint(condition=Q(sum_insured__gt=0), name="insurance_policy_sum_positive"),
            models.CheckConstraint(condition=Q(kind__in=["accident", "liability"]), name="insurance_policy_kind_valid"),
            models.CheckConstraint(condition=Q(cover__in=["members", "listed", "activity"]), name="insurance_policy_cover_valid"),
            models.CheckConstraint(condition=Q(status__in=["active", "cancelled"]), name="insurance_policy_status_valid"),
            models.UniqueConstraint(fields=["insurer", "policy_no"], name="insurance_policy_unique_number_per_insurer"),
        ]
        indexes = [
            # the cover check: an organization's policies, newest period first
            models.Index(fields=["holder", "kind", "ends_on"], name="insurance_policy_holder"),
            # platform policies by the region they cover; expiry alerts by end date
            models.Index(fields=["region_code", "kind", "ends_on"], name="insurance_policy_region"),
            models.Index(fields=["status", "ends_on"], name="insurance_policy_expiry"),
        ]

    def __str__(self):
        return f"{self.insurer} {self.policy_no}"

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def is_platform(self) -> bool:
        return self.holder_id is None

    @property
    def has_document(self) -> bool:
        return bool(self.document_path)

    @property
    def holder_name(self) -> str:
        return self.holder.name if self.holder_id else str(_("平台统保"))


class InsuredPerson(models.Model):
    # No single-column indexes: (policy, volunteer) is unique and (volunteer, policy) indexed.
    policy = models.ForeignKey(InsurancePolicy, on_delete=models.CASCADE, related_name="insured", db_index=False)
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="insured_on", db_index=False)
    # The blind index of the document number the insurer's list named (volunteers.documents):
    # the number itself is never stored; the masked form is the volunteer's.
    id_number_index = models.CharField(max_length=64)
    name = models.CharField(_("姓名（名单）"), max_length=50)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("被保险人")
        ordering = ["policy", "id"]
        constraints = [models.UniqueConstraint(fields=["policy", "volunteer"], name="insured_person_once_per_policy")]
        # the cover check for one volunteer or a batch: (volunteer, policy)
        indexes = [models.Index(fields=["volunteer", "policy"], name="insured_person_volunteer")]

    def __str__(self):
        return f"{self.volunteer_id} @ {self.policy_id}"

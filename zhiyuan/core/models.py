from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """ACC-3: append-only, hash-chained audit record.

    ``hash = sha256(prev_hash || canonical fields)``; ``manage.py audit_verify`` walks the
    chain and names the first entry that does not match. Kept ≥ 6 months (网络安全法 Art. 21);
    by default never pruned. Rows are written only by ``core.audit.audit_record``.
    """

    class Result(models.TextChoices):
        OK = "ok", _("成功")
        DENIED = "denied", _("拒绝")
        FAILED = "failed", _("失败")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("审计日志")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["region_code", "id"], name="core_audit_region_id"),
        ]


class AuditHead(models.Model):
    """One row: the hash of the newest entry. Locking it serializes appends on every database."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

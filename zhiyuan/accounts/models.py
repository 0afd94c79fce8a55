from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import ScopedQuerySet

mobile_validator = RegexValidator(r"^1[3-9]\d{9}$", _("请输入11位中国大陆手机号码。"))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, mobile, password=None, **extra):
        user = self.model(mobile=mobile, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, mobile, password=None, **extra):
        user = self.create_user(mobile, password, **extra)
        RoleAssignment.objects.create(user=user, role=Role.PLATFORM_ADMIN)
        return user


class User(AbstractBaseUser):
    """ACC-1: a login. The person's volunteer profile (real name, document) lives in the
    volunteers app; a manager may have a login without being a volunteer."""

    mobile = models.CharField(_("手机号"), max_length=11, unique=True, validators=[mobile_validator])
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)
    # Lockout after repeated failures (等保 level 3).
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # TOTP second factor; the secret is sealed with the key ring (never stored in plaintext).
    totp_secret_sealed = models.CharField(max_length=200, blank=True)
    totp_enabled = models.BooleanField(_("已启用两步验证"), default=False)
    totp_last_step = models.BigIntegerField(default=0)  # refuses replay of a used code
    language = models.CharField(max_length=10, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "mobile"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")

    def __str__(self):
        return self.display_name or self.masked_mobile

    @property
    def masked_mobile(self) -> str:
        return self.mobile[:3] + "****" + self.mobile[-4:] if len(self.mobile) == 11 else "****"

    @property
    def audit_label(self) -> str:
        return f"{self.display_name or ''}({self.masked_mobile})"


class RoleAssignmentQuerySet(ScopedQuerySet):
    # A region manager sees the assignments inside their region (their own included);
    # higher apps may add organization/station assignments through a scope provider.
    # The roles page's Excel export is theirs too (core.exports narrows to the "export" action).
    region_field = "region_code"
    region_actions = frozenset({"view", "export"})


class RoleAssignment(models.Model):
    """ACC-2: a role bound to a scope. Region managers carry a region code (12 digits; the
    scope is its prefix at the region's level); organization and station admins carry the id
    of their organization or service point in ``object_id`` (no foreign key: those apps sit
    above accounts, and sharding by region must not need cross-shard keys)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    region_code = models.CharField(_("管辖区划"), max_length=12, blank=True)
    object_id = models.BigIntegerField(_("管辖对象"), null=True, blank=True)
    active = models.BooleanField(default=True)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色授权")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="region_manager") | ~models.Q(region_code=""),
                name="region_manager_has_region",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=["org_admin", "station_admin"]) | models.Q(object_id__isnull=False),
                name="object_role_has_object",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "active"]),
            models.Index(fields=["region_code"]),
            # the list's sort (lists.ROLES): newest grant first, id breaks ties (keyset)
            models.Index(fields=["granted_at", "id"], name="roleassignment_granted"),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.region_code or self.object_id or ''}"


class ApiToken(models.Model):
    """ACC-4: a token for integrations. It acts as its owner, narrowed to ``read`` or
    ``write`` and optionally to a region prefix inside the owner's scope. Only a SHA-256 of
    the secret is stored; the secret is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    can_write = models.BooleanField(_("允许写入"), default=False)
    region_prefix = models.CharField(_("限定区划"), max_length=12, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API令牌")
        ordering = ["-created_at"]
        # the owner's list (lists.TOKENS): newest first, id breaks ties (keyset)
        indexes = [models.Index(fields=["user", "created_at", "id"], name="apitoken_user_created")]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"


class RecoveryCode(models.Model):
    """A one-time secret that lets a person set a new password (RULES: 等保 level 3 account
    management): a code a manager issues and shows once, or an SMS code the person asks for.
    Only a keyed hash of the secret is stored; it expires, and is used at most once."""

    class Channel(models.TextChoices):
        MANAGER = "manager", _("管理员发放的重置码")
        SMS = "sms", _("短信验证码")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    secret_hash = models.CharField(max_length=64, db_index=True)
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "channel", "used_at"])]


class TotpResetRequest(models.Model):
    """Resetting the second factor of a region manager or platform admin takes two people: one
    manager asks, another approves (neither may be the person concerned)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        DONE = "done", _("已重置")
        CANCELLED = "cancelled", _("已取消")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="totp_reset_requests")
    reason = models.CharField(_("原因"), max_length=200)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(status="pending"), name="one_pending_totp_reset"),
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("requested_by")), name="totp_reset_two_people"
            ),
            models.CheckConstraint(condition=~models.Q(requested_by=models.F("user")), name="totp_reset_not_self"),
        ]

"""Organizations and teams (SPEC ORG-1…ORG-4).

* ``Organization`` — a registered legal entity (federation 志愿服务联合会, hub 枢纽型, support 支持型,
  service 服务型; these carry a Unified Social Credit Code, ORG-2) or an unregistered team 队伍
  under a sponsor (机关、企事业单位、学校、社区; "8+N" practice, party-member, industry teams).
  Teams may hang under a parent organization (sub-teams, ORG-4). Scope is the 12-digit
  ``region_code`` (ARCHITECTURE rule 1); organization admins are bound to their organization by
  ``RoleAssignment(role=org_admin, object_id=organization.id)``.
* ``OrganizationCategory`` — the service categories an organization works in (codes shared with
  volunteers' service preferences).
* ``OrganizationStatusChange`` — every status change with its reason (ORG-3), append-only.
* ``Membership`` — a volunteer's membership with role admin / backbone 骨干 / member and status
  applied / invited / active / rejected / left / removed (ORG-4). A finished membership is kept as
  history; joining again makes a new row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import ScopedQuerySet


class Kind(models.TextChoices):
    FEDERATION = "federation", _("志愿服务联合会")
    HUB = "hub", _("枢纽型志愿服务组织")
    SUPPORT = "support", _("支持型志愿服务组织")
    SERVICE = "service", _("服务型志愿服务组织")
    TEAM = "team", _("志愿服务队伍")


# Kinds that are registered legal entities and must carry a USCC (ORG-2).
LEGAL_ENTITY_KINDS = (Kind.FEDERATION, Kind.HUB, Kind.SUPPORT, Kind.SERVICE)


class SponsorType(models.TextChoices):
    ORGAN = "organ", _("机关")
    ENTERPRISE = "enterprise", _("企事业单位")
    SCHOOL = "school", _("学校")
    COMMUNITY = "community", _("社区")


class TeamCategory(models.TextChoices):
    PRACTICE = "practice", _("新时代文明实践“8+N”志愿服务队")
    PARTY = "party", _("党员志愿服务队")
    INDUSTRY = "industry", _("行业志愿服务队")
    OTHER = "other", _("其他志愿服务队")


class Status(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACTIVE = "active", _("正常")
    REJECTED = "rejected", _("未通过")
    SUSPENDED = "suspended", _("已暂停")
    DEREGISTERED = "deregistered", _("已注销")


class OrganizationQuerySet(ScopedQuerySet):
    region_field = "region_code"
    # ORG-3/ORG-4: the region managers whose region holds an organization see, review (approve,
    # suspend, reinstate, deregister), manage (members, profile) and export it; its own admins
    # and its parent's see and manage it (a provider registered in apps.py), never review it.
    region_actions = frozenset({"view", "review", "manage", "export"})

    def active(self):
        return self.filter(status=Status.ACTIVE)


class Organization(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    intro = models.CharField(_("简介"), max_length=500, blank=True)
    region_code = models.CharField(_("所在区划"), max_length=12, db_index=True)
    address = models.CharField(_("地址"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    # ORG-2: legal entities only ("" for teams). Unique among organizations not rejected.
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, default="")
    # ORG-1 teams: who sponsors them and which kind of team they are ("" for legal entities).
    sponsor_type = models.CharField(_("主管单位类型"), max_length=12, choices=SponsorType.choices, blank=True, default="")
    sponsor_name = models.CharField(_("主管单位"), max_length=100, blank=True, default="")
    team_category = models.CharField(_("队伍类别"), max_length=12, choices=TeamCategory.choices, blank=True, default="")
    parent = models.ForeignKey(
        "self", verbose_name=_("上级组织"), null=True, blank=True, on_delete=models.PROTECT, related_name="sub_teams"
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    status_reason = models.CharField(_("状态说明"), max_length=200, blank=True, default="")
    # Active members who have not withdrawn consent; kept by organizations/counts.py in the
    # transaction of every change, checked by ``manage.py organization_member_counts``.
    member_count = models.PositiveIntegerField(_("在队成员数"), default=0, db_default=0)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("审核人")
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # The applicant; becomes the first organization admin when the application is approved.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("申请人")
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务组织")
        ordering = ["region_code", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(region_code__regex=r"^[0-9]{12}$"), name="organization_region_code_12_digits"),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in Kind]), name="organization_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="organization_status_valid"),
            # ORG-2: every legal entity carries a USCC; teams are unregistered and carry none.
            models.CheckConstraint(
                condition=(Q(kind="team") & Q(uscc="")) | (~Q(kind="team") & Q(uscc__regex=r"^[0-9A-Z]{18}$")),
                name="organization_uscc_for_legal_entities",
            ),
            models.CheckConstraint(
                condition=Q(kind="team") | (Q(sponsor_type="") & Q(team_category="")),
                name="organization_sponsor_only_for_teams",
            ),
            models.CheckConstraint(condition=Q(parent__isnull=True) | Q(kind="team"), name="organization_only_teams_have_parent"),
            models.UniqueConstraint(
                fields=["uscc"], condition=~Q(uscc="") & ~Q(status="rejected"), name="organization_uscc_unique"
            ),
            models.UniqueConstraint(
                fields=["region_code", "name"], condition=~Q(status="rejected"), name="organization_name_unique_in_region"
            ),
        ]
        # The public directory: active organizations in (region, name, id) order, read in index order.
        indexes = [models.Index(fields=["status", "region_code", "name", "id"], name="org_status_region_name"),
                   models.Index(fields=["uscc"])]  # fmt: skip

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def is_team(self) -> bool:
        return self.kind == Kind.TEAM


class OrganizationCategory(models.Model):
    """The service categories an organization works in (codes of ``volunteers.codes.ServiceCategory``,
    the same list volunteers pick their preferences from), for the directory and matching."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("服务类别"), max_length=32)

    class Meta:
        verbose_name = _("组织服务类别")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="organization_category_unique")]
        indexes = [models.Index(fields=["code"])]

    def __str__(self):
        return f"{self.organization_id}:{self.code}"


class OrganizationStatusChange(models.Model):
    """ORG-3: one status change of an organization (application, review, suspension,
    reinstatement, deregistration) with its reason. Append-only."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("组织状态变更")
        ordering = ["organization", "at", "id"]


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        BACKBONE = "backbone", _("骨干")
        MEMBER = "member", _("成员")

    class Status(models.TextChoices):
        APPLIED = "applied", _("待审核")
        INVITED = "invited", _("已邀请")
        ACTIVE = "active", _("在队")
        REJECTED = "rejected", _("已拒绝")
        LEFT = "left", _("已退出")
        REMOVED = "removed", _("已移出")

    OPEN = ("applied", "invited", "active")

    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.PROTECT, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True, default="")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    joined_at = models.DateTimeField(_("加入时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("组织成员")
        ordering = ["organization", "-joined_at", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["admin", "backbone", "member"]), name="membership_role_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["applied", "invited", "active", "rejected", "left", "removed"]),
                name="membership_status_valid",
            ),
            # One open (applied / invited / active) membership per volunteer and organization.
            models.UniqueConstraint(
                fields=["volunteer", "organization"],
                condition=Q(status__in=["applied", "invited", "active"]),
                name="membership_one_open_per_volunteer",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["volunteer", "status"])]

    def __str__(self):
        return f"{self.volunteer_id} @ {self.organization_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

"""Service points (SPEC STA-1) and the practice network (REG-4).

A ``ServicePoint`` is any place of volunteer service. Two independent classifications:

* ``network_level`` — its place in the 新时代文明实践 network: centre (county) → institute (town)
  → station (village, or town where villages are not imported); blank for a point outside the
  network (a 站/岗/点/室 in a hall, a station square, a shop).
* ``kind`` — the 站/岗/点/室 operating form (GLOSSARY ``kind`` station/post/point/room).

Scope is the 12-digit ``region_code`` (ARCHITECTURE rule 1); station admins are bound to a point
by ``RoleAssignment(role=station_admin, object_id=point.id)``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import ScopedQuerySet


class NetworkLevel(models.TextChoices):
    CENTRE = "centre", _("新时代文明实践中心")
    INSTITUTE = "institute", _("新时代文明实践所")
    STATION = "station", _("新时代文明实践站")


class Kind(models.TextChoices):
    STATION = "station", _("站")
    POST = "post", _("岗")
    POINT = "point", _("点")
    ROOM = "room", _("室")


class Status(models.TextChoices):
    ACTIVE = "active", _("运行中")
    CLOSED = "closed", _("已关闭")


class Function(models.TextChoices):
    """STA-1: what a service point does."""

    NEEDS = "needs", _("需求收集")
    PROJECTS = "projects", _("项目发布")
    RECRUITMENT = "recruitment", _("招募培训")
    ACTIVITIES = "activities", _("活动组织")
    RECORDS = "records", _("服务记录")
    PUBLICITY = "publicity", _("宣传展示")


# STA-1 six-haves checklist 六有: (field name, label). The order is the order shown everywhere.
SIX_HAVES = (
    ("has_place", _("有场所")),
    ("has_team", _("有队伍")),
    ("has_projects", _("有项目")),
    ("has_facilities", _("有设施")),
    ("has_rules", _("有制度")),
    ("has_signage", _("有标识")),
)


# REG-4 structure: the levels a parent may have, and the region levels (regions.models.Level:
# 2 city, 3 county, 4 town, 5 village) a point may sit at, per network level ("" = outside the
# network). Stations may sit at a town where villages are not imported (REG-1).
PARENT_LEVELS = {
    NetworkLevel.CENTRE: (),
    NetworkLevel.INSTITUTE: (NetworkLevel.CENTRE,),
    NetworkLevel.STATION: (NetworkLevel.INSTITUTE,),
    "": (NetworkLevel.CENTRE, NetworkLevel.INSTITUTE, NetworkLevel.STATION),
}
REGION_LEVELS = {
    NetworkLevel.CENTRE: (2, 3),
    NetworkLevel.INSTITUTE: (4,),
    NetworkLevel.STATION: (4, 5),
    "": (3, 4, 5),
}


class ServicePointQuerySet(ScopedQuerySet):
    region_field = "region_code"
    # STA: the region managers whose region holds a point see, manage (create/update/close/reopen,
    # appoint station admins), operate (hours, contact, checklist) and export it; its station
    # admins see and operate it (a provider registered in apps.py).
    region_actions = frozenset({"view", "manage", "operate", "export"})

    def active(self):
        return self.filter(status=Status.ACTIVE)


class ServicePoint(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    network_level = models.CharField(_("实践阵地层级"), max_length=10, choices=NetworkLevel.choices, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.STATION)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级阵地"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region_code = models.CharField(_("所在区划"), max_length=12, db_index=True)
    address = models.CharField(_("地址"), max_length=200)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=200, blank=True)
    # Public: the point's own service phone (a desk line), shown on the public list.
    service_phone = models.CharField(_("服务电话"), max_length=20, blank=True)
    # Not public: the person in charge. Shown to managers and the station admin only.
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系人电话"), max_length=20, blank=True)
    # The organization that runs the point (optional). PROTECT: organizations are never deleted,
    # they are deregistered (ORG-3), and a point keeps its operator's name in its history.
    operator_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("运营组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_points",
    )
    functions = models.JSONField(_("站点功能"), default=list, blank=True)
    has_place = models.BooleanField(_("有场所"), default=False)
    has_team = models.BooleanField(_("有队伍"), default=False)
    has_projects = models.BooleanField(_("有项目"), default=False)
    has_facilities = models.BooleanField(_("有设施"), default=False)
    has_rules = models.BooleanField(_("有制度"), default=False)
    has_signage = models.BooleanField(_("有标识"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ServicePointQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务站点")
        ordering = ["region_code", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(region_code__regex=r"^[0-9]{12}$"), name="service_point_region_code_12_digits"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name="service_point_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="service_point_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True) | Q(latitude__isnull=False, longitude__isnull=False),
                name="service_point_coordinates_both_or_neither",
            ),
            models.CheckConstraint(
                condition=~Q(network_level="centre") | Q(parent__isnull=True), name="service_point_centre_has_no_parent"
            ),
            models.CheckConstraint(condition=Q(status__in=["active", "closed"]), name="service_point_status_valid"),
            models.UniqueConstraint(fields=["region_code", "name"], name="service_point_unique_name_in_region"),
        ]
        # The list sorts (lists.py) end in id, each led by an index: region order by the unique
        # (region_code, name), the public list (active only) by the status one, name and newest
        # by their own (issue #7: keyset pages read the index, never sort the scope).
        indexes = [
            models.Index(fields=["status", "region_code"]),
            models.Index(fields=["status", "region_code", "name", "id"], name="service_point_status_order"),
            models.Index(fields=["name", "id"], name="service_point_name_id"),
            models.Index(fields=["created_at", "id"], name="service_point_created_id"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def six_haves(self) -> list[tuple[str, object, bool]]:
        return [(field, label, getattr(self, field)) for field, label in SIX_HAVES]

    @property
    def six_haves_count(self) -> int:
        return sum(1 for field, _label in SIX_HAVES if getattr(self, field))

    @property
    def function_labels(self) -> list[str]:
        labels = dict(Function.choices)
        return [str(labels[f]) for f in self.functions or [] if f in labels]

    @property
    def operator_name(self) -> str:
        return self.operator_organization.name if self.operator_organization_id else ""

    @property
    def public_operator_name(self) -> str:
        """The operator's name where anyone may read it: only while the organization is active
        (the public directory shows active organizations only)."""
        org = self.operator_organization if self.operator_organization_id else None
        return org.name if org is not None and org.is_active else ""

    @property
    def type_label(self) -> str:
        """「新时代文明实践站」 for a network node, otherwise 「志愿服务站/岗/点/室」."""
        if self.network_level:
            return str(self.get_network_level_display())
        return str(_("志愿服务%(kind)s") % {"kind": self.get_kind_display()})

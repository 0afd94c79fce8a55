"""The stations app's lists, each declared once (ARCHITECTURE rule 7; SPEC STA-1, STA-2; issue #7):

- ``POINTS``        the managers' list: the page ``/stations/manage/``, ``GET /api/v1/stations/points``
                    and the Excel export ``/stations/manage/export.xlsx``. Scope first
                    (``ServicePoint.objects.visible_to``: region managers their region, platform admins
                    all, station admins their own points — the page itself is for managers only).
- ``PUBLIC_POINTS`` active points for everyone: the page ``/stations/`` and
                    ``GET /api/v1/stations/public/points``; public fields only (never the contact
                    person or their phone).
- ``MY_POINTS``     the station admin's 「我的站点」 (the points they are station admin of).

The page, the API operation and the export derive from the spec (``core/lists.py``;
docs/architecture.md "How to add a list"): keyset pages, no COUNT(*) over the scope. The region
filter is a range on the indexed code (``regions.codes.prefix_q``), never LIKE.
"""

import django_filters
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_object_ids, actor_region_prefixes
from zhiyuan.core.crypto import mask_mobile
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, ListSpec, Sort
from zhiyuan.regions.codes import prefix_q, region_prefix
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level, Region
from zhiyuan.stations.models import SIX_HAVES, Kind, NetworkLevel, ServicePoint, Status

NETWORK_NONE = "none"  # filter value: points outside the practice network
RELATED = ("parent", "operator_organization")  # shown with every point on manager pages and the API


def point_search(qs, text: str):
    """Part of the name or the address (one table, no join)."""
    q = (text or "").strip()[:50]
    return qs.filter(Q(name__icontains=q) | Q(address__icontains=q)) if q else qs


def in_region(qs, code: str):
    """Points inside a region picked in the cascade (or typed as a 2/4/6/9/12-digit code): a
    range on the indexed ``region_code``, not LIKE (rule 9)."""
    return qs.filter(prefix_q("region_code", region_prefix(code)))


class RegionFilter(django_filters.CharFilter):
    field_class = RegionCascadeField


def _region_filter():
    return RegionFilter(method="filter_region", label=_("区划"), min_level=Level.PROVINCE, max_level=Level.TOWN)


class PublicPointFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("名称或地址"), max_length=50)
    region = _region_filter()

    def filter_q(self, qs, name, value):
        return point_search(qs, value)

    def filter_region(self, qs, name, value):
        return in_region(qs, value)


class PointFilter(PublicPointFilter):
    network_level = CodeFilter(
        method="filter_network_level", label=_("阵地层级"),
        choices=[*NetworkLevel.choices, (NETWORK_NONE, _("独立站点"))], empty_label=_("全部层级"),
    )  # fmt: skip
    kind = CodeFilter(label=_("类型"), choices=Kind.choices, empty_label=_("全部类型"))
    status = CodeFilter(label=_("状态"), choices=Status.choices, empty_label=_("全部状态"))

    def setup_form(self, form, *, actor) -> None:
        """A manager of one region picks inside it (the picker only: a region outside the scope is
        not an error, it finds nothing — the scope is ``source``'s, applied first)."""
        if actor is not None and not actor_is_platform_admin(actor):
            prefixes = actor_region_prefixes(actor)
            if len(prefixes) == 1:
                form.fields["region"].widget.root = prefixes[0].ljust(12, "0")

    def filter_network_level(self, qs, name, value):
        return qs.filter(network_level="" if value == NETWORK_NONE else value)


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))


def points_decorate(points: list) -> list:
    """The region name of each point of a page (or an export chunk): one query per batch."""
    names = region_names(p.region_code for p in points)
    for p in points:
        p.region_name = names.get(p.region_code, "")
    return points


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes(value) -> str:
    return str(_("是") if value else _("否"))


REGION_SORTS = {
    "region": Sort(_("区划、名称"), ("region_code", "name", "id")),  # the unique (region_code, name) index
    "name": Sort(_("名称"), ("name", "id")),
}

POINTS = ListSpec(
    name="stations.point",  # the export's audit action: stations.point.export
    model=ServicePoint,
    object_type="stations.servicepoint",
    source=lambda actor: ServicePoint.objects.visible_to(actor).select_related(*RELATED),
    filters=PointFilter,
    sorts={
        **REGION_SORTS,
        "-created_at": Sort(_("创建时间（新→旧）"), ("-created_at", "-id")),
    },
    default_sort="region",
    page_size=30,
    page_sizes=(30, 50, 100),
    decorate=points_decorate,
    columns=[
        Col("name", _("名称"), role="key", template="stations/partials/_point_name_cell.html"),
        Col("status", _("状态"), role="status", template="stations/partials/_point_status_cell.html"),
        Col("type_label", _("类型"), template="stations/partials/_point_type_cell.html"),
        Col("region_name", _("所在区划"), value=lambda p: p.region_name or p.region_code),
        Col("address", _("地址")),
        Col("operator_name", _("运营组织"), value=lambda p: p.operator_name or None),
        Col("six_haves_count", _("六有"), value=lambda p: f"{p.six_haves_count}/6"),
        Col("actions", _("操作"), role="action", template="stations/partials/_point_actions.html"),
    ],
    export=[
        ExportCol(_("编号"), lambda p: p.pk),
        ExportCol(_("名称"), lambda p: p.name),
        ExportCol(_("阵地层级"), lambda p: str(p.get_network_level_display() if p.network_level else _("独立站点"))),
        ExportCol(_("类型"), lambda p: str(p.get_kind_display())),
        ExportCol(_("上级阵地"), lambda p: p.parent.name if p.parent_id else ""),
        ExportCol(_("运营组织"), lambda p: p.operator_name),
        ExportCol(_("区划代码"), lambda p: p.region_code),
        ExportCol(_("所在区划"), lambda p: p.region_name),
        ExportCol(_("地址"), lambda p: p.address),
        ExportCol(_("纬度"), lambda p: str(p.latitude) if p.latitude is not None else ""),
        ExportCol(_("经度"), lambda p: str(p.longitude) if p.longitude is not None else ""),
        ExportCol(_("开放时间"), lambda p: p.opening_hours),
        ExportCol(_("服务电话"), lambda p: p.service_phone),  # the point's public desk line
        ExportCol(_("联系人"), lambda p: p.contact_name),
        # masked (rule 4): the person in charge's phone is on the point's page for managers
        ExportCol(_("联系人电话"), lambda p: mask_mobile(p.contact_phone) if p.contact_phone else ""),
        ExportCol(_("站点功能"), lambda p: str(_("、")).join(p.function_labels)),
        *[ExportCol(label, lambda p, f=f: _yes(getattr(p, f))) for f, label in SIX_HAVES],
        ExportCol(_("六有达标项"), lambda p: f"{p.six_haves_count}/6"),
        ExportCol(_("状态"), lambda p: str(p.get_status_display())),
        ExportCol(_("创建时间"), lambda p: _local(p.created_at)),
    ],
    export_title=_("志愿服务站点"),
    export_filename="service-points.xlsx",
)


PUBLIC_POINTS = ListSpec(
    name="stations.public_point",
    model=ServicePoint,
    source=lambda actor: ServicePoint.objects.filter(status=Status.ACTIVE).select_related("operator_organization"),
    filters=PublicPointFilter,
    sorts=dict(REGION_SORTS),
    default_sort="region",
    decorate=points_decorate,
    columns=[
        Col("name", _("名称"), role="key"),
        Col("type_label", _("类型")),
        Col("region_name", _("所在区划"), value=lambda p: p.region_name or p.region_code),
        Col("address", _("地址")),
        Col("opening_hours", _("开放时间"), value=lambda p: p.opening_hours or None),
        Col("service_phone", _("服务电话"), template="stations/partials/_point_phone_cell.html"),
        Col("public_operator_name", _("运营组织"), value=lambda p: p.public_operator_name or None),
        Col("functions", _("站点功能"), value=lambda p: str(_("、")).join(p.function_labels) or None),
    ],
)


class MyPointFilter(django_filters.FilterSet):
    """No filters: a station admin has a handful of points."""


def my_points_source(actor):
    """The points the actor is station admin of (closed ones included: they can still see them)."""
    ids = actor_object_ids(actor, Role.STATION_ADMIN)
    return ServicePoint.objects.filter(pk__in=sorted(ids)).select_related(*RELATED)


MY_POINTS = ListSpec(
    name="stations.my_point",
    model=ServicePoint,
    source=my_points_source,
    filters=MyPointFilter,
    sorts={"name": Sort(_("名称"), ("name", "id"))},
    default_sort="name",
    page_size=30,
    page_sizes=(30,),
    decorate=points_decorate,
    columns=[
        Col("name", _("名称"), role="key", link=lambda p: reverse("stations:mine_edit", args=[p.pk])),
        Col("status", _("状态"), role="status", template="stations/partials/_point_status_cell.html"),
        Col("type_label", _("类型")),
        Col("region_name", _("所在区划"), value=lambda p: p.region_name or p.region_code),
        Col("address", _("地址")),
        Col("six_haves_count", _("六有"), value=lambda p: f"{p.six_haves_count}/6"),
        Col("actions", _("操作"), role="action", template="stations/partials/_my_point_actions.html"),
    ],
)

"""The region list, declared once (ARCHITECTURE rule 7; REG-1, REG-3; issue #7): the children of
a region (the provinces at the top) or, with ``q``, a search by name or code inside it. The
manager's browse page ``/regions/<code>/``, ``GET /api/v1/regions/`` and the children export
``/regions/<code>/export.xlsx`` derive from ``REGIONS`` (``core/lists.py``).

Regions are public reference data, not scoped personal data: ``source`` is every region; the
FilterSet picks the parent's children (``parent_id``, indexed) or the matches under it (a range on
the code, ``regions.codes.prefix_q``). Keyset pages on the primary key (the code), no COUNT(*).
"""

import django_filters
from django import forms
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.lists import Col, ExportCol, ListSpec, Sort
from zhiyuan.regions import selectors
from zhiyuan.regions.codes import prefix_q
from zhiyuan.regions.models import Level, Region, RegionPopulation


class RegionFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        if (data.get("q") or "").strip() and not data.get("sort"):
            data["sort"] = "level"  # a search lists the higher levels first
        return data


class RegionFilter(django_filters.FilterSet):
    """Always bound (an empty query is ``{}``): without ``parent`` the list is the provinces."""

    parent = django_filters.CharFilter(method="filter_nothing", label=_("上级区划代码"))  # any text: 404 unless a known code
    q = django_filters.CharFilter(method="filter_nothing", label=_("搜索名称或代码"), max_length=50)

    class Meta:
        form = RegionFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__({} if data is None else data, *args, **kwargs)

    def filter_nothing(self, qs, name, value):  # the two apply together in ``filter_queryset``
        return qs

    def filter_queryset(self, queryset):
        d = self.form.cleaned_data
        parent = (d.get("parent") or "").strip()
        if parent:
            parent = selectors.region_get(parent).code  # NotFound (404) for an unknown parent
        q = (d.get("q") or "").strip()[:50]
        if not q:
            return queryset.filter(parent_id=parent) if parent else queryset.filter(parent__isnull=True)
        if parent:
            queryset = queryset.filter(selectors.region_descendants_q(parent))
        if q.isascii() and q.isdigit():  # a number matches codes by prefix
            return queryset.filter(prefix_q("code", q)) if len(q) <= 12 else queryset.none()
        return queryset.filter(Q(name__icontains=q) | Q(full_name__icontains=q))


def regions_source(actor):
    latest = RegionPopulation.objects.filter(region_id=OuterRef("code")).order_by("-year")
    return Region.objects.annotate(
        latest_population=Subquery(latest.values("population")[:1]),
        latest_year=Subquery(latest.values("year")[:1]),
    )


def _level(r) -> str:
    return str(Level(r.level).label)


REGIONS = ListSpec(
    name="regions.region",  # the export's audit action: regions.region.export
    model=Region,
    object_type="regions.region",
    source=regions_source,
    filters=RegionFilter,
    sorts={
        "code": Sort(_("区划代码"), ("pk",)),
        "level": Sort(_("级别、区划代码"), ("level", "pk")),
    },
    default_sort="code",
    page_size=100,
    columns=[
        Col("name", _("名称"), role="key", template="regions/partials/_region_name_cell.html"),
        Col("code", _("区划代码")),
        Col("level", _("级别"), value=_level),
        Col("latest_population", _("最新常住人口"), template="regions/partials/_region_population_cell.html"),
    ],
    export=[
        ExportCol(_("区划代码"), lambda r: r.code),
        ExportCol(_("名称"), lambda r: r.name),
        ExportCol(_("级别"), _level),
        ExportCol(_("全称"), lambda r: r.full_name),
        ExportCol(_("最新常住人口"), lambda r: r.latest_population),
        ExportCol(_("人口年份"), lambda r: r.latest_year),
    ],
    export_title=_("下级区划"),
    export_filename="regions-all.xlsx",
)

"""The public activity square 活动广场 (SPEC ACT-2, issue 10 item 2): reads only.

Who sees what: published activities that have not ended; ``visibility=public`` for everyone,
``members`` only for active members of the organizing organization (one sub-query, no extra
round trip). Drafts, cancelled, closed and finished activities are never on the square; the
public detail page also shows closed and finished ones (their notice and ratings stay readable).

The list is declared once (``SQUARE``, core.lists): the page ``/activities/square/``, the map
view and ``GET /api/v1/activities/square`` derive from it. Keyset pages, no COUNT(*).

Indexes (docs/architecture.md "The activity square"):

* default order ``(starts_at, id)`` under ``status = published`` — the ``activity_square`` index
  ``(status, starts_at, id, ends_at, visibility, region_code, category)``, read in order, the
  other conditions tested on the entry (an activity already over costs no row read);
* region — a range on the indexed 12-digit code (``regions.codes.prefix_q``), never LIKE
  (PostgreSQL tests it on the ``activity_square`` entries; SQLite takes the county's rows
  through the ``region_code`` index and sorts them — docs/benchmarks.md "Activity square");
* distance from me — a bounding box (latitude ± r / 111.2 km, longitude ± r / (111.2 km ·
  cos latitude)) through ``activity_square_geo`` ``(status, latitude, longitude, ends_at,
  visibility, id)``, then the exact great-circle (haversine) distance in SQL for the rows inside the box, which filters the
  circle and orders the page. PostgreSQL and SQLite (≥ 3.35, or Django's registered versions)
  have the trigonometric functions, so one expression serves both.
"""

import datetime as dt
import math

import django_filters
from django import forms
from django.db.models import ExpressionWrapper, FloatField, Q, Value
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.activities.models import Activity, ActivityStatus, Position, Shift, Slot, Visibility
from zhiyuan.core.errors import NotFound
from zhiyuan.core.lists import CodeFilter, Col, IntFilter, ListSpec, Sort
from zhiyuan.regions.codes import prefix_q, region_prefix
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level, Region
from zhiyuan.volunteers import code_tables
from zhiyuan.volunteers.codes import ServiceCategory

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
KM_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180 / 1000  # on the sphere the distance is measured on
DEFAULT_RADIUS_KM = 10
MAX_RADIUS_KM = 50  # the rows inside the box are all read and sorted: a bound keeps that small
RADIUS_CHOICES = (1, 3, 5, 10, 20, 50)
DETAIL_SHIFTS = 60  # shifts listed on the detail page (a long series shows the next ones)
PUBLIC_DETAIL_STATUSES = (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED, ActivityStatus.FINISHED)


# --- who sees what -----------------------------------------------------------------------------


def square_visibility_q(actor) -> Q:
    """Public activities for anyone; members-only ones for active members of the organizing
    organization (a sub-query on the membership table's (volunteer, status) index)."""
    q = Q(visibility=Visibility.PUBLIC)
    if actor is not None and getattr(actor, "is_authenticated", False):
        from zhiyuan.organizations.models import Membership

        member_of = Membership.objects.filter(volunteer__user_id=actor.pk, status=Membership.Status.ACTIVE)
        q |= Q(visibility=Visibility.MEMBERS, organization_id__in=member_of.values("organization_id"))
    return q


# What a card shows: the page's rows carry these only (the notice's long texts would widen every
# row the database sorts, e.g. all the activities inside the distance box)
CARD_FIELDS = (
    "id", "title", "organization_id", "organization__name", "region_code", "category", "address", "starts_at",
    "ends_at", "latitude", "longitude", "recurrence", "visibility", "slots_total", "slots_open", "rating_count",
    "rating_sum", "status",
)  # fmt: skip


def square_source(actor=None):
    """What the square lists: published, not yet ended, visible to ``actor``."""
    return (
        Activity.objects.filter(status=ActivityStatus.PUBLISHED, ends_at__gt=timezone.now())
        .filter(square_visibility_q(actor))
        .select_related("organization")
        .only(*CARD_FIELDS)
    )


# --- distance ------------------------------------------------------------------------------------


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a box that contains the circle of ``radius_m`` around the
    point (slightly larger than the circle; the exact distance decides afterwards)."""
    km = radius_m / 1000 * 1.001  # a hair wider: floating point never drops a row on the circle
    dlat = km / KM_PER_DEGREE
    cos_lat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)  # the box's widest latitude
    dlng = min(km / (KM_PER_DEGREE * cos_lat), 180.0)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (the same formula as ``distance_expression``)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_expression(lat: float, lng: float):
    """The haversine distance in metres from (lat, lng) to each row's coordinates, in SQL."""
    row_lat = Radians(Cast("latitude", FloatField()))
    row_lng = Radians(Cast("longitude", FloatField()))
    here_lat = Value(math.radians(lat), output_field=FloatField())
    here_lng = Value(math.radians(lng), output_field=FloatField())
    half = Value(2.0, output_field=FloatField())
    cos_here = Value(math.cos(math.radians(lat)), output_field=FloatField())
    a = ExpressionWrapper(
        Power(Sin((row_lat - here_lat) / half), 2) + Cos(row_lat) * cos_here * Power(Sin((row_lng - here_lng) / half), 2),
        output_field=FloatField(),
    )
    return ExpressionWrapper(Value(2 * EARTH_RADIUS_M, output_field=FloatField()) * ASin(Sqrt(a)), output_field=FloatField())


def near(qs, *, lat: float, lng: float, radius_km: int):
    """Rows within ``radius_km`` of (lat, lng), annotated ``distance_m``: the box through the
    index first, the exact distance for what is inside it."""
    radius_m = radius_km * 1000
    south, north, west, east = bounding_box(lat, lng, radius_m)
    return (
        qs.filter(latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east)
        .annotate(distance_m=distance_expression(lat, lng))
        .filter(distance_m__lte=radius_m)
    )


# --- the list ------------------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class SquareFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        lat, lng = data.get("lat"), data.get("lng")
        if (lat is None) != (lng is None) and not (self.errors.get("lat") or self.errors.get("lng")):
            self.add_error("lat" if lat is None else "lng", _("纬度和经度须同时提供。"))
        if data.get("sort") == "distance" and (lat is None or lng is None) and not self.errors.get("lat"):
            self.add_error("sort", _("按距离排序需要您的位置：请允许定位，或提供纬度和经度。"))
        if data.get("radius") is not None and (lat is None or lng is None) and "lat" not in self.errors:
            self.add_error("radius", _("距离范围需要您的位置：请允许定位，或提供纬度和经度。"))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


class RegionFilter(django_filters.CharFilter):
    field_class = RegionCascadeField


class SquareFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("活动名称或地点"), max_length=50)
    category = CodeFilter(label=_("服务类别"), choices=ServiceCategory.choices, empty_label=_("全部服务类别"))
    region = RegionFilter(method="filter_region", label=_("区划"), min_level=Level.PROVINCE, max_level=Level.TOWN)
    date_from = django_filters.DateFilter(method="filter_date_from", label=_("开始日期（起）"))
    date_to = django_filters.DateFilter(method="filter_date_to", label=_("开始日期（止）"))
    open = CodeFilter(method="filter_open", label=_("名额"), choices=[("1", _("只看有空余名额"))], empty_label=_("不限"))
    # the browser's geolocation (or a point typed in): distance on the cards, the radius and
    # the "nearest first" sort; applied together in filter_queryset
    lat = django_filters.NumberFilter(method="filter_none", label=_("我的纬度"), min_value=-90, max_value=90)
    lng = django_filters.NumberFilter(method="filter_none", label=_("我的经度"), min_value=-180, max_value=180)
    radius = IntFilter(method="filter_none", label=_("距离范围（公里）"), min_value=1, max_value=MAX_RADIUS_KM)

    class Meta:
        form = SquareFilterForm

    def setup_form(self, form, *, actor) -> None:
        for name in ("date_from", "date_to"):
            form.fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        form.fields["q"].widget.attrs["type"] = "search"

    def filter_q(self, qs, name, value):
        text = (value or "").strip()[:50]
        return qs.filter(Q(title__icontains=text) | Q(address__icontains=text)) if text else qs

    def filter_region(self, qs, name, value):
        return qs.filter(prefix_q("region_code", region_prefix(value))) if value else qs

    def filter_date_from(self, qs, name, value):
        return qs.filter(ends_at__gt=_day_start(value))  # still running on or after that day

    def filter_date_to(self, qs, name, value):
        return qs.filter(starts_at__lt=_day_start(value + dt.timedelta(days=1)))  # begun by that day's end

    def filter_open(self, qs, name, value):
        return qs.filter(slots_open__gt=0) if value == "1" else qs

    def filter_none(self, qs, name, value):
        return qs

    def filter_queryset(self, queryset):
        qs = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("lat") is not None and data.get("lng") is not None:
            qs = near(qs, lat=float(data["lat"]), lng=float(data["lng"]), radius_km=data.get("radius") or DEFAULT_RADIUS_KM)
        return qs


def _local(value, fmt="%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def time_label(a: Activity) -> str:
    """「12-05 09:00–12:00」 for one day, 「12-05 09:00 – 12-20 17:00」 across days."""
    start, end = timezone.localtime(a.starts_at), timezone.localtime(a.ends_at)
    if start.date() == end.date():
        return f"{start:%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%m-%d %H:%M} – {end:%m-%d %H:%M}"


def distance_label(metres) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(m)d 米") % {"m": max(10, round(metres / 10) * 10)}
    return _("%(km).1f 公里") % {"km": metres / 1000}


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name")) if codes else {}


def square_decorate(rows: list) -> list:
    """Display values of one page: region names in one query; the rest from the row."""
    names = region_names(a.region_code for a in rows)
    for a in rows:
        a.region_name = names.get(a.region_code, "")
        a.category_label = code_tables.label("service_category", a.category)
        a.time_label = time_label(a)
        a.distance = getattr(a, "distance_m", None)
        a.distance_label = distance_label(a.distance)
        a.detail_url = reverse("activities:square_detail", args=[a.pk])
    return rows


SQUARE = ListSpec(
    name="activities.square",
    model=Activity,
    source=square_source,
    filters=SquareFilter,
    sorts={
        "start": Sort(_("开始时间（近→远）"), ("starts_at", "id")),  # the activity_square index
        "distance": Sort(_("距离（近→远）"), ("distance_m", "id")),  # needs lat/lng (the form says so)
    },
    default_sort="start",
    page_size=20,
    page_sizes=(20, 50),
    decorate=square_decorate,
    columns=[
        Col("title", _("活动名称"), role="key", link=lambda a: a.detail_url),
        Col("organization", _("组织单位"), value=lambda a: a.organization.name),
        Col("time_label", _("时间")),
        Col("address", _("地点")),
        Col("slots_open", _("空余名额"), value=lambda a: f"{a.slots_open}/{a.slots_total}"),
        Col("category_label", _("服务类别")),
        Col("distance_label", _("距离"), value=lambda a: a.distance_label or None),
    ],
)


# --- the public detail ---------------------------------------------------------------------------


def square_activity_get(*, actor, id) -> Activity:
    """A published (or closed / finished) activity ``actor`` may read: public, or members-only
    and they are an active member. Anything else — a draft, a cancelled activity, another
    organization's members-only activity — is 404, the same as a missing one."""
    from zhiyuan.accounts.scopes import pk_or_404

    a = (
        Activity.objects.filter(status__in=PUBLIC_DETAIL_STATUSES)
        .filter(square_visibility_q(actor))
        .select_related("organization", "project")
        .filter(pk=pk_or_404(id))
        .first()
    )
    if a is None:
        raise NotFound()
    return a


def enroll_url(activity: Activity) -> str:
    """Where the sign-up button goes: the enrollment page (it sends a signed-out visitor
    through the login page and back)."""
    return reverse("activities:enroll", args=[activity.pk])


def signup_open(activity: Activity) -> bool:
    return activity.status == ActivityStatus.PUBLISHED and activity.ends_at > timezone.now() and activity.slots_open > 0


def square_activity_detail(*, actor, id) -> dict:
    """The recruitment notice (GB/T 40143): the activity, its positions with their requirements
    and numbers, and the next shifts with their open slots. A constant number of queries: the
    activity, the region name, positions (+ their courses and qualifications), shifts, slots."""
    a = square_activity_get(actor=actor, id=id)
    a.region_name = region_names([a.region_code]).get(a.region_code, "")
    a.category_label = code_tables.label("service_category", a.category)
    a.time_label = time_label(a)
    positions = list(
        Position.objects.filter(activity=a).prefetch_related("required_courses", "required_qualifications").order_by("id")
    )
    now = timezone.now()
    shifts = list(Shift.objects.filter(activity=a, ends_at__gt=now).order_by("starts_at", "id")[: DETAIL_SHIFTS + 1])
    more_shifts = len(shifts) > DETAIL_SHIFTS
    shifts = shifts[:DETAIL_SHIFTS]
    slots = list(Slot.objects.filter(shift__in=[s.pk for s in shifts]).values("shift_id", "position_id", "capacity", "accepted"))
    by_shift: dict[int, int] = {}
    by_position: dict[int, int] = {}
    for s in slots:
        free = max(0, s["capacity"] - s["accepted"])
        by_shift[s["shift_id"]] = by_shift.get(s["shift_id"], 0) + free
        by_position[s["position_id"]] = by_position.get(s["position_id"], 0) + free
    for p in positions:
        p.open_slots = by_position.get(p.pk, 0)
        p.skill_labels = [code_tables.label("skill", c) for c in (p.skills or [])]
        p.course_names = [c.name for c in p.required_courses.all()]
        p.qualification_names = [q.name for q in p.required_qualifications.all()]
    for s in shifts:
        s.open_slots = 0 if s.cancelled else by_shift.get(s.pk, 0)
        s.label = f"{timezone.localtime(s.starts_at):%Y-%m-%d %H:%M}–{timezone.localtime(s.ends_at):%H:%M}"
    return {"activity": a, "positions": positions, "shifts": shifts, "more_shifts": more_shifts}

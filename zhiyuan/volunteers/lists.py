"""The manager's volunteer list, declared once (ARCHITECTURE rule 7; SPEC §0 scope rule, VOL-10):
the page ``/volunteers/manage/``, the API ``GET /api/v1/volunteers`` and the Excel export all
derive from ``VOLUNTEERS`` (``core/lists.py``; docs/architecture.md "How to add a list").

Every query starts from ``Volunteer.objects.visible_to(actor)``: region managers see residents of
their region subtree, platform admins everyone, organization admins their members. Restricted
people (consent withdrawn, PIPL 47) are left out by ``visible_to`` itself, so they never reach a
list, a search or an export. A document number is never a list filter (it would land in a URL):
the exact search by document is ``selectors.volunteer_find_by_document`` behind a POST.
"""

import datetime as dt
from operator import itemgetter

import django_filters
from django import forms
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Exact, GreaterThan, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.models import User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_has_role, actor_is_platform_admin, actor_region_prefixes, actor_token_prefix
from zhiyuan.core.crypto import mask_mobile
from zhiyuan.core.exports import label_lookup, register_export
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, IntFilter, ListSpec, Sort
from zhiyuan.regions.codes import prefix_q, region_prefix
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level, Region
from zhiyuan.volunteers import code_tables, minors
from zhiyuan.volunteers.documents import id_type_label
from zhiyuan.volunteers.models import (
    Volunteer,
    VolunteerServiceCategory,
    VolunteerSkill,
    not_indexed,
    sqlite_broad_ranges,
)
from zhiyuan.volunteers.numbers import normalize_volunteer_no, volunteer_no_is_valid
from zhiyuan.volunteers.tallies import tally_total


def can_list_volunteers(actor) -> bool:
    """Who may open the manager list: region managers, platform admins and organization admins
    (these see only their members, through the organizations app's scope provider)."""
    return actor_has_role(actor, Role.REGION_MANAGER, Role.PLATFORM_ADMIN, Role.ORG_ADMIN)


def volunteer_search(qs, text: str):
    """The list's free-text search. An exact volunteer number or mobile each hits its unique
    index (the mobile is resolved to the user id first: no OR across the user join); a mobile
    prefix of 7–10 digits also goes through the users' index; anything else is a name."""
    q = (text or "").strip()[:50]
    if not q:
        return qs
    compact = normalize_volunteer_no(q)  # a number may come grouped as shown ("0000 012 345 6")
    by_number = volunteer_no_is_valid(compact)
    if compact.isdigit() and len(compact) == 11:
        users = User.objects.filter(mobile=compact).values("pk")
        if not by_number:
            return qs.filter(user_id__in=users)
        # A number whose check character happens to fit is looked up as both, on two columns of
        # the volunteer row, each with its unique index: the user is resolved first as a scalar
        # (an init plan), so "user_id = $1 OR volunteer_no = $2" is a union of two index reads,
        # not a filter over every row in the scope (a hashed IN sub-plan cannot use an index).
        return qs.filter(Q(user_id=Subquery(users[:1])) | Q(volunteer_no=compact))
    if by_number:
        return qs.filter(volunteer_no=compact)
    if compact.isdigit() and 7 <= len(compact) <= 10:
        return qs.filter(user_id__in=User.objects.filter(mobile__startswith=compact).values("pk"))
    return name_search(qs, q)


# Shorter names are looked up from their start (see ``name_search``).
NAME_SUBSTRING_MIN = 3
NAME_FTS_MATCH = "SELECT rowid FROM volunteer_name_fts WHERE volunteer_name_fts MATCH %s"  # SQLite (migration 0012)


def name_search(qs, q: str):
    """A name search (docs/benchmarks.md §7, "Name search").

    * 3 characters or more: anywhere in the name (``icontains``). PostgreSQL answers it from the
      trigram index ``volunteer_name_trgm`` (GIN on ``UPPER(name)``, migration 0008); SQLite
      from the FTS5 trigram table ``volunteer_name_fts`` (migration 0012), whose matching ids
      then meet the scope through the primary key.
    * 1–2 characters (a surname, or a surname and the first character of the given name — most
      Chinese names are 2–3 characters, and a trigram index cannot serve a pattern shorter than
      3): names *starting* with them, a range on the ``(name, id)`` index on both databases.
    """
    if len(q) >= NAME_SUBSTRING_MIN:
        if _sqlite(qs):
            phrase = '"' + q.replace('"', '""') + '"'  # one FTS5 string: no query syntax from the user
            # a constant statement; the user's text is a bound parameter
            return qs.filter(pk__in=RawSQL(NAME_FTS_MATCH, [phrase]))  # noqa: S611
        return qs.filter(name__icontains=q)
    return qs.filter(name__gte=q, name__lt=q + "\U0010ffff")


def _sqlite(qs) -> bool:
    return connections[qs.db].vendor == "sqlite"


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the site's time zone (a range on the indexed column, not __date)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class VolunteerFilterForm(forms.Form):
    """Checks across fields; the fields come from ``VolunteerFilter``."""

    def clean(self):
        data = super().clean()
        lo, hi = data.get("age_min"), data.get("age_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("age_max", _("最大年龄不能小于最小年龄。"))
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            self.add_error("registered_to", _("结束日期不能早于开始日期。"))
        return data


def _code_filter(label, choices, empty, **kwargs):
    return CodeFilter(label=label, choices=choices, empty_label=empty, **kwargs)


class RegionFilter(django_filters.CharFilter):
    """A region picked in the cascade (or typed as a 2/4/6/9/12-digit code): residents inside it."""

    field_class = RegionCascadeField


class VolunteerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("姓名/编号/手机号"), max_length=50)
    status = _code_filter(_("状态"), Volunteer.Status.choices, _("全部状态"), method="filter_status")
    region = RegionFilter(
        method="filter_region", label=_("居住区划"),
        min_level=Level.PROVINCE, max_level=Level.VILLAGE,
    )  # fmt: skip
    gender = _code_filter(_("性别"), code_tables.gender_choices, _("全部性别"))
    age_min = IntFilter(method="filter_age_min", label=_("最小年龄"), min_value=0, max_value=120)
    age_max = IntFilter(method="filter_age_max", label=_("最大年龄"), min_value=0, max_value=120)
    political_status = _code_filter(_("政治面貌"), code_tables.political_status_choices, _("全部"))
    skill = _code_filter(_("技能特长"), code_tables.skill_choices, _("全部"), method="filter_skill")
    service_category = _code_filter(
        _("服务意向"), code_tables.service_category_choices, _("全部"), method="filter_service_category"
    )
    registered_from = django_filters.DateFilter(
        method="filter_registered_from", label=_("注册日期自"), widget=forms.DateInput(attrs={"type": "date"})
    )
    registered_to = django_filters.DateFilter(
        method="filter_registered_to", label=_("注册日期至"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        form = VolunteerFilterForm

    def setup_form(self, form, *, actor) -> None:
        """A region manager of one region picks inside it (the picker only: a region outside the
        scope is not an error, it finds nobody — the scope is ``source``'s, applied first)."""
        if actor is not None and not actor_is_platform_admin(actor):
            prefixes = actor_region_prefixes(actor)
            self._scope_prefixes = prefixes if not actor_has_role(actor, Role.ORG_ADMIN) else None
            if len(prefixes) == 1:
                form.fields["region"].widget.root = prefixes[0].ljust(12, "0")

    def filter_q(self, qs, name, value):
        return volunteer_search(qs, value)

    def filter_status(self, qs, name, value):
        """Newest first (the default), a status reads ``volunteer_status_registered`` (migration
        0010_perf_…) in list order. Another sort on SQLite: the status is a filter while walking
        that sort's index, or SQLite would read every row of the status and sort them."""
        sort = (self.form.cleaned_data.get("sort") if hasattr(self.form, "cleaned_data") else None) or "-registered_at"
        if sort != "-registered_at" and _sqlite(qs):
            return qs.filter(Exact(not_indexed("status"), value))
        return qs.filter(status=value)

    def filter_region(self, qs, name, value):  # a range on the indexed code, not LIKE (rule 9)
        prefix = region_prefix(value)
        scope = getattr(self, "_scope_prefixes", None)
        if scope is not None and not _narrow(scope, prefix):  # outside the scope: nobody, at once
            return qs.none()
        q = prefix_q("region_code", prefix)
        if _sqlite(qs):  # a county or wider: walk the sort index (models.sqlite_broad_ranges)
            q = sqlite_broad_ranges(q, broad_prefix=6)
        return qs.filter(q)

    # Ages span years: on SQLite (no histograms: it takes any range for 1/64 of the rows) the
    # birth-date range is read while walking the sort index, not from the birth-date index.
    def _birth(self, qs):
        return not_indexed("birth_date", models.DateField()) if _sqlite(qs) else F("birth_date")

    def filter_age_min(self, qs, name, value):  # at least age_min years old today
        return qs.filter(LessThanOrEqual(self._birth(qs), _years_ago(minors.today_shanghai(), value)))

    def filter_age_max(self, qs, name, value):  # not yet age_max + 1
        return qs.filter(GreaterThan(self._birth(qs), _years_ago(minors.today_shanghai(), value + 1)))

    # EXISTS per row (the unique (volunteer, code) index) while walking the sort index, rather
    # than building the list of every holder of the skill first.
    def filter_skill(self, qs, name, value):
        return qs.filter(Exists(VolunteerSkill.objects.filter(volunteer_id=OuterRef("pk"), code=value)))

    def filter_service_category(self, qs, name, value):
        return qs.filter(Exists(VolunteerServiceCategory.objects.filter(volunteer_id=OuterRef("pk"), code=value)))

    def filter_registered_from(self, qs, name, value):
        return qs.filter(registered_at__gte=_day_start(value))

    def filter_registered_to(self, qs, name, value):
        return qs.filter(registered_at__lt=_day_start(value + dt.timedelta(days=1)))


# Parameters the kept totals can answer for; any other filter or a search: no total.
TOTAL_PARAMS = frozenset({"status", "region", "sort", "page_size", "cursor"})


def _narrow(prefixes: list[str], prefix: str) -> list[str]:
    """The parts of the region ranges ``prefixes`` that lie under ``prefix``."""
    out = set()
    for p in prefixes:
        if prefix.startswith(p):
            out.add(prefix)
        elif p.startswith(prefix):
            out.add(p)
    return sorted(out)


def _outermost(prefixes) -> list[str]:
    """Without the prefixes nested in another (a range summed once)."""
    out: list[str] = []
    for p in sorted(set(prefixes), key=len):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return sorted(out)


def volunteer_total(actor, data) -> int | None:
    """The "共 N 人" of the list: the volunteers in the actor's scope (and the chosen status and
    region) from the kept tallies (``tallies.tally_total``: one query over at most one row per
    region and status), never a COUNT(*) over the scope. None when the tallies cannot answer:
    another filter or a search is set, a value is invalid, or the actor sees volunteers other
    than by region (an organization admin's members)."""
    if not can_list_volunteers(actor):
        return None
    data = data or {}
    getlist = data.getlist if hasattr(data, "getlist") else (lambda k: [data[k]])
    values = {k: [v for v in getlist(k) if v not in ("", None)] for k in data}
    if any(v for k, v in values.items() if k not in TOTAL_PARAMS):
        return None
    if actor_is_platform_admin(actor):
        prefixes = [""]
    elif actor_has_role(actor, Role.ORG_ADMIN):
        return None
    else:
        prefixes = _outermost(actor_region_prefixes(actor))
    token = actor_token_prefix(actor)
    if token:
        prefixes = _narrow(prefixes, token)
    status = (values.get("status") or [""])[-1]
    if status and status not in Volunteer.Status.values:
        return None
    region = (values.get("region") or [""])[-1]
    if region:
        try:
            prefixes = _narrow(prefixes, region_prefix(region))
        except ValueError:  # not a region code: the form shows the error, no total
            return None
    return tally_total(_outermost(prefixes), status=status or None)


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))


def volunteers_decorate(volunteers: list) -> list:
    """Display values of a page (or an export chunk) of volunteers: masked mobile, age, labels,
    region name — one region query per batch."""
    names = region_names(v.region_code for v in volunteers)
    for v in volunteers:
        v.region_name = names.get(v.region_code, v.region_code)
        v.mobile_masked = mask_mobile(v.user.mobile) if v.user_id else ""
        v.age = minors.age_on(v.birth_date)
        v.gender_label = code_tables.label("gender", v.gender)
        v.id_type_label = id_type_label(v.id_type)
    return volunteers


def volunteer_row(v: Volunteer) -> dict:
    """The API's list item (masked data only; ``schemas_manage.VolunteerListItemOut``)."""
    return {
        "id": v.pk,
        "volunteer_no": v.volunteer_no,
        "name": v.name,
        "id_type": v.id_type,
        "id_number_masked": v.id_number_masked,
        "mobile_masked": v.mobile_masked,
        "gender": v.gender,
        "birth_date": v.birth_date,
        "age": v.age,
        "region_code": v.region_code,
        "region_name": v.region_name,
        "status": v.status,
        "status_label": str(v.get_status_display()),
        "registered_at": v.registered_at,
    }


# The export's labels as text, one table per language (core.exports.label_lookup: a lazy label
# per row and column cost more than reading the row).
_ID_TYPE_TEXT = label_lookup(code_tables.id_type_choices)
_GENDER_TEXT = label_lookup(code_tables.gender_choices)
_STATUS_TEXT = label_lookup(Volunteer.Status.choices)
_POLITICAL_TEXT = label_lookup(code_tables.political_status_choices)
_SKILL_TEXT = label_lookup(code_tables.skill_choices)
_CATEGORY_TEXT = label_lookup(code_tables.service_category_choices)
_SEPARATOR = label_lookup([("", _("、"))])

# What the export reads of a volunteer (``ListSpec.export_values``: dicts, no model instances).
# The mobile is read per chunk by ``volunteers_export_decorate`` (by the users' primary key) and
# masked at once: joining the users in the export's query made PostgreSQL hash all 10⁶ of them.
EXPORT_VALUES = (
    "id", "volunteer_no", "name", "id_type", "id_number_masked", "gender", "birth_date", "user_id",
    "region_code", "political_status", "status", "registered_at",
)  # fmt: skip


def _pairs_for(model, key: str, value: str, ids: list[int], *, order: str = "id") -> list[tuple]:
    """``(key, value)`` rows of ``model`` whose ``key`` is one of ``ids`` (integers read from the
    database a moment ago), one query for an export chunk. The ``IN`` is written directly:
    Django prepares each of 2,000 values through the field's lookup (a third of a chunk's time)."""
    if not ids:
        return []
    conn = connections[model.objects.db]
    qn = conn.ops.quote_name
    marks = ", ".join(["%s"] * len(ids))
    table, k, v = qn(model._meta.db_table), qn(key), qn(value)
    sql = f"SELECT {k}, {v} FROM {table} WHERE {k} IN ({marks}) ORDER BY {qn(order)}"  # noqa: S608 (names quoted, values bound)
    with conn.cursor() as cur:
        cur.execute(sql, [int(i) for i in ids])
        return cur.fetchall()


def _codes_by_volunteer(model, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for vid, code in _pairs_for(model, "volunteer_id", "code", ids):
        out.setdefault(vid, []).append(code)
    return out


def volunteers_export_decorate(rows: list[dict]) -> list[dict]:
    """One export chunk (dicts of ``EXPORT_VALUES``) made ready to write, in batched look-ups:
    the masked mobile (the plain number never enters the row), the region names, skills and
    service categories (one query each for the chunk), age and labels."""
    ids = [r["id"] for r in rows]
    mobiles = dict(_pairs_for(User, "id", "mobile", [r["user_id"] for r in rows if r["user_id"]]))
    names = region_names(r["region_code"] for r in rows)
    skills = _codes_by_volunteer(VolunteerSkill, ids)
    categories = _codes_by_volunteer(VolunteerServiceCategory, ids)
    sep = _SEPARATOR("")
    age_on, today = minors.age_on, minors.today_shanghai()
    tz = timezone.get_current_timezone()
    for r in rows:
        mobile = mobiles.get(r["user_id"])
        r["mobile_masked"] = mask_mobile(mobile) if mobile else ""
        name = names.get(r["region_code"])
        r["region_name"] = name or ""
        birth = r["birth_date"]
        r["birth_text"] = birth.isoformat() if birth else ""
        age = age_on(birth, today)
        r["age"] = "" if age is None else age
        r["skills_text"] = sep.join(_SKILL_TEXT(c) for c in skills.get(r["id"], ()))
        r["categories_text"] = sep.join(_CATEGORY_TEXT(c) for c in categories.get(r["id"], ()))
        r["registered_text"] = r["registered_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return rows


VOLUNTEERS = ListSpec(
    name="volunteer",
    model=Volunteer,
    object_type="volunteers.volunteer",
    source=lambda actor: Volunteer.objects.visible_to(actor).select_related("user"),
    filters=VolunteerFilter,
    sorts={
        "-registered_at": Sort(_("注册时间（新→旧）"), ("-registered_at", "-id")),
        "registered_at": Sort(_("注册时间（旧→新）"), ("registered_at", "id")),
        "name": Sort(_("姓名"), ("name", "id")),
        "volunteer_no": Sort(_("志愿者编号"), ("volunteer_no", "id")),
        "age": Sort(_("年龄（小→大）"), ("-birth_date", "id")),  # youngest first: latest birth date
        "-age": Sort(_("年龄（大→小）"), ("birth_date", "id")),
    },
    default_sort="-registered_at",
    can_list=can_list_volunteers,
    denied_message=_("只有区域管理员、平台管理员或组织管理员可以查看志愿者名单。"),
    decorate=volunteers_decorate,
    columns=[
        Col("volunteer_no", _("志愿者编号"), role="key", template="volunteers/manage/partials/_number_cell.html"),
        Col("name", _("姓名"), role="key"),
        Col("status", _("状态"), role="status", template="volunteers/manage/partials/_status_cell.html"),
        Col("id_number_masked", _("证件号码"), template="volunteers/manage/partials/_document_cell.html"),
        Col("gender_label", _("性别")),
        Col("age", _("年龄")),
        Col("mobile_masked", _("手机号")),
        Col("region_name", _("居住地")),
        Col("registered_at", _("注册时间"), value=lambda v: timezone.localtime(v.registered_at).strftime("%Y-%m-%d")),
    ],
    export=[
        ExportCol(_("志愿者编号"), itemgetter("volunteer_no")),
        ExportCol(_("姓名"), itemgetter("name")),
        ExportCol(_("证件类型"), lambda r: _ID_TYPE_TEXT(r["id_type"])),
        ExportCol(_("证件号码"), itemgetter("id_number_masked")),
        ExportCol(_("性别"), lambda r: _GENDER_TEXT(r["gender"])),
        ExportCol(_("出生日期"), itemgetter("birth_text")),
        ExportCol(_("年龄"), itemgetter("age")),
        ExportCol(_("手机号"), itemgetter("mobile_masked")),
        ExportCol(_("居住区划代码"), itemgetter("region_code")),
        ExportCol(_("居住地"), itemgetter("region_name")),
        ExportCol(_("政治面貌"), lambda r: _POLITICAL_TEXT(r["political_status"])),
        ExportCol(_("技能特长"), itemgetter("skills_text")),
        ExportCol(_("服务意向"), itemgetter("categories_text")),
        ExportCol(_("状态"), lambda r: _STATUS_TEXT(r["status"])),
        ExportCol(_("注册时间"), itemgetter("registered_text")),
    ],
    export_values=EXPORT_VALUES,
    export_decorate=volunteers_export_decorate,
    export_title=_("志愿者"),
    export_filename="volunteers.xlsx",
)

register_export(VOLUNTEERS)  # background exports may name it (core/export_jobs.py)

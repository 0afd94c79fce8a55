"""The activities app's lists, each declared once (ARCHITECTURE rule 7; core/lists.py): the
page, the API operation and the export derive from the spec.

Projects and the organizer's side (ACT-1, ACT-2):

* ``PROJECTS`` — the project library for region managers (their region), organization admins
  (their organizations') and platform admins: ``/activities/projects/``, ``GET
  /activities/projects``, ``/activities/projects/export.xlsx``.
* ``PROJECT_REVIEW`` — submitted projects waiting for the actor's review, oldest first (never a
  project of an organization the actor administers): ``/activities/projects/review/``, ``GET
  /activities/projects/review-queue``.
* ``ACTIVITIES`` — 活动管理: the activities of the organizations the actor administers (region
  managers: their region's), newest start first: ``/activities/manage/``, ``GET
  /activities/manage``, ``/activities/manage/export.xlsx``.

Region filters are a range on the 12-digit code (``regions.codes.prefix_q``), never LIKE.
"""

import datetime as dt

import django_filters
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import REVIEW, actor_has_role, actor_is_platform_admin, actor_region_prefixes
from zhiyuan.activities.models import Activity, ActivityStatus, Project, ProjectStatus
from zhiyuan.activities.schedule import YEARS
from zhiyuan.activities.scopes import org_admin_q
from zhiyuan.core.exports import register_export
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, IntFilter, ListSpec, Sort
from zhiyuan.organizations.lists import RegionFilter
from zhiyuan.regions.models import Level
from zhiyuan.volunteers.code_tables import label
from zhiyuan.volunteers.codes import ServiceCategory

FLAG_CHOICES = [("demonstration", _("示范项目")), ("brand", _("品牌项目"))]


def can_use_projects(actor) -> bool:
    """Project and activity management pages: organization admins, region managers, platform admins."""
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor)) or actor_has_role(actor, Role.ORG_ADMIN)


def _local(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def _region_decorate(rows: list) -> list:
    """Region names of one page (one query) and the category labels (code table, cached)."""
    from zhiyuan.organizations.selectors import region_names

    names = region_names(r.region_code for r in rows)
    for r in rows:
        r.region_name = names.get(r.region_code, r.region_code)
        r.category_label = label("service_category", r.category)
    return rows


# --- projects -----------------------------------------------------------------------------------


def _search_projects(qs, name, value):
    q = (value or "").strip()[:50]
    return qs.filter(name__icontains=q) if q else qs


def _flag(qs, name, value):
    if value == "demonstration":
        return qs.filter(is_demonstration=True)
    if value == "brand":
        return qs.filter(is_brand=True)
    return qs


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("项目名称"), max_length=50, method=_search_projects)
    status = CodeFilter(field_name="status", label=_("状态"), choices=ProjectStatus.choices, empty_label=_("全部状态"))
    category = CodeFilter(field_name="category", label=_("服务类别"), choices=ServiceCategory.choices,
                          empty_label=_("全部服务类别"))  # fmt: skip
    flag = CodeFilter(label=_("示范/品牌"), choices=FLAG_CHOICES, empty_label=_("不限"), method=_flag)
    region = RegionFilter(label=_("区划"), min_level=Level.PROVINCE, max_level=Level.TOWN)

    def setup_form(self, form, *, actor) -> None:
        if actor is not None and not actor_is_platform_admin(actor):
            prefixes = actor_region_prefixes(actor)
            if len(prefixes) == 1:
                form.fields["region"].set_root(prefixes[0].ljust(12, "0"))


def projects_source(actor):
    return Project.objects.visible_to(actor).select_related("organization")


def review_source(actor):
    """ACT-1: submitted projects the actor may review (their region; platform admins all),
    leaving out their own organizations' projects (nobody reviews their own)."""
    qs = Project.objects.visible_to(actor, REVIEW).filter(status=ProjectStatus.SUBMITTED).select_related("organization")
    own = org_admin_q(actor)
    return qs.exclude(own) if own is not None else qs


def _project_link(p) -> str:
    return reverse("activities:project_detail", args=[p.pk])


def _period(p) -> str:
    if not (p.starts_on or p.ends_on):
        return ""
    return f"{p.starts_on or '…'} – {p.ends_on or '…'}"


def _flags(p) -> str:
    labels = [str(_("示范项目"))] if p.is_demonstration else []
    if p.is_brand:
        labels.append(str(_("品牌项目")))
    return str(_("、")).join(labels)


PROJECT_EXPORT = [
    ExportCol(_("编号"), lambda p: p.pk),
    ExportCol(_("项目名称"), lambda p: p.name),
    ExportCol(_("申报组织"), lambda p: p.organization.name),
    ExportCol(_("区划代码"), lambda p: p.region_code),
    ExportCol(_("所属区划"), lambda p: p.region_name),
    ExportCol(_("服务类别"), lambda p: p.category_label),
    ExportCol(_("服务对象"), lambda p: p.target_group),
    ExportCol(_("预算（元）"), lambda p: str(p.budget) if p.budget is not None else ""),
    ExportCol(_("开始日期"), lambda p: p.starts_on.isoformat() if p.starts_on else ""),
    ExportCol(_("结束日期"), lambda p: p.ends_on.isoformat() if p.ends_on else ""),
    ExportCol(_("状态"), lambda p: str(p.get_status_display())),
    ExportCol(_("示范/品牌"), _flags),
    ExportCol(_("审核意见"), lambda p: p.review_note),
    ExportCol(_("审核时间"), lambda p: _local(p.reviewed_at)),
    ExportCol(_("评估得分"), lambda p: p.outcome_score if p.outcome_score is not None else ""),
    ExportCol(_("项目目标"), lambda p: p.goals),
    ExportCol(_("成效评估"), lambda p: p.outcome),
]

PROJECTS = ListSpec(
    name="activities.project",  # export audit: activities.project.export
    model=Project,
    object_type="activities.project",
    source=projects_source,
    can_list=can_use_projects,
    filters=ProjectFilter,
    sorts={
        "-id": Sort(_("创建时间（新→旧）"), ("-id",)),
        "region": Sort(_("所属区划"), ("region_code", "id")),
    },
    default_sort="-id",
    decorate=_region_decorate,
    columns=[
        Col("name", _("项目名称"), role="key", link=_project_link),
        Col("status", _("状态"), role="status", value=lambda p: p.get_status_display()),
        Col("organization", _("申报组织"), value=lambda p: p.organization.name),
        Col("region_name", _("所属区划")),
        Col("category", _("服务类别"), value=lambda p: p.category_label),
        Col("period", _("实施期间"), value=_period),
        Col("flags", _("示范/品牌"), value=_flags),
    ],
    export=PROJECT_EXPORT,
    export_title=_("志愿服务项目"),
    export_filename="projects.xlsx",
)

PROJECT_REVIEW = ListSpec(
    name="activities.project_review",
    model=Project,
    object_type="activities.project",
    source=review_source,
    can_list=can_use_projects,
    filters=ProjectFilter,
    sorts={"id": Sort(_("提交时间（旧→新）"), ("id",))},
    default_sort="id",
    decorate=_region_decorate,
    columns=[
        Col("name", _("项目名称"), role="key", link=_project_link),
        Col("organization", _("申报组织"), value=lambda p: p.organization.name),
        Col("region_name", _("所属区划")),
        Col("category", _("服务类别"), value=lambda p: p.category_label),
        Col("budget", _("预算（元）"), value=lambda p: p.budget if p.budget is not None else "—"),
        Col("period", _("实施期间"), value=_period),
        Col("actions", _("审核"), role="action", template="activities/partials/_project_review_actions.html"),
    ],
)


# --- activities (organizer) ------------------------------------------------------------------------


def _search_activities(qs, name, value):
    q = (value or "").strip()[:50]
    return qs.filter(title__icontains=q) if q else qs


def _starts_from(qs, name, value):
    """Activities still running on or after the day (their end is on or after its start)."""
    if value.year < YEARS[0]:
        return qs  # before any activity: no bound (and no time off the calendar)
    return qs.filter(ends_at__gte=timezone.make_aware(dt.datetime.combine(value, dt.time.min)))


def _starts_until(qs, name, value):
    """Activities that begin on or before the day."""
    if value.year > YEARS[1]:
        return qs
    return qs.filter(starts_at__lt=timezone.make_aware(dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min)))


class ActivityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("活动名称"), max_length=50, method=_search_activities)
    status = CodeFilter(field_name="status", label=_("状态"), choices=ActivityStatus.choices, empty_label=_("全部状态"))
    organization = IntFilter(field_name="organization_id", label=_("组织编号"), min_value=1, max_value=2**63 - 1)
    date_from = django_filters.DateFilter(label=_("日期（起）"), method=_starts_from,
                                          widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    date_to = django_filters.DateFilter(label=_("日期（止）"), method=_starts_until,
                                        widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip


def activities_source(actor):
    return Activity.objects.visible_to(actor).select_related("organization")


def _activity_link(a) -> str:
    return reverse("activities:manage_detail", args=[a.pk])


def _when(a) -> str:
    start, end = timezone.localtime(a.starts_at), timezone.localtime(a.ends_at)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


ACTIVITIES = ListSpec(
    name="activities.activity",  # export audit: activities.activity.export
    model=Activity,
    object_type="activities.activity",
    source=activities_source,
    can_list=can_use_projects,
    filters=ActivityFilter,
    sorts={
        "-starts_at": Sort(_("开始时间（新→旧）"), ("-starts_at", "-id")),
        "starts_at": Sort(_("开始时间（旧→新）"), ("starts_at", "id")),
    },
    default_sort="-starts_at",
    decorate=_region_decorate,
    columns=[
        Col("title", _("活动名称"), role="key", link=_activity_link),
        Col("status", _("状态"), role="status", value=lambda a: a.get_status_display()),
        Col("when", _("时间"), value=_when),
        Col("organization", _("组织单位"), value=lambda a: a.organization.name),
        Col("address", _("地点")),
        Col("slots", _("剩余/招募"), value=lambda a: f"{a.slots_open}/{a.slots_total}"),
    ],
    export=[
        ExportCol(_("编号"), lambda a: a.pk),
        ExportCol(_("活动名称"), lambda a: a.title),
        ExportCol(_("组织单位"), lambda a: a.organization.name),
        ExportCol(_("区划代码"), lambda a: a.region_code),
        ExportCol(_("所属区划"), lambda a: a.region_name),
        ExportCol(_("服务类别"), lambda a: a.category_label),
        ExportCol(_("开始时间"), lambda a: _local(a.starts_at)),
        ExportCol(_("结束时间"), lambda a: _local(a.ends_at)),
        ExportCol(_("重复"), lambda a: str(_("是")) if a.recurrence else str(_("否"))),
        ExportCol(_("地点"), lambda a: a.address),
        ExportCol(_("招募人数"), lambda a: a.slots_total),
        ExportCol(_("剩余名额"), lambda a: a.slots_open),
        ExportCol(_("状态"), lambda a: str(a.get_status_display())),
        ExportCol(_("发布时间"), lambda a: _local(a.published_at)),
    ],
    export_title=_("志愿服务活动"),
    export_filename="activities.xlsx",
)
register_export(PROJECTS)
register_export(ACTIVITIES)  # background exports may name them (core/export_jobs.py)

"""The organizations app's lists, each declared once (ARCHITECTURE rule 7; core/lists.py;
docs/architecture.md "How to add a list"); the page, the API operation and the export derive
from the spec:

* ``ORGANIZATIONS`` — the managers' list (``/organizations/manage/``, ``GET /organizations``,
  ``/organizations/manage/export.xlsx``): ``Organization.objects.visible_to(actor)``.
* ``REVIEW_QUEUE`` — ORG-3 applications waiting for the actor's review, oldest first
  (``/organizations/manage/review/``, ``GET /organizations/review-queue``).
* ``DIRECTORY`` — ORG-6 the public directory of active organizations, anonymous
  (``/organizations/directory/``, ``GET /organizations/public``): public fields only, the stored
  ``member_count`` (never an aggregate), keyset over the (status, region_code, name, id) index.
* ``MEMBERS`` — an organization's members (ORG-4), a list inside a parent: the caller fetches the
  organization with ``selectors.organization_get_for_members`` (404 outside the actor's scope) and
  passes it as ``context={"org": org}`` (the API: ``list_operation(path_params=…, context=…)``);
  ``source`` checks the permission again and answers nothing without it. Restricted people
  (VOL-6) are left out by ``selectors.member_scope``.

Region filters are a range on the 12-digit code (``regions.codes.prefix_q``), never LIKE.
"""

import django_filters
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_region_prefixes, region_q
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, ListSpec, Sort
from zhiyuan.organizations import selectors
from zhiyuan.organizations.models import Kind, Membership, Organization, OrganizationCategory, Status
from zhiyuan.organizations.permissions import can_manage_members
from zhiyuan.regions.codes import prefix_q, region_prefix
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level
from zhiyuan.volunteers.codes import ServiceCategory

STATUS_CHOICES = [*Membership.Status.choices, ("all", _("全部（含历史）"))]


def members_source(actor, org=None):
    if org is None or not can_manage_members(actor, org):
        return Membership.objects.none()
    return selectors.member_scope(org=org)


class MemberFilter(django_filters.FilterSet):
    """Always bound (an empty query is bound to ``{}``), so the default status filter — open
    memberships only — applies to the first visit too."""

    q = django_filters.CharFilter(method="filter_nothing", label=_("姓名或志愿者编号"), max_length=50)
    role = CodeFilter(method="filter_nothing", label=_("角色"), choices=Membership.Role.choices, empty_label=_("全部角色"))
    status = CodeFilter(method="filter_nothing", label=_("状态"), choices=STATUS_CHOICES, empty_label=_("待处理及在队"))

    def __init__(self, data=None, *args, **kwargs):
        super().__init__({} if data is None else data, *args, **kwargs)

    def filter_nothing(self, qs, name, value):  # the three apply together in ``filter_queryset``
        return qs

    def filter_queryset(self, queryset):
        d = self.form.cleaned_data
        f = selectors.MemberFilters(q=d.get("q") or "", role=d.get("role") or "", status=d.get("status") or "")
        return selectors.member_filter(queryset, f)


def _date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


MEMBERS = ListSpec(
    name="organizations.member",  # the export's audit action: organizations.member.export
    model=Membership,
    object_type="organizations.organization",
    source=members_source,
    filters=MemberFilter,
    sorts={
        "status": Sort(_("状态（待处理在前）"), ("status", "-joined_at", "-created_at", "-id")),
        "-joined_at": Sort(_("加入时间（新→旧）"), ("-joined_at", "-id")),
        "-created_at": Sort(_("申请/邀请时间（新→旧）"), ("-created_at", "-id")),
    },
    default_sort="status",
    page_size=30,
    page_sizes=(30, 50, 100),
    columns=[
        Col("name", _("姓名"), role="key", value=lambda m: m.volunteer.name),
        Col("volunteer_no", _("志愿者编号"), role="key", template="organizations/partials/_member_number_cell.html"),
        Col("status", _("状态"), role="status", template="organizations/partials/_member_status_cell.html"),
        Col("role", _("角色"), value=lambda m: m.get_role_display()),
        Col("joined_at", _("时间"), value=lambda m: _date(m.joined_at or m.created_at)),
        Col("actions", _("操作"), role="action", template="organizations/partials/_member_actions.html"),
    ],
    export=[
        ExportCol(_("志愿者编号"), lambda m: m.volunteer.volunteer_no),
        ExportCol(_("姓名"), lambda m: m.volunteer.name),
        # masked: an unmasked reveal is a separate, audited act
        ExportCol(_("手机号"), lambda m: m.volunteer.user.masked_mobile),
        ExportCol(_("角色"), lambda m: str(m.get_role_display())),
        ExportCol(_("状态"), lambda m: str(m.get_status_display())),
        ExportCol(_("申请/邀请时间"), lambda m: _local(m.created_at)),
        ExportCol(_("加入时间"), lambda m: _local(m.joined_at)),
        ExportCol(_("结束时间"), lambda m: _local(m.ended_at)),
        ExportCol(_("原因"), lambda m: m.reason),
    ],
    export_title=_("组织成员"),
    export_filename="members.xlsx",
)


# --- organizations: the managers' list, the review queue, the public directory ------------------------


class RegionFilter(django_filters.CharFilter):
    """A region picked in the cascade (or typed as a 2/4/6/9-digit code): organizations inside it,
    as a range on the code (the index answers it on both databases)."""

    field_class = RegionCascadeField

    def filter(self, qs, value):
        return qs.filter(prefix_q("region_code", region_prefix(value))) if value else qs


def search_organizations(qs, name, value):
    """Part of the name or of the sponsor's name, or the exact USCC (one table: no join)."""
    q = (value or "").strip()[:50]
    if not q:
        return qs
    return qs.filter(Q(name__icontains=q) | Q(uscc=q.upper()) | Q(sponsor_name__icontains=q))


def filter_category(qs, name, value):
    return qs.filter(pk__in=OrganizationCategory.objects.filter(code=value).values("organization_id")) if value else qs


def _category_filter():
    return CodeFilter(label=_("服务类别"), choices=ServiceCategory.choices, empty_label=_("全部服务类别"), method=filter_category)


class DirectoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("组织名称"), max_length=50, method=search_organizations)
    kind = CodeFilter(label=_("类型"), choices=Kind.choices, empty_label=_("全部类型"))
    category = _category_filter()
    region = RegionFilter(label=_("区划"), min_level=Level.PROVINCE, max_level=Level.TOWN)


class ReviewFilter(DirectoryFilter):
    q = django_filters.CharFilter(label=_("名称或统一社会信用代码"), max_length=50, method=search_organizations)

    def setup_form(self, form, *, actor) -> None:
        """A region manager of one region picks inside it (the scope is ``source``'s, applied first)."""
        if actor is not None and not actor_is_platform_admin(actor):
            prefixes = actor_region_prefixes(actor)
            if len(prefixes) == 1:
                form.fields["region"].set_root(prefixes[0].ljust(12, "0"))


class OrganizationFilter(ReviewFilter):
    status = CodeFilter(label=_("状态"), choices=Status.choices, empty_label=_("全部状态"))


def organizations_source(actor):
    """Organizations the actor may see (region managers: their region; platform admins: all;
    organization admins: their own and their sub-teams)."""
    return Organization.objects.visible_to(actor).select_related("parent").prefetch_related("categories")


def review_source(actor):
    """ORG-3: pending applications the actor may review (inside their region; an organization
    admin's own sub-team application is not theirs to review)."""
    qs = organizations_source(actor).filter(status=Status.PENDING).select_related("created_by")
    if not actor_is_platform_admin(actor):
        qs = qs.filter(region_q("region_code", actor_region_prefixes(actor)))
    return qs


def directory_source(actor=None):
    """Active organizations for anyone; the columns and rows show public fields only and the
    stored ``member_count`` (organizations/counts.py)."""
    return Organization.objects.filter(status=Status.ACTIVE).select_related("parent").prefetch_related("categories")


def organizations_decorate(orgs: list) -> list:
    """Display values of a page (or an export chunk): region names (one query per batch) and
    the category labels (from the prefetched ``categories``)."""
    names = selectors.region_names(o.region_code for o in orgs)
    for o in orgs:
        o.region_name = names.get(o.region_code, "")
        o.category_labels = selectors.category_labels(o)
    return orgs


def _region(o) -> str:
    return o.region_name or o.region_code


def _applicant(o) -> str:
    return f"{o.created_by.audit_label if o.created_by_id else '—'} · {_local(o.created_at)}"


def _profile_url(o) -> str:
    return reverse("organizations:profile", args=[o.pk])


def _joined(labels) -> str:
    return str(_("、")).join(str(x) for x in labels)


REGION_ORDER = Sort(_("所在区划、名称"), ("region_code", "name", "id"))
NAME_ORDER = Sort(_("名称"), ("name", "id"))

ORGANIZATIONS = ListSpec(
    name="organizations.org",  # the export's audit action: organizations.org.export
    model=Organization,
    object_type="organizations.organization",
    source=organizations_source,
    filters=OrganizationFilter,
    sorts={
        "region": REGION_ORDER,
        "name": NAME_ORDER,
        "-created_at": Sort(_("申请时间（新→旧）"), ("-created_at", "-id")),
    },
    default_sort="region",
    decorate=organizations_decorate,
    columns=[
        Col("name", _("名称"), role="key", template="organizations/partials/_org_name_cell.html"),
        Col("status", _("状态"), role="status", template="organizations/partials/_org_status_cell.html"),
        Col("kind", _("类型"), template="organizations/partials/_org_kind_cell.html"),
        Col("uscc", _("统一社会信用代码 / 主管单位"), template="organizations/partials/_org_uscc_cell.html"),
        Col("region_name", _("所在区划"), value=_region),
        Col("member_count", _("在队成员数")),
    ],
    export=[
        ExportCol(_("编号"), lambda o: o.pk),
        ExportCol(_("名称"), lambda o: o.name),
        ExportCol(_("类型"), lambda o: str(o.get_kind_display())),
        ExportCol(_("统一社会信用代码"), lambda o: o.uscc),
        ExportCol(_("主管单位类型"), lambda o: str(o.get_sponsor_type_display()) if o.sponsor_type else ""),
        ExportCol(_("主管单位"), lambda o: o.sponsor_name),
        ExportCol(_("队伍类别"), lambda o: str(o.get_team_category_display()) if o.team_category else ""),
        ExportCol(_("上级组织"), lambda o: o.parent.name if o.parent_id else ""),
        ExportCol(_("区划代码"), lambda o: o.region_code),
        ExportCol(_("所在区划"), lambda o: o.region_name),
        ExportCol(_("地址"), lambda o: o.address),
        ExportCol(_("联系人"), lambda o: o.contact_name),
        ExportCol(_("联系电话"), lambda o: o.contact_phone),
        ExportCol(_("在队成员数"), lambda o: o.member_count),
        ExportCol(_("状态"), lambda o: str(o.get_status_display())),
        ExportCol(_("状态说明"), lambda o: o.status_reason),
        ExportCol(_("申请时间"), lambda o: _local(o.created_at)),
        ExportCol(_("审核时间"), lambda o: _local(o.reviewed_at)),
        ExportCol(_("服务类别"), lambda o: _joined(o.category_labels)),
    ],
    export_title=_("志愿服务组织"),
    export_filename="organizations.xlsx",
)

REVIEW_QUEUE = ListSpec(
    name="organizations.review",
    model=Organization,
    object_type="organizations.organization",
    source=review_source,
    filters=ReviewFilter,
    sorts={
        "created_at": Sort(_("申请时间（旧→新）"), ("created_at", "id")),
        "-created_at": Sort(_("申请时间（新→旧）"), ("-created_at", "-id")),
    },
    default_sort="created_at",
    decorate=organizations_decorate,
    columns=[
        Col("name", _("名称"), role="key", template="organizations/partials/_org_name_cell.html"),
        Col("kind", _("类型"), template="organizations/partials/_org_kind_cell.html"),
        Col("region_name", _("所在区划"), value=_region),
        Col("uscc", _("统一社会信用代码 / 主管单位"), template="organizations/partials/_org_uscc_cell.html"),
        Col("address", _("地址")),
        Col("contact", _("联系人"), value=lambda o: f"{o.contact_name} {o.contact_phone}"),
        Col("created_at", _("申请人"), value=_applicant),
        Col("intro", _("简介"), template="organizations/partials/_org_intro_cell.html"),
        Col("actions", _("审核"), role="action", template="organizations/partials/_review_actions.html"),
    ],
)

DIRECTORY = ListSpec(
    name="organizations.directory",
    model=Organization,
    object_type="organizations.organization",
    source=directory_source,
    filters=DirectoryFilter,
    # (status, region_code, name, id) is the index org_status_region_name: the keyset reads it in order
    sorts={"region": REGION_ORDER},
    default_sort="region",
    decorate=organizations_decorate,
    columns=[
        Col("name", _("名称"), role="key", link=_profile_url),
        Col("kind", _("类型"), value=lambda o: o.get_kind_display()),
        Col("region_name", _("所在区划"), value=_region),
        Col("member_count", _("在队成员数")),
        Col("categories", _("服务类别"), value=lambda o: _joined(o.category_labels)),
        Col("intro", _("简介"), template="organizations/partials/_org_intro_cell.html"),
    ],
)

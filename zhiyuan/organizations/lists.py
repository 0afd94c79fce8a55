"""An organization's member list, declared once (ARCHITECTURE rule 7; ORG-4): the members section
of the organization page and its Excel export derive from ``MEMBERS`` (``core/lists.py``;
docs/architecture.md "How to add a list"). The list lives inside a parent: the caller fetches the
organization with ``selectors.organization_get_for_members`` (404 outside the actor's scope) and
passes it as ``context={"org": org}``; ``source`` checks the permission again and answers nothing
without it. Restricted people (VOL-6) are left out by ``selectors.member_scope``.
"""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.lists import CodeFilter, Col, ExportCol, ListSpec, Sort
from zhiyuan.organizations import selectors
from zhiyuan.organizations.models import Membership
from zhiyuan.organizations.permissions import can_manage_members

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

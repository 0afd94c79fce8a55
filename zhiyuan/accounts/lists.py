"""The accounts app's lists, each declared once (ARCHITECTURE rule 7; docs/architecture.md "How to
add a list"): the role assignments (``ROLES``: page /accounts/roles/, ``GET
/api/v1/accounts/role-assignments``, the Excel export), the audit log (``AUDIT``: page
/accounts/audit/, ``GET …/audit-entries``, the Excel export) and the user's own API tokens
(``TOKENS``: page /accounts/tokens/, ``GET …/tokens``).

Scopes: role assignments through ``RoleAssignment.objects.visible_to(actor)`` (a region manager
sees the assignments inside their region, a platform admin all); the audit log through
``audit_scope`` (a region manager the entries whose object lies inside their region — a range on
the indexed ``(region_code, id)`` — a platform admin all of it); a token is its owner's alone.
"""

import datetime as dt

import django_filters
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.forms import audit_action_choices
from zhiyuan.accounts.models import ApiToken, RoleAssignment, User
from zhiyuan.accounts.permissions import can_manage_roles, can_read_audit
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_region_prefixes, region_q
from zhiyuan.core.audit_actions import (
    audit_action_is_registered,
    audit_action_label,
    audit_detail_items,
    audit_detail_text,
    audit_object_type_choices,
    audit_object_type_label,
)
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, ListSpec, Sort
from zhiyuan.core.models import AuditEntry
from zhiyuan.regions.codes import prefix_q, region_prefix
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level, Region

DIGITS = frozenset("0123456789")


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _minute(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the site's time zone (a range on the indexed column, not __date)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))


class RegionFilter(django_filters.CharFilter):
    """A region picked in the cascade (or typed as a 2/4/6/9/12-digit code)."""

    field_class = RegionCascadeField


def _with_root(form, actor) -> None:
    """A region manager of one region picks inside it (the picker only: the scope is ``source``'s)."""
    if actor is not None and not actor_is_platform_admin(actor) and "region" in form.fields:
        prefixes = actor_region_prefixes(actor)
        if len(prefixes) == 1:
            form.fields["region"].widget.root = prefixes[0].ljust(12, "0")


# --- role assignments ---------------------------------------------------------------------------------

ROLE_STATUS = [("active", _("有效")), ("revoked", _("已撤销")), ("all", _("全部"))]


class RoleAssignmentFilter(django_filters.FilterSet):
    """Always bound (an empty query is ``{}``), so the default status — active — applies on the
    first visit too."""

    q = django_filters.CharFilter(method="filter_q", label=_("手机号或姓名"), max_length=50)
    role = CodeFilter(label=_("角色"), choices=Role.choices, empty_label=_("全部角色"))
    region = RegionFilter(method="filter_region", label=_("管辖区划"), min_level=Level.PROVINCE, max_level=Level.VILLAGE)
    status = CodeFilter(method="filter_nothing", label=_("状态"), choices=ROLE_STATUS, empty_label=None)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__({} if data is None else data, *args, **kwargs)

    def setup_form(self, form, *, actor) -> None:
        form.fields["status"].required = False
        _with_root(form, actor)

    def filter_nothing(self, qs, name, value):  # applied in ``filter_queryset`` (with its default)
        return qs

    def filter_q(self, qs, name, value):
        """Digits: part of the mobile; anything else: part of the name — one column each, never an
        OR. Matched through the join from the (few, scoped) assignments to their users, so the
        database reads the assignments in scope, not every user's mobile."""
        q = value.strip()[:50]
        if not q:
            return qs
        return qs.filter(user__mobile__contains=q) if set(q) <= DIGITS else qs.filter(user__display_name__icontains=q)

    def filter_region(self, qs, name, value):
        return qs.filter(prefix_q("region_code", region_prefix(value)))

    def filter_queryset(self, queryset):
        qs = super().filter_queryset(queryset)
        status = self.form.cleaned_data.get("status") or "active"
        if status == "revoked":
            return qs.filter(active=False)
        if status == "all":
            return qs
        return qs.filter(active=True)


def _role_link(a: RoleAssignment) -> str:
    return reverse("accounts:role_detail", args=[a.pk])


def role_scope_label(a: RoleAssignment) -> str:
    if a.region_code:
        return a.region_name
    if a.object_id:
        return f"#{a.object_id}"
    return str(_("全部"))


def roles_decorate(rows: list) -> list:
    """Region names for one page (or export chunk): one query."""
    names = region_names(a.region_code for a in rows)
    for a in rows:
        a.region_name = names.get(a.region_code, a.region_code)
        a.region_full_name = names.get(a.region_code, "")
    return rows


def role_assignment_row(a: RoleAssignment) -> dict:
    """The API's item (``schemas.RoleAssignmentOut``): the mobile masked."""
    return {
        "id": a.pk,
        "user_id": a.user_id,
        "user_name": a.user.display_name,
        "user_mobile_masked": a.user.masked_mobile,
        "role": a.role,
        "role_label": str(a.get_role_display()),
        "region_code": a.region_code,
        "region_name": getattr(a, "region_full_name", ""),
        "object_id": a.object_id,
        "active": a.active,
        "granted_at": a.granted_at,
        "granted_by": a.granted_by.audit_label if a.granted_by else "",
        "revoked_at": a.revoked_at,
    }


ROLES = ListSpec(
    name="accounts.role",
    model=RoleAssignment,
    object_type="accounts.roleassignment",
    source=lambda actor: RoleAssignment.objects.visible_to(actor).select_related("user", "granted_by", "revoked_by"),
    filters=RoleAssignmentFilter,
    sorts={
        "-granted_at": Sort(_("授权时间（新→旧）"), ("-granted_at", "-id")),
        "granted_at": Sort(_("授权时间（旧→新）"), ("granted_at", "id")),
    },
    default_sort="-granted_at",
    can_list=can_manage_roles,
    denied_message=_("只有平台管理员和区域管理员可以管理角色。"),
    decorate=roles_decorate,
    page_size=50,
    page_sizes=(50, 20, 100),
    columns=[
        Col("name", _("姓名"), role="key", value=lambda a: a.user.display_name or "—", link=_role_link),
        Col("mobile", _("手机号"), value=lambda a: a.user.masked_mobile),
        Col("role", _("角色"), value=lambda a: a.get_role_display()),
        Col("scope", _("管辖范围"), value=role_scope_label),
        Col("active", _("状态"), role="status", template="accounts/partials/_role_status_cell.html"),
        Col("granted_at", _("授权时间"), value=lambda a: _minute(a.granted_at)),
        Col("granted_by", _("授权人"), value=lambda a: a.granted_by.audit_label if a.granted_by else "—"),
    ],
    export=[
        ExportCol(_("编号"), lambda a: a.pk),
        ExportCol(_("姓名"), lambda a: a.user.display_name),
        ExportCol(_("手机号"), lambda a: a.user.masked_mobile),
        ExportCol(_("角色"), lambda a: str(a.get_role_display())),
        ExportCol(_("管辖区划代码"), lambda a: a.region_code),
        ExportCol(_("管辖区划"), lambda a: a.region_full_name),
        ExportCol(_("管辖对象"), lambda a: a.object_id or ""),
        ExportCol(_("状态"), lambda a: str(_("有效") if a.active else _("已撤销"))),
        ExportCol(_("授权时间"), lambda a: _local(a.granted_at)),
        ExportCol(_("授权人"), lambda a: a.granted_by.audit_label if a.granted_by else ""),
        ExportCol(_("撤销时间"), lambda a: _local(a.revoked_at)),
    ],
    export_title=_("角色授权"),
    export_filename="role-assignments.xlsx",
)


# --- audit log ------------------------------------------------------------------------------------------


def audit_scope(actor):
    """The entries ``actor`` may read (ACC-3): platform admins all, region managers those whose
    object lies inside their region — a range per prefix on the indexed ``(region_code, id)``.
    Entries without a region (logins, tokens, the log's own exports) are for platform admins."""
    qs = AuditEntry.objects.all()
    if actor_is_platform_admin(actor):
        return qs
    prefixes = actor_region_prefixes(actor)
    return qs.filter(region_q("region_code", prefixes)) if prefixes else qs.none()


class AuditFilterForm(forms.Form):
    """Checks across fields; the fields come from ``AuditFilter``."""

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


class AuditFilter(django_filters.FilterSet):
    # A registered code filters that one action; any other value is a code prefix.
    action = django_filters.CharFilter(method="filter_action", label=_("操作"), max_length=80, widget=forms.Select)
    actor_mobile = django_filters.CharFilter(method="filter_actor_mobile", label=_("操作人手机号"), max_length=11)
    object_type = CodeFilter(label=_("对象类型"), choices=[], empty_label=_("全部"))  # choices: setup_form
    object_id = django_filters.CharFilter(label=_("对象编号"), max_length=64)
    result = CodeFilter(label=_("结果"), choices=AuditEntry.Result.choices, empty_label=_("全部"))
    date_from = django_filters.DateFilter(
        method="filter_date_from", label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        method="filter_date_to", label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        form = AuditFilterForm

    def setup_form(self, form, *, actor) -> None:
        current = str(form.data.get("action") or "").strip()[:80] if form.is_bound else ""
        form.fields["action"].widget.choices = audit_action_choices(current)
        form.fields["action"].widget.attrs.pop("maxlength", None)  # a select, not a text box
        form.fields["object_type"].choices = audit_object_type_choices()  # registered at start-up
        form.fields["date_from"].error_messages["invalid"] = _("请输入有效的日期。")
        form.fields["date_to"].error_messages["invalid"] = _("请输入有效的日期。")

    def filter_action(self, qs, name, value):
        value = value.strip()[:80]
        if audit_action_is_registered(value):
            return qs.filter(action=value)
        return qs.filter(action__startswith=value)

    def filter_actor_mobile(self, qs, name, value):
        return qs.filter(actor_id__in=User.objects.filter(mobile=value.strip()).values("pk"))

    def filter_date_from(self, qs, name, value):
        return qs.filter(at__gte=_day_start(value))

    def filter_date_to(self, qs, name, value):
        return qs.filter(at__lt=_day_start(value + dt.timedelta(days=1)))


def audit_decorate(rows: list) -> list:
    """Readable labels: action, object type (``用户 #205``) and detail pairs (no queries)."""
    for e in rows:
        e.action_label = audit_action_label(e.action)
        e.object_label = audit_object_type_label(e.object_type)
        e.detail_items = audit_detail_items(e.detail)
    return rows


def audit_entry_row(e: AuditEntry) -> dict:
    """The API's item (``schemas.AuditEntryOut``): raw codes, not labels."""
    return {
        "id": e.id,
        "at": e.at,
        "actor_id": e.actor_id,
        "actor_label": e.actor_label,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "result": e.result,
        "ip": e.ip,
        "detail": e.detail,
        "region_code": e.region_code,
        "hash": e.hash,
    }


AUDIT = ListSpec(
    name="accounts.audit",
    model=AuditEntry,
    object_type="core.auditentry",
    source=audit_scope,
    filters=AuditFilter,
    sorts={
        "-id": Sort(_("最新在前"), ("-id",)),
        "id": Sort(_("最早在前"), ("id",)),
    },
    default_sort="-id",
    can_list=can_read_audit,
    denied_message=_("只有平台管理员和区域管理员可以查看审计日志。"),
    decorate=audit_decorate,
    page_size=50,
    page_sizes=(50, 20, 100),
    columns=[
        Col("id", "#", role="key"),
        Col("at", _("时间"), role="key", value=lambda e: _local(e.at)),
        Col("actor_label", _("操作人"), value=lambda e: e.actor_label or "—"),
        Col("action", _("操作"), template="accounts/partials/_audit_action_cell.html"),
        Col("object", _("对象"), template="accounts/partials/_audit_object_cell.html"),
        Col("result", _("结果"), role="status", template="accounts/partials/_audit_result_cell.html"),
        Col("ip", _("来源IP"), value=lambda e: e.ip or "—"),
        Col("detail", _("详情"), template="accounts/partials/_audit_detail_cell.html"),
    ],
    export=[
        ExportCol(_("编号"), lambda e: e.id),
        ExportCol(_("时间"), lambda e: _local(e.at)),
        ExportCol(_("操作人"), lambda e: e.actor_label),
        ExportCol(_("操作"), lambda e: str(e.action_label)),
        ExportCol(_("操作代码"), lambda e: e.action),
        ExportCol(_("对象类型"), lambda e: str(e.object_label)),
        ExportCol(_("对象"), lambda e: e.object_id),
        ExportCol(_("结果"), lambda e: str(e.get_result_display())),
        ExportCol(_("来源IP"), lambda e: e.ip or ""),
        ExportCol(_("详情"), lambda e: audit_detail_text(e.detail)[:30000]),
        ExportCol(_("哈希"), lambda e: e.hash),
    ],
    export_title=_("审计日志"),
    export_filename="audit-log.xlsx",
)


# --- API tokens -----------------------------------------------------------------------------------------


class ApiTokenFilter(django_filters.FilterSet):
    """No filters: a person has a handful of tokens; the list only pages and sorts."""


def tokens_decorate(rows: list) -> list:
    now = timezone.now()
    for t in rows:
        t.is_active = t.revoked_at is None and (t.expires_at is None or t.expires_at > now)
    return rows


def api_token_row(t: ApiToken) -> dict:
    """The API's item (``schemas.TokenOut``; the secret is never shown again)."""
    return {
        "id": t.pk,
        "name": t.name,
        "key_prefix": t.key_prefix,
        "can_write": t.can_write,
        "region_prefix": t.region_prefix,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
        "active": t.is_active,
    }


TOKENS = ListSpec(
    name="accounts.token",
    model=ApiToken,
    object_type="accounts.apitoken",
    # A token is personal: nobody else lists or uses it (its owner's tokens only, whatever the role).
    source=lambda actor: ApiToken.objects.filter(user=actor),
    filters=ApiTokenFilter,
    sorts={
        "-created_at": Sort(_("创建时间（新→旧）"), ("-created_at", "-id")),
        "created_at": Sort(_("创建时间（旧→新）"), ("created_at", "id")),
    },
    default_sort="-created_at",
    can_list=lambda actor: actor is not None and actor.is_authenticated,
    decorate=tokens_decorate,
    columns=[
        Col("name", _("名称"), role="key"),
        Col("key_prefix", _("前缀"), template="accounts/partials/_token_prefix_cell.html"),
        Col("can_write", _("权限"), value=lambda t: _("读写") if t.can_write else _("只读")),
        Col("region_prefix", _("限定区划"), value=lambda t: t.region_prefix or "—"),
        Col("created_at", _("创建时间"), value=lambda t: _minute(t.created_at)),
        Col("expires_at", _("过期时间"), value=lambda t: _minute(t.expires_at) or "—"),
        Col("last_used_at", _("最近使用"), value=lambda t: _minute(t.last_used_at) or "—"),
        Col("status", _("状态"), role="status", template="accounts/partials/_token_status_cell.html"),
        Col("revoke", _("操作"), role="action", template="accounts/partials/_token_revoke_cell.html"),
    ],
)

"""The insurance lists, declared once (ARCHITECTURE rule 7; docs/architecture.md "How to add a
list"): ``POLICIES`` (page, API ``list_insurance_policies``, export) and ``INSURED`` (a policy's
insured persons: the list inside a parent, ``context={"policy": policy}``)."""

import django_filters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.lists import CodeFilter, Col, ExportCol, ListSpec, Sort
from zhiyuan.insurance import selectors
from zhiyuan.insurance.models import Cover, InsurancePolicy, InsuredPerson, Kind, Status
from zhiyuan.insurance.permissions import can_manage_policy, can_use_insurance


class PolicyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("保单号"), max_length=60)
    kind = CodeFilter(field_name="kind", label=_("险种"), choices=Kind.choices, empty_label=_("全部险种"))
    cover = CodeFilter(field_name="cover", label=_("保障范围"), choices=Cover.choices, empty_label=_("全部范围"))
    status = CodeFilter(field_name="status", label=_("状态"), choices=Status.choices, empty_label=_("全部状态"))

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        return qs.filter(policy_no=value) if value else qs  # exact: the (insurer, policy_no) index


def _period(p) -> str:
    return f"{p.starts_on:%Y-%m-%d} – {p.ends_on:%Y-%m-%d}"


def _policy_link(p) -> str:
    return reverse("insurance:detail", args=[p.pk])


POLICIES = ListSpec(
    name="insurance.policy",  # export audit: insurance.policy.export
    model=InsurancePolicy,
    object_type="insurance.insurancepolicy",
    source=lambda actor: selectors.policy_scope(actor=actor),
    can_list=can_use_insurance,
    filters=PolicyFilter,
    sorts={
        "-ends_on": Sort(_("终止日期（晚→早）"), ("-ends_on", "-id")),
        "ends_on": Sort(_("终止日期（早→晚）"), ("ends_on", "id")),
    },
    default_sort="-ends_on",
    columns=[
        Col("policy_no", _("保单号"), role="key", link=_policy_link),
        Col("status", _("状态"), role="status", value=lambda p: p.get_status_display()),
        Col("insurer", _("保险公司")),
        Col("holder", _("投保方"), value=lambda p: p.holder_name),
        Col("kind", _("险种"), value=lambda p: p.get_kind_display()),
        Col("cover", _("保障范围"), value=lambda p: p.get_cover_display()),
        Col("period", _("保险期间"), value=_period),
        Col("insured_count", _("被保险人数")),
    ],
    export=[
        ExportCol(_("保险公司"), lambda p: p.insurer),
        ExportCol(_("保单号"), lambda p: p.policy_no),
        ExportCol(_("投保方"), lambda p: p.holder_name),
        ExportCol(_("所属区划"), lambda p: p.region_code),
        ExportCol(_("险种"), lambda p: str(p.get_kind_display())),
        ExportCol(_("保障范围"), lambda p: str(p.get_cover_display())),
        ExportCol(_("起保日期"), lambda p: p.starts_on.isoformat()),
        ExportCol(_("终止日期"), lambda p: p.ends_on.isoformat()),
        ExportCol(_("保险金额（元）"), lambda p: str(p.sum_insured)),
        ExportCol(_("状态"), lambda p: str(p.get_status_display())),
        ExportCol(_("被保险人数"), lambda p: p.insured_count),
    ],
    export_prefetch=("holder",),
    export_title=_("保险保单"),
    export_filename="insurance-policies.xlsx",
)


def insured_source(actor, policy=None):
    if policy is None or not can_manage_policy(actor, policy):
        return InsuredPerson.objects.none()
    return selectors.insured_scope(policy=policy)


class InsuredFilter(django_filters.FilterSet):
    volunteer_no = django_filters.CharFilter(method="filter_no", label=_("志愿者编号"), max_length=16)

    def filter_no(self, qs, name, value):
        value = (value or "").strip()
        return qs.filter(volunteer__volunteer_no=value) if value else qs


INSURED = ListSpec(
    name="insurance.insured",
    model=InsuredPerson,
    object_type="insurance.insurancepolicy",
    source=insured_source,
    filters=InsuredFilter,
    sorts={"id": Sort(_("导入顺序"), ("id",))},
    default_sort="id",
    page_size=30,
    page_sizes=(30, 50, 100),
    columns=[
        Col("name", _("姓名"), role="key", value=lambda p: p.volunteer.name),
        Col("volunteer_no", _("志愿者编号"), role="key", value=lambda p: p.volunteer.volunteer_no),
        Col("id_number", _("证件号码"), value=lambda p: p.volunteer.id_number_masked),
        Col("actions", _("操作"), role="action", template="insurance/partials/_insured_actions.html"),
    ],
    export=[
        ExportCol(_("志愿者编号"), lambda p: p.volunteer.volunteer_no),
        ExportCol(_("姓名"), lambda p: p.volunteer.name),
        ExportCol(_("证件号码"), lambda p: p.volunteer.id_number_masked),  # masked (rule 4)
    ],
    export_title=_("被保险人名单"),
    export_filename="insured.xlsx",
)

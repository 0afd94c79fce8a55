"""Forms collect input; every rule is checked in ``services`` and its DomainError is put back
on the form with ``apply_domain_error``."""

from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.picker import ObjectPickerField
from zhiyuan.organizations.models import Organization
from zhiyuan.organizations.picker import organization_option, organization_options
from zhiyuan.regions.forms import RegionCascadeField, region_picker_root
from zhiyuan.regions.models import Level
from zhiyuan.stations.models import SIX_HAVES, Function, Kind, NetworkLevel

NETWORK_LEVEL_CHOICES = [("", _("不属于实践阵地（独立站点）")), *NetworkLevel.choices]
PARENT_CHOICES_LIMIT = 500


def picker_root(actor) -> str | None:
    """Root of the region picker (``regions.forms.region_picker_root``): a county manager can pick
    the county itself (for its practice centre) and what lies below it."""
    return region_picker_root(actor)


class OperationsForm(forms.Form):
    """「我的站点」: what a station admin keeps up to date."""

    opening_hours = forms.CharField(
        label=_("开放时间"), required=False, max_length=200, help_text=_("例如：周一至周五 9:00–17:00，周六 9:00–12:00")
    )
    service_phone = forms.CharField(
        label=_("服务电话（公开）"),
        required=False,
        max_length=20,
        help_text=_("在公开的站点列表中显示，请填写站点的固定电话或值班电话。"),
    )
    contact_name = forms.CharField(label=_("联系人（不公开）"), required=False, max_length=50)
    contact_phone = forms.CharField(label=_("联系人电话（不公开）"), required=False, max_length=20)
    functions = forms.MultipleChoiceField(
        label=_("站点功能"), required=False, choices=Function.choices, widget=forms.CheckboxSelectMultiple
    )
    has_place = forms.BooleanField(label=SIX_HAVES[0][1], required=False)
    has_team = forms.BooleanField(label=SIX_HAVES[1][1], required=False)
    has_projects = forms.BooleanField(label=SIX_HAVES[2][1], required=False)
    has_facilities = forms.BooleanField(label=SIX_HAVES[3][1], required=False)
    has_rules = forms.BooleanField(label=SIX_HAVES[4][1], required=False)
    has_signage = forms.BooleanField(label=SIX_HAVES[5][1], required=False)

    def checklist_fields(self):
        return [self[f] for f, _label in SIX_HAVES]


class ServicePointForm(OperationsForm):
    name = forms.CharField(label=_("名称"), required=False, max_length=100)
    network_level = forms.ChoiceField(label=_("实践阵地层级"), required=False, choices=NETWORK_LEVEL_CHOICES)
    kind = forms.ChoiceField(label=_("类型（站、岗、点、室）"), choices=Kind.choices, initial=Kind.STATION)
    parent_id = forms.ChoiceField(
        label=_("上级阵地"), required=False, help_text=_("实践所的上级为实践中心，实践站的上级为实践所；独立站点可不选。")
    )
    region_code = RegionCascadeField(label=_("所在区划"), required=False, min_level=Level.COUNTY, max_level=Level.VILLAGE)
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    latitude = forms.CharField(label=_("纬度"), required=False, max_length=20, help_text=_("可选，如 23.111530"))
    longitude = forms.CharField(label=_("经度"), required=False, max_length=20, help_text=_("可选，如 114.416200"))
    # Searched by name among the organizations the manager may see; the service checks the choice
    # (active, inside the manager's scope) and its message shows on the field.
    operator_organization_id = ObjectPickerField(
        label=_("运营组织"),
        url_name="stations:operator_options",
        required=False,
        allow_empty=True,
        empty_label=_("不指定运营组织"),
        placeholder=_("输入组织名称或区划搜索"),
        help_text=_("可选；须为您管辖范围内状态正常的志愿服务组织。"),
    )

    field_order = [
        "name",
        "network_level",
        "kind",
        "parent_id",
        "region_code",
        "address",
        "latitude",
        "longitude",
        "opening_hours",
        "service_phone",
        "contact_name",
        "contact_phone",
        "operator_organization_id",
        "functions",
    ]

    def __init__(self, *args, actor, parents=(), operator: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].set_root(picker_root(actor))
        choices = [("", _("（无）"))]
        choices += [(str(p.pk), f"{p.get_network_level_display()} · {p.name}") for p in list(parents)[:PARENT_CHOICES_LIMIT]]
        self.fields["parent_id"].choices = choices
        self.fields["operator_organization_id"].bind(partial(_operator_options, actor=actor, operator=operator))


def _operator_options(*, actor, operator: Organization | None, q: str = "", id: int | None = None, limit: int):
    """The organizations to pick from; the point's own operator is always shown by name, even
    when it now lies outside the editor's scope (the service keeps an unchanged operator)."""
    if id is not None and operator is not None and id == operator.pk:
        return [organization_option(operator)]
    return organization_options(actor=actor, q=q, id=id, limit=limit)


class StationAdminAssignForm(forms.Form):
    mobile = forms.CharField(
        label=_("手机号"), max_length=11, help_text=_("须为已注册用户"), error_messages={"required": _("请输入手机号。")}
    )


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("关闭原因"), required=False, max_length=200)
    confirm = forms.BooleanField(label=_("我确认关闭此站点"), error_messages={"required": _("请勾选确认后再关闭。")})

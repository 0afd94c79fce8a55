"""Forms collect input; every rule is checked in ``services`` and its DomainError is put back on
the form with ``apply_domain_error``."""

from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, actor_is_platform_admin, actor_region_prefixes
from zhiyuan.core.picker import ObjectPickerField
from zhiyuan.insurance.models import Cover, Kind
from zhiyuan.insurance.selectors import today
from zhiyuan.organizations.picker import organization_options


def holder_picker(*, label, required: bool, allow_empty: bool = False, empty_label=None) -> ObjectPickerField:
    """An organization the actor manages, found by typing its name, region or number: however
    many the scope holds (a city manager's 10⁴), the page shows a handful of matches, never a
    capped list (``core.picker``, ``organizations.picker.organization_options``)."""
    return ObjectPickerField(
        label=label,
        url_name="insurance:holder_options",
        required=required,
        allow_empty=allow_empty,
        empty_label=empty_label,
        placeholder=_("输入组织名称、区划或编号搜索"),
    )


def bind_holders(field: ObjectPickerField, actor) -> None:
    field.bind(partial(organization_options, actor=actor, action=MANAGE))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PolicyForm(forms.Form):
    holder_id = holder_picker(label=_("投保方"), required=False)
    region_code = forms.CharField(
        label=_("统保覆盖区划代码"), required=False, max_length=12, help_text=_("平台统保保单填写：12位区划代码。")
    )
    insurer = forms.CharField(label=_("保险公司"), max_length=100)
    policy_no = forms.CharField(label=_("保单号"), max_length=60)
    kind = forms.ChoiceField(label=_("险种"), choices=Kind.choices)
    cover = forms.ChoiceField(label=_("保障范围"), choices=Cover.choices)
    starts_on = forms.DateField(label=_("起保日期"), widget=DateInput())
    ends_on = forms.DateField(label=_("终止日期"), widget=DateInput())
    sum_insured = forms.DecimalField(label=_("保险金额（元）"), min_value=0.01, max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        holder = self.fields["holder_id"]
        if actor_is_platform_admin(actor) or actor_region_prefixes(actor):
            # no organization: a platform policy (统保) for the region typed below
            holder.widget.allow_empty = True
            holder.widget.empty_label = _("平台统保（不属于某个组织）")
        else:
            holder.required = True
            del self.fields["region_code"]
        bind_holders(holder, actor)


class CancelForm(forms.Form):
    on = forms.DateField(label=_("退保日期"), widget=DateInput())
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("保单文件（PDF、PNG或JPEG）"))


class InsuredImportForm(forms.Form):
    file = forms.FileField(label=_("被保险人名单（.xlsx）"))
    dry_run = forms.BooleanField(label=_("仅校验，不导入"), required=False)


class CoverCheckForm(forms.Form):
    organization = holder_picker(label=_("组织"), required=True)
    volunteer_no = forms.CharField(label=_("志愿者编号"), max_length=16)
    on = forms.DateField(label=_("日期"), widget=DateInput())

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        bind_holders(self.fields["organization"], actor)
        self.fields["on"].initial = today()

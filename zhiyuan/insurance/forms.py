"""Forms collect input; every rule is checked in ``services`` and its DomainError is put back on
the form with ``apply_domain_error``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_region_prefixes
from zhiyuan.insurance.models import Cover, Kind
from zhiyuan.insurance.selectors import holder_options, today


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PolicyForm(forms.Form):
    holder_id = forms.ChoiceField(label=_("投保方"), required=False)
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
        choices = [(str(o.pk), o.name) for o in holder_options(actor=actor)]
        if actor_is_platform_admin(actor) or actor_region_prefixes(actor):
            choices.append(("", _("平台统保（不属于某个组织）")))
        else:
            del self.fields["region_code"]
        self.fields["holder_id"].choices = choices


class CancelForm(forms.Form):
    on = forms.DateField(label=_("退保日期"), widget=DateInput())
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("保单文件（PDF、PNG或JPEG）"))


class InsuredImportForm(forms.Form):
    file = forms.FileField(label=_("被保险人名单（.xlsx）"))
    dry_run = forms.BooleanField(label=_("仅校验，不导入"), required=False)


class CoverCheckForm(forms.Form):
    organization = forms.ChoiceField(label=_("组织"))
    volunteer_no = forms.CharField(label=_("志愿者编号"), max_length=16)
    on = forms.DateField(label=_("日期"), widget=DateInput())

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(str(o.pk), o.name) for o in holder_options(actor=actor)]
        self.fields["on"].initial = today()

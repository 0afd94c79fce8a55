"""Forms of the hour ledger's pages: they parse; every rule is in ``services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.records.models import CorrectionKind

DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _dt(label, required=False):
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class DecideForm(forms.Form):
    """One attendance: confirm as it is, confirm with an adjusted end, or void."""

    action = forms.ChoiceField(choices=[("confirm", "confirm"), ("adjust", "adjust"), ("void", "void")])
    ends_at = _dt(_("核实后的签退时间"))
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        values = data.getlist("ids") if data is not None and hasattr(data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in values]


class EntryChangeForm(forms.Form):
    action = forms.ChoiceField(choices=[("void", "void"), ("correct", "correct")])
    starts_at = _dt(_("更正后的开始时间"))
    ends_at = _dt(_("更正后的结束时间"))
    minutes = forms.IntegerField(label=_("更正后的分钟数"), required=False, min_value=1)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class HonourForm(forms.Form):
    volunteer_no = forms.CharField(label=_("志愿者编号"), max_length=16)
    minutes = forms.IntegerField(label=_("分钟数"), min_value=1)
    service_date = forms.DateField(label=_("服务日期"), widget=forms.DateInput(attrs={"type": "date"}))
    activity_id = forms.IntegerField(label=_("活动编号（可选）"), required=False, min_value=1)
    reason = forms.CharField(label=_("事由"), max_length=200)


class HonourDecideForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    note = forms.CharField(label=_("审批意见"), max_length=200, required=False)


class CorrectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("更正类型"), choices=CorrectionKind.choices, widget=forms.RadioSelect)
    entry_id = forms.TypedChoiceField(label=_("有误的时长记录"), coerce=int, required=False, empty_value=None)
    activity_id = forms.TypedChoiceField(label=_("遗漏记录的活动"), coerce=int, required=False, empty_value=None)
    claimed_starts_at = _dt(_("实际开始时间"))
    claimed_ends_at = _dt(_("实际结束时间"))
    claimed_minutes = forms.IntegerField(label=_("应计分钟数（可选）"), required=False, min_value=0, max_value=1440)
    explanation = forms.CharField(label=_("说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("证明材料（可选，PDF/PNG/JPEG）"), required=False)

    def __init__(self, *args, entries=(), activities=(), **kw):
        super().__init__(*args, **kw)
        self.fields["entry_id"].choices = [("", "—"), *entries]
        self.fields["activity_id"].choices = [("", "—")] + [(a.pk, a.title) for a in activities]


class CorrectionDecideForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")])
    starts_at = _dt(_("核实后的开始时间"))
    ends_at = _dt(_("核实后的结束时间"))
    minutes = forms.IntegerField(label=_("核实后的分钟数"), required=False, min_value=1)
    note = forms.CharField(label=_("处理意见"), max_length=200, required=False)

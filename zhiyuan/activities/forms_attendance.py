"""Forms of the check-in pages (``views_attendance.py``). They only parse: the rules live in
``attendance.py``."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

KIND_CHOICES = [("in", _("签到")), ("out", _("签退"))]


def new_request_id() -> str:
    return uuid.uuid4().hex


class _Check(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=KIND_CHOICES, initial="in", widget=forms.RadioSelect)
    client_request_id = forms.RegexField(regex=r"^[A-Za-z0-9_.:-]{8,64}$", widget=forms.HiddenInput)
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)


class VolunteerCheckForm(_Check):
    """The volunteer's scan page: the scanned QR token, or the 6-digit code typed in."""

    token = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
    code = forms.RegexField(
        label=_("签到码"),
        regex=r"^[0-9]{6}$",
        required=False,
        error_messages={"invalid": _("请输入6位数字签到码。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}),
    )

    def clean(self):
        data = super().clean()
        if not data.get("token") and not data.get("code"):
            raise forms.ValidationError(_("请扫描组织者屏幕上的二维码，或输入6位签到码。"))
        return data


class EcardScanForm(_Check):
    token = forms.CharField(label=_("电子志愿者证二维码"), max_length=1000, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class ManualForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=KIND_CHOICES, initial="in")
    volunteer_no = forms.ChoiceField(label=_("志愿者"))
    at = forms.DateTimeField(
        label=_("实际时间"),
        required=False,
        help_text=_("不填为现在；班次结束后补录须填写。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label=_("补录原因"), max_length=200)
    client_request_id = forms.RegexField(regex=r"^[A-Za-z0-9_.:-]{8,64}$", widget=forms.HiddenInput)

    def __init__(self, *args, volunteers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer_no"].choices = [("", _("请选择"))] + [(no, f"{name}（{no}）") for no, name in volunteers]

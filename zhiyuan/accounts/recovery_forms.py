"""Forms of the account-recovery pages (shape only; the rules are in ``accounts.recovery``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.forms import MobileField, NewPasswordForm


class RecoverySendForm(forms.Form):
    mobile = MobileField()


class RecoveryResetForm(NewPasswordForm):
    mobile = MobileField()
    code = forms.CharField(
        label=_("验证码或重置码"),
        max_length=20,
        help_text=_("短信收到的6位验证码，或管理员给您的12位重置码。"),
        error_messages={"required": _("请输入验证码。"), "max_length": _("验证码错误或已过期，请重新获取。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )
    field_order = ["mobile", "code", "new_password", "new_password2"]


class AccountLookupForm(forms.Form):
    mobile = MobileField(label=_("手机号（精确查找）"))


class TotpResetForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"),
        max_length=200,
        error_messages={"required": _("请填写原因（200字以内）。"), "max_length": _("请填写原因（200字以内）。")},
    )

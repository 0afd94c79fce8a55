"""Forms of the account-recovery pages (shape only; the rules are in ``accounts.recovery``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.forms import MobileField, password_field

NEW_PASSWORD_HELP = _("至少8位，包含大写字母、小写字母、数字、符号中的至少三类，不能是常见密码或纯数字。")


class NewPasswordForm(forms.Form):
    new_password = password_field(_("新密码"), autocomplete="new-password", help_text=NEW_PASSWORD_HELP)
    new_password2 = password_field(_("再次输入新密码"), autocomplete="new-password")

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


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

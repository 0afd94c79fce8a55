"""Forms of the accounts pages. They check shape only; the rules live in ``services`` and their
DomainErrors are put back on the form with ``apply_domain_error``."""

import re
from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import role_object_picker
from zhiyuan.accounts.services import MAX_PASSWORD_LENGTH
from zhiyuan.core.audit_actions import audit_action_groups
from zhiyuan.core.picker import ObjectPickerField
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
MOBILE_MESSAGE = _("请输入11位中国大陆手机号码。")


def apply_domain_error(form: forms.Form, exc) -> None:
    """Show a service's DomainError on the form: field messages next to their fields, otherwise
    the main message at the top."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        if name in form.fields:
            for m in messages if isinstance(messages, list | tuple) else [messages]:
                form.add_error(name, m)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class MobileField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("手机号"))
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault(
            "error_messages",
            {"required": _("请输入手机号。"), "max_length": MOBILE_MESSAGE},
        )
        super().__init__(**kwargs)
        self.widget.input_type = "tel"
        self.widget.attrs.update({"autocomplete": "username", "inputmode": "numeric", "maxlength": "11"})

    def clean(self, value):
        value = super().clean(value)
        if value and not MOBILE_RE.fullmatch(value):
            raise forms.ValidationError(MOBILE_MESSAGE, code="invalid")
        return value


def password_field(label, *, autocomplete="current-password", help_text=""):
    return forms.CharField(
        label=label,
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        error_messages={
            "required": _("请输入密码。"),
            "max_length": _("密码不能超过 %(limit_value)d 个字符。"),
        },
    )


class LoginForm(forms.Form):
    mobile = MobileField()
    password = password_field(_("密码"))


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6位验证码"),
        max_length=10,
        error_messages={"required": _("请输入验证码。"), "max_length": _("请输入6位数字验证码。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "maxlength": "7"}
        ),
    )

    def clean_code(self):
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("请输入6位数字验证码。"), code="invalid")
        return code


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("姓名"), max_length=50, required=False, error_messages={"max_length": _("姓名不能超过50个字符。")}
    )
    email = forms.EmailField(
        label=_("电子邮箱"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("请输入有效的电子邮箱地址。"), "max_length": _("电子邮箱过长。")},
    )


class NewPasswordForm(forms.Form):
    """A new password typed twice (password change, account recovery)."""

    new_password = password_field(
        _("新密码"),
        autocomplete="new-password",
        help_text=_("至少8位，包含大写字母、小写字母、数字、符号中的至少三类，不能是常见密码或纯数字。"),
    )
    new_password2 = password_field(_("再次输入新密码"), autocomplete="new-password")

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


class PasswordChangeForm(NewPasswordForm):
    old_password = password_field(_("当前密码"))

    field_order = ["old_password", "new_password", "new_password2"]


class TotpDisableForm(forms.Form):
    password = password_field(_("当前密码"))


TOKEN_LIFETIMES = [
    ("30", _("30天")),
    ("90", _("90天")),
    ("365", _("1年")),
    ("", _("长期有效")),
]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=100,
        help_text=_("例如：区级平台数据同步"),
        error_messages={"required": _("请填写令牌名称。"), "max_length": _("名称不能超过100个字符。")},
    )
    can_write = forms.BooleanField(label=_("允许写入（否则只读）"), required=False)
    region_prefix = RegionCascadeField(
        label=_("限定区划（可选）"),
        required=False,
        min_level=Level.PROVINCE,
        max_level=Level.VILLAGE,
        help_text=_("令牌只能访问此区划内的数据；须在您的管辖范围内。"),
    )
    lifetime = forms.ChoiceField(label=_("有效期"), choices=TOKEN_LIFETIMES, required=False, initial="90")


OBJECT_FIELDS = {Role.ORG_ADMIN: "organization", Role.STATION_ADMIN: "service_point"}


class RoleGrantForm(forms.Form):
    mobile = MobileField(label=_("用户手机号"), help_text=_("被授权人须已注册账号。"))
    role = forms.ChoiceField(
        label=_("角色"), error_messages={"required": _("请选择角色。"), "invalid_choice": _("请选择有效的角色。")}
    )
    region_code = RegionCascadeField(
        label=_("管辖区划"),
        required=False,
        min_level=Level.PROVINCE,
        max_level=Level.VILLAGE,
        help_text=_("授予区域管理员时必填。"),
    )
    # The organization or service point an org_admin / station_admin grant names, each chosen with
    # its own search picker (only objects the granter may see; role_grant checks the choice). A
    # plain ``object_id`` is still accepted (older forms, scripts); it is not shown.
    organization = ObjectPickerField(
        label=_("管辖组织"),
        url_name="accounts:role_objects",
        required=False,
        placeholder=_("输入组织名称或区划搜索"),
        help_text=_("授予组织管理员时选择。只列出您管辖范围内状态正常的组织。"),
    )
    service_point = ObjectPickerField(
        label=_("管辖站点"),
        url_name="accounts:role_objects",
        required=False,
        placeholder=_("输入站点名称或区划搜索"),
        help_text=_("授予站点管理员时选择。只列出您管辖范围内运行中的站点。"),
    )
    object_id = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("请输入整数编号。"), "min_value": _("编号须为正整数。"), "max_value": _("编号过大。")},
    )

    def __init__(self, *args, roles: list[str], root: str | None = None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("请选择"))] + [(r, Role(r).label) for r in roles]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0]
        if root:
            self.fields["region_code"].set_root(root)
        for role, name in OBJECT_FIELDS.items():
            find = role_object_picker(role)
            if role not in roles or find is None or actor is None:
                del self.fields[name]
                continue
            self.fields[name].bind(partial(find, actor=actor))
            self.fields[name].widget.extra_vals = {"role": role}

    def object_field(self, role: str) -> str | None:
        """The picker field of ``role`` on this form, if any."""
        name = OBJECT_FIELDS.get(role)
        return name if name in self.fields else None

    def clean(self):
        data = super().clean()
        role = data.get("role") or ""
        chosen = self.object_field(role)
        unused = [n for n in OBJECT_FIELDS.values() if n != chosen]
        if role in OBJECT_FIELDS:
            unused.append("region_code")  # the object's region is used
        for name in unused:  # fields the chosen role does not use (hidden on the page)
            if self._errors.pop(name, None):
                data[name] = "" if name == "region_code" else None
        if chosen and data.get(chosen):
            data["object_id"] = data[chosen]
        return data


class RevokeForm(forms.Form):
    confirm = forms.BooleanField(label=_("我确认撤销此角色"), error_messages={"required": _("请勾选确认后再撤销。")})


def audit_action_choices(current: str = "") -> list:
    """The action filter's options: every registered action by its label, grouped by app, each
    group led by an option for all of its actions (a code prefix). A value from the address that
    is neither (an older prefix link) is kept as an option of its own, so the filter shows it."""
    choices: list = [("", _("全部操作"))]
    values = {""}
    for group in audit_action_groups():
        options = [(group.prefix, _("%(group)s（全部）") % {"group": group.label})]
        options += [(code, label) for code, label in group.actions.items()]
        values.update(code for code, _label in options)
        choices.append((group.label, options))
    if current and current not in values:
        choices.append((current, _("以“%(prefix)s”开头") % {"prefix": current}))
    return choices

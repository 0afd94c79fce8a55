"""Forms of the volunteers pages. They only collect input; every rule lives in the services
(the same as the API), whose per-field Chinese messages are put back on the form by
:func:`apply_domain_error`."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level
from zhiyuan.volunteers import availability, code_tables
from zhiyuan.volunteers.models import GuardianConsent, ProfileCorrectionRequest
from zhiyuan.volunteers.services.profile import ProfileChange
from zhiyuan.volunteers.services.registration import RegistrationInput


def gender_choices():
    return [("", _("（证件号码含性别时无需选择）")), *code_tables.gender_selectable_choices()]


def id_type_choices():
    return code_tables.id_type_choices()


def apply_domain_error(form: forms.Form, exc) -> None:
    """Put a DomainError's field messages next to the fields (unknown fields: form-wide)."""
    fields = getattr(exc, "fields", None) or {}
    if not fields:
        form.add_error(None, str(exc.message))
        return
    for name, messages in fields.items():
        messages = messages if isinstance(messages, list | tuple) else [messages]
        target = name if name in form.fields else None
        if name.startswith("guardian") and "guardian_name" in form.fields and name not in form.fields:
            target = None
        if name == "home_location" and "home_lat" in form.fields:
            target = "home_lat"
        for m in messages:
            form.add_error(target, str(m))


def _text(label, **kw):
    kw.setdefault("required", False)
    return forms.CharField(label=label, strip=False, **kw)


class RegistrationForm(forms.Form):
    """VOL-1/5/7: the mobile-first registration page. Lengths and formats are checked by
    ``registration_validate`` so the page and the API say the same thing."""

    name = _text(_("姓名"), help_text=_("与证件上的姓名一致"), widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_type = forms.ChoiceField(label=_("证件类型"), choices=(), initial="111")
    id_number = _text(
        _("证件号码"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    gender = forms.ChoiceField(label=_("性别"), choices=gender_choices, required=False)
    birth_date = _text(
        _("出生日期"),
        help_text=_("证件号码不含出生日期时填写（护照、港澳台通行证等）"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    region_code = RegionCascadeField(
        label=_("居住地（街道/乡镇、社区/村）"),
        min_level=Level.TOWN,
        max_level=Level.VILLAGE,
        required=False,
        start_at_home=True,
    )
    mobile = _text(_("手机号"), widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}))
    password = _text(
        _("登录密码"),
        help_text=_("至少8位，包含大写字母、小写字母、数字、符号中的至少三类"),
        # render_value: a page that comes back with an error elsewhere keeps what was typed
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )
    password2 = _text(_("确认密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True))
    email = _text(_("电子邮箱（可选）"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    guardian_name = _text(_("监护人姓名"))
    guardian_relation = forms.ChoiceField(
        label=_("与本人关系"), choices=[("", "—"), *GuardianConsent.Relation.choices], required=False
    )
    guardian_mobile = _text(_("监护人手机号"), widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric"}))
    guardian_consent = forms.BooleanField(label=_("我是其监护人，已阅读隐私政策，同意其注册为志愿者"), required=False)
    privacy_version = forms.CharField(widget=forms.HiddenInput, required=False)
    accept_privacy = forms.BooleanField(label=_("我已阅读并同意《志愿者个人信息保护告知书》"), required=False)
    accept_oath = forms.BooleanField(label=_("我已阅读并承诺遵守志愿者誓词"), required=False)

    ACCOUNT_FIELDS = ("mobile", "password", "password2")

    def __init__(self, *args, with_account: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_type"].choices = id_type_choices()
        self.with_account = with_account
        if not with_account:
            for name in self.ACCOUNT_FIELDS:
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if self.with_account and data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data

    def service_input(self) -> RegistrationInput:
        return RegistrationInput(**{k: v for k, v in self.cleaned_data.items() if k != "password2"})


class ProfileForm(forms.Form):
    """VOL-4: what the person may edit themselves."""

    political_status = forms.ChoiceField(label=_("政治面貌"), required=False, choices=())
    education = forms.ChoiceField(label=_("学历"), required=False, choices=())
    ethnicity = forms.ChoiceField(label=_("民族"), required=False, choices=())
    email = _text(_("电子邮箱"), widget=forms.EmailInput)
    region_code = RegionCascadeField(
        label=_("居住地（街道/乡镇、社区/村）"),
        min_level=Level.TOWN,
        max_level=Level.VILLAGE,
        required=False,
        start_at_home=True,
    )
    home_lat = _text(_("居住地纬度"), widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "23.111"}))
    home_lng = _text(_("居住地经度"), widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "114.416"}))
    accept_location = forms.BooleanField(
        label=_("我单独同意平台使用我的居住位置就近匹配活动（不向任何人展示，可随时删除）"), required=False
    )
    skills = forms.MultipleChoiceField(label=_("技能特长与资质"), required=False, choices=(), widget=forms.CheckboxSelectMultiple)
    service_categories = forms.MultipleChoiceField(
        label=_("服务意向"), required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )
    availability = forms.MultipleChoiceField(
        label=_("可服务时间"), required=False, choices=[(k, k) for k in availability.ALL_KEYS]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        self.fields["political_status"].choices = blank + code_tables.political_status_choices()
        self.fields["education"].choices = blank + code_tables.education_choices()
        self.fields["ethnicity"].choices = blank + code_tables.ethnicity_choices()
        self.fields["skills"].choices = code_tables.skill_choices()
        self.fields["service_categories"].choices = code_tables.service_category_choices()

    def service_input(self, post) -> ProfileChange:
        d = dict(self.cleaned_data)
        d["skills"] = [{"code": c, "detail": (post.get(f"skill_detail_{c}") or "")} for c in d["skills"]]
        if not d["home_lat"] and not d["home_lng"]:
            d["home_lat"] = d["home_lng"] = None
        return ProfileChange(**d)


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("证件照"),
        help_text=_("JPG或PNG格式，不超过2MB；仅本人和有权限的管理人员可见"),
        error_messages={"required": _("请选择照片文件。")},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("更正项目"), choices=ProfileCorrectionRequest.Field.choices)
    name = _text(_("正确的姓名"))
    id_type = forms.ChoiceField(label=_("正确的证件类型"), choices=(), required=False)
    id_number = _text(_("正确的证件号码"), widget=forms.TextInput(attrs={"autocomplete": "off"}))
    gender = forms.ChoiceField(label=_("正确的性别"), choices=code_tables.gender_selectable_choices, required=False)
    birth_date = _text(_("正确的出生日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = _text(
        pgettext_lazy("correction request", "说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("请说明错误之处，管理人员核实后更正"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_type"].choices = [("", "—"), *id_type_choices()]


class ReasonForm(forms.Form):
    reason = _text(_("原因"), widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(label=_("我已了解后果并确认"), required=True, error_messages={"required": _("请勾选确认。")})

"""Forms of the manager pages (list filters, document search, status change, import upload).
They collect input; the rules live in the selectors and services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_region_prefixes
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level
from zhiyuan.volunteers import code_tables
from zhiyuan.volunteers.idcards import IdType
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.selectors_manage import DEFAULT_SORT, VolunteerFilters

PAGE_SIZES = (20, 50, 100)
GENDER_CHOICES = [("", _("全部性别")), ("1", _("男")), ("2", _("女")), ("9", _("未说明")), ("0", _("未知"))]
SORT_CHOICES = [
    ("-registered_at", _("注册时间（新→旧）")),
    ("registered_at", _("注册时间（旧→新）")),
    ("name", _("姓名")),
    ("volunteer_no", _("志愿者编号")),
    ("age", _("年龄（小→大）")),
    ("-age", _("年龄（大→小）")),
]


def _all(label, choices):
    return [("", label), *choices]


class VolunteerFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名/编号/手机号"), required=False, max_length=50)
    region = RegionCascadeField(label=_("居住区划"), required=False, min_level=Level.PROVINCE, max_level=Level.VILLAGE)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_all(_("全部状态"), Volunteer.Status.choices))
    gender = forms.ChoiceField(label=_("性别"), required=False, choices=GENDER_CHOICES)
    age_min = forms.IntegerField(label=_("最小年龄"), required=False, min_value=0, max_value=120)
    age_max = forms.IntegerField(label=_("最大年龄"), required=False, min_value=0, max_value=120)
    political_status = forms.ChoiceField(label=_("政治面貌"), required=False)
    skill = forms.ChoiceField(label=_("技能特长"), required=False)
    service_category = forms.ChoiceField(label=_("服务意向"), required=False)
    registered_from = forms.DateField(label=_("注册日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    registered_to = forms.DateField(label=_("注册日期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORT_CHOICES)
    page_size = forms.TypedChoiceField(
        label=_("每页条数"), required=False, coerce=int, empty_value=PAGE_SIZES[0], choices=[(n, n) for n in PAGE_SIZES]
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["political_status"].choices = _all(_("全部"), code_tables.political_status_choices())
        self.fields["skill"].choices = _all(_("全部"), code_tables.skill_choices())
        self.fields["service_category"].choices = _all(_("全部"), code_tables.service_category_choices())
        if actor is not None and not actor_is_platform_admin(actor):
            prefixes = actor_region_prefixes(actor)
            if len(prefixes) == 1:
                self.fields["region"].set_root(prefixes[0].ljust(12, "0"))

    def clean(self):
        data = super().clean()
        lo, hi = data.get("age_min"), data.get("age_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("age_max", _("最大年龄不能小于最小年龄。"))
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            self.add_error("registered_to", _("结束日期不能早于开始日期。"))
        return data

    def filters(self) -> VolunteerFilters:
        """The valid filters (an invalid form filters nothing rather than everything wrongly)."""
        if not self.is_bound or not self.is_valid():
            return VolunteerFilters()
        d = self.cleaned_data
        return VolunteerFilters(
            q=d["q"], region=d["region"] or "", status=d["status"], gender=d["gender"], age_min=d["age_min"],
            age_max=d["age_max"], political_status=d["political_status"], skill=d["skill"],
            service_category=d["service_category"], registered_from=d["registered_from"],
            registered_to=d["registered_to"], sort=d["sort"] or DEFAULT_SORT,
        )  # fmt: skip

    def rows_per_page(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("page_size"):
            return self.cleaned_data["page_size"]
        return PAGE_SIZES[0]


class DocumentSearchForm(forms.Form):
    """Exact search by document number — always POSTed, never put into a URL, never rendered
    back into the page (``render_value`` off)."""

    id_type = forms.ChoiceField(label=_("证件类型"), required=False, choices=_all(_("任意证件类型"), IdType.choices))
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=64,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(label=_("变更为"), choices=Volunteer.Status.choices)
    reason = forms.CharField(label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
    valid_only = forms.BooleanField(label=_("只导入校验通过的行（默认：有任何错误则整批不导入）"), required=False)
    # A fresh id per rendered form: submitting the same form twice gives the same job (rule 5).
    client_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def clean_file(self):
        from zhiyuan.volunteers.services.import_jobs import max_upload_bytes, upload_too_large_message

        f = self.cleaned_data["file"]
        if f.size > max_upload_bytes():
            raise forms.ValidationError(upload_too_large_message())
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的Excel文件（可先下载导入模板）。"))
        return f

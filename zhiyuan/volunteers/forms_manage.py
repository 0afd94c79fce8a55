"""Forms of the manager pages (document search, status change, import upload). They collect
input; the rules live in the selectors and services. The list's filters are ``lists.VolunteerFilter``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.volunteers.idcards import IdType
from zhiyuan.volunteers.models import Volunteer


def _all(label, choices):
    return [("", label), *choices]


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

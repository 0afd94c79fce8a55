"""Page forms of the training app: they parse input into the services' keyword arguments; every
rule stays in ``services`` (errors come back through ``apply_domain_error``)."""

from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.picker import ObjectPickerField
from zhiyuan.organizations.picker import organization_options
from zhiyuan.regions.forms import RegionCascadeField, region_picker_root
from zhiyuan.training.models import Level, QualificationType, Trainer, TrainingBase, TrainingCourse
from zhiyuan.volunteers import code_tables

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CourseForm(forms.Form):
    name = forms.CharField(label=_("课程名称"), max_length=100)
    category = forms.ChoiceField(label=_("服务类别"), choices=code_tables.service_category_choices)
    level = forms.ChoiceField(label=_("级别"), choices=Level.choices)
    hours = forms.DecimalField(label=_("学时"), min_value=0.1, max_value=999, decimal_places=1)
    syllabus = forms.CharField(label=_("教学大纲"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    materials = forms.CharField(label=_("学习资料"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    validity_months = forms.IntegerField(label=_("证书有效期（月）"), required=False, min_value=1, max_value=240)
    qualification_type = forms.ModelChoiceField(
        label=_("对应资格"), queryset=QualificationType.objects.filter(active=True), required=False
    )
    online = forms.BooleanField(label=_("线上课程（含测验）"), required=False)
    pass_mark = forms.IntegerField(label=_("及格分"), initial=60, min_value=0, max_value=100)
    questions_per_attempt = forms.IntegerField(label=_("每次抽题数"), initial=10, min_value=1, max_value=100)
    max_attempts = forms.IntegerField(label=_("可考次数"), initial=3, min_value=1, max_value=20)
    region_code = forms.CharField(label=_("所属区划代码"), max_length=12, required=False)
    organization_id = forms.IntegerField(label=_("开课组织编号"), required=False, min_value=1)


class SessionForm(forms.Form):
    course = forms.ModelChoiceField(label=_("课程"), queryset=TrainingCourse.objects.none())
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DATETIME)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10000)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    trainer = forms.ModelChoiceField(label=_("培训师"), queryset=Trainer.objects.none(), required=False)
    base = forms.ModelChoiceField(label=_("培训基地"), queryset=TrainingBase.objects.none(), required=False)

    def __init__(self, *args, courses=None, trainers=None, bases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["trainer"].queryset = trainers
        self.fields["base"].queryset = bases


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("题目"), max_length=500)
    options = forms.CharField(label=_("选项（每行一个）"), widget=forms.Textarea(attrs={"rows": 4}))
    answer = forms.CharField(label=_("正确选项序号（从1开始，多个用逗号分隔）"), max_length=20)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        options = [line.strip() for line in d["options"].splitlines() if line.strip()]
        try:
            answer = [int(x) - 1 for x in d["answer"].replace("，", ",").split(",") if x.strip()]
        except ValueError:
            answer = []
        return {"text": d["text"], "options": options, "answer": answer, "kind": "multiple" if len(answer) > 1 else "single"}


class QualificationForm(forms.Form):
    qualification_type = forms.ModelChoiceField(label=_("资格类型"), queryset=QualificationType.objects.filter(active=True))
    certificate_no = forms.CharField(label=_("证书编号"), max_length=40)
    issuer = forms.CharField(label=_("发证机构"), max_length=100)
    issued_on = forms.DateField(label=_("发证日期"), widget=DATE)
    expires_on = forms.DateField(label=_("有效期至（没有可不填）"), widget=DATE, required=False)
    evidence = forms.FileField(label=_("证书照片或PDF（不超过5MB）"))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("不通过"))])
    reason = forms.CharField(label=_("审核意见"), max_length=200, required=False)


class EvaluationForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("评价"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)])
    comment = forms.CharField(label=_("意见"), max_length=500, required=False)


class CertifiedForm(forms.Form):
    """A trainer or a training base: its own text, the certification number and dates and, when
    it is new, whose it is — a region (region managers) or an organization (its admins, or a
    region manager naming one of their region's). ``SUBJECT_FIELDS`` are the model's own."""

    SUBJECT_FIELDS: tuple[str, ...] = ()
    certification_no = forms.CharField(label=_("证书编号"), max_length=40)
    certified_on = forms.DateField(label=_("发证日期"), widget=DATE)
    expires_on = forms.DateField(label=_("有效期至"), widget=DATE)
    region_code = RegionCascadeField(label=_("所属区划"), required=False, help_text=_("区域管理员填写；组织管理员选择组织即可。"))
    organization_id = ObjectPickerField(
        label=_("所属组织"),
        url_name="training:organization_options",
        required=False,
        allow_empty=True,
        empty_label=_("不属于某个组织"),
        placeholder=_("输入组织名称或区划搜索"),
    )

    def __init__(self, *args, actor, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the owner stays what it was
            del self.fields["region_code"], self.fields["organization_id"]
        else:
            self.fields["region_code"].set_root(region_picker_root(actor))
            self.fields["organization_id"].bind(partial(organization_options, actor=actor, action="manage"))

    def texts(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.SUBJECT_FIELDS}

    def certification(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("certification_no", "certified_on", "expires_on")}


class TrainerForm(CertifiedForm):
    SUBJECT_FIELDS = ("name", "specialty")
    name = forms.CharField(label=_("姓名"), max_length=50)
    specialty = forms.CharField(label=_("专长"), max_length=100, required=False)
    field_order = ["name", "specialty", "certification_no", "certified_on", "expires_on", "region_code", "organization_id"]


class TrainingBaseForm(CertifiedForm):
    SUBJECT_FIELDS = ("name", "address")
    name = forms.CharField(label=_("名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200)
    field_order = ["name", "address", "certification_no", "certified_on", "expires_on", "region_code", "organization_id"]

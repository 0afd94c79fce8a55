"""Forms of the organizer's activity pages (ACT-2): the activity with its schedule, and a formset
of positions. They collect input; every rule is checked in ``services.py``."""

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.activities import services
from zhiyuan.activities.forms_projects import DateInput, organizer_choices
from zhiyuan.activities.models import EnrollmentMode, Visibility
from zhiyuan.activities.schedule import WEEKDAY_LABELS, Recurrence
from zhiyuan.volunteers.code_tables import service_category_choices, skill_choices

SCHEDULE_CHOICES = [("single", _("单次活动")), ("weekly", _("每周重复"))]
KEEP = ("keep", _("不修改时间安排"))
DATES_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ActivityForm(forms.Form):
    organization_id = forms.ChoiceField(label=_("组织单位"))
    title = forms.CharField(label=_("活动名称"), max_length=100)
    category = forms.ChoiceField(label=_("服务类别"))
    project_id = forms.ChoiceField(label=_("所属项目"), required=False)
    content = forms.CharField(label=_("服务内容"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    conditions = forms.CharField(label=_("招募条件"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    signup_method = forms.CharField(label=_("报名方式"), required=False, max_length=200, initial=_("在本平台在线报名"))
    risks = forms.CharField(label=_("风险提示"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    safeguards = forms.CharField(label=_("保障措施"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    contact_name = forms.CharField(label=_("联系人"), required=False, max_length=50)
    contact_phone = forms.CharField(label=_("联系电话"), required=False, max_length=20)
    address = forms.CharField(label=_("活动地点"), required=False, max_length=200)
    latitude = forms.CharField(label=_("纬度"), required=False, max_length=20, help_text=_("在地图上点选，或填写如 23.111800"))
    longitude = forms.CharField(label=_("经度"), required=False, max_length=20, help_text=_("如 114.416200"))
    geofence_m = forms.IntegerField(label=_("签到范围（米）"), initial=300, min_value=10, max_value=10_000)
    visibility = forms.ChoiceField(label=_("招募范围"), choices=Visibility.choices, initial=Visibility.PUBLIC)
    enrollment_mode = forms.ChoiceField(label=_("录用方式"), choices=EnrollmentMode.choices, initial=EnrollmentMode.AUTO)
    cancel_deadline_hours = forms.IntegerField(label=_("取消截止（开始前小时数）"), initial=24, min_value=0, max_value=720)
    # the schedule: a single event, or a weekly series with exceptions
    schedule = forms.ChoiceField(label=_("时间安排"), choices=SCHEDULE_CHOICES, initial="single", widget=forms.RadioSelect)
    date = forms.DateField(label=_("日期"), required=False, widget=DateInput())
    start_time = forms.TimeField(label=_("开始时间"), required=False, widget=TimeInput())
    end_time = forms.TimeField(label=_("结束时间"), required=False, widget=TimeInput())
    weekdays = forms.MultipleChoiceField(
        label=_("每周"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(str(i), label) for i, label in enumerate(WEEKDAY_LABELS)],
    )  # fmt: skip
    first_date = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    exceptions = forms.CharField(
        label=_("例外日期（不举办）"), required=False, max_length=4000,
        help_text=_("多个日期用逗号或空格分隔，如 2026-12-25, 2027-01-01"),
    )  # fmt: skip

    def __init__(self, *args, actor, activity=None, project_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("请选择")), *service_category_choices()]
        self.fields["project_id"].choices = [("", _("不属于项目")), *project_choices]
        if activity is not None:
            del self.fields["organization_id"]
            self.fields["schedule"].choices = [KEEP, *SCHEDULE_CHOICES]
            self.fields["schedule"].initial = "keep"
        else:
            self.fields["organization_id"].choices = organizer_choices(actor)

    def clean_exceptions(self):
        raw = self.cleaned_data.get("exceptions") or ""
        dates = DATES_RE.findall(raw)
        leftover = DATES_RE.sub("", raw).replace(",", " ").replace("，", " ").replace("、", " ").split()
        if leftover:
            raise forms.ValidationError(_("例外日期格式应为 YYYY-MM-DD。"))
        return dates

    def clean(self):
        d = super().clean()
        mode = d.get("schedule")
        if mode == "single":
            for name in ("date", "start_time", "end_time"):
                if not d.get(name) and name not in self.errors:
                    self.add_error(name, _("单次活动请填写日期和起止时间。"))
        elif mode == "weekly":
            for name in ("weekdays", "start_time", "end_time", "first_date", "until"):
                if not d.get(name) and name not in self.errors:
                    self.add_error(name, _("每周重复请填写星期、起止时间和日期范围。"))
        return d

    def service_input(self, positions) -> services.ActivityInput:
        d = dict(self.cleaned_data)
        data = {k: d[k] for k in (
            "title", "category", "content", "conditions", "signup_method", "risks", "safeguards", "contact_name",
            "contact_phone", "address", "latitude", "longitude", "geofence_m", "visibility", "enrollment_mode",
            "cancel_deadline_hours",
        )}  # fmt: skip
        data["project_id"] = d.get("project_id") or None
        mode = d.get("schedule")
        if mode == "single":
            data["shifts"] = [(_at(d["date"], d["start_time"]), _at(d["date"], d["end_time"]))]
        elif mode == "weekly":
            data["recurrence"] = Recurrence(
                weekdays=[int(x) for x in d["weekdays"]], start=d["start_time"], end=d["end_time"],
                first=d["first_date"], until=d["until"], exceptions=d["exceptions"],
            )  # fmt: skip
        if positions is not None:
            data["positions"] = positions
        return services.ActivityInput(**data)


def _at(day: dt.date, at: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, at))


class PositionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("岗位名称"), max_length=50)
    duties = forms.CharField(label=_("岗位职责"), required=False, max_length=1000)
    slots = forms.IntegerField(label=_("每班次名额"), min_value=1, max_value=10_000)
    skills = forms.MultipleChoiceField(label=_("所需技能"), required=False, widget=forms.CheckboxSelectMultiple)
    min_age = forms.IntegerField(label=_("最低年龄"), required=False, min_value=0, max_value=120)
    max_age = forms.IntegerField(label=_("最高年龄"), required=False, min_value=0, max_value=120)
    minors_allowed = forms.BooleanField(label=_("允许未成年人（须监护人同意）"), required=False)
    dangerous = forms.BooleanField(label=_("危险岗位（不招募未成年人）"), required=False)
    insurance_required = forms.BooleanField(label=_("须有保险"), required=False)
    required_course_ids = forms.MultipleChoiceField(label=_("须完成的培训"), required=False)
    required_qualification_ids = forms.MultipleChoiceField(label=_("须具备的资格"), required=False)

    def __init__(self, *args, courses=(), qualifications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skills"].choices = skill_choices()
        self.fields["required_course_ids"].choices = list(courses)
        self.fields["required_qualification_ids"].choices = list(qualifications)

    def position_input(self) -> services.PositionInput:
        d = dict(self.cleaned_data)
        d.pop("DELETE", None)
        return services.PositionInput(**d)


PositionFormSet = forms.formset_factory(PositionForm, extra=1, can_delete=True, max_num=services.MAX_POSITIONS)


def requirement_choices() -> tuple[list, list]:
    """Active training courses and qualification types a position may require (at most 300
    courses, newest first)."""
    from zhiyuan.training.models import CourseStatus, QualificationType, TrainingCourse

    courses = [(str(c.pk), c.name) for c in TrainingCourse.objects.filter(status=CourseStatus.ACTIVE).order_by("-id")[:300]]
    quals = [(str(q.pk), q.name) for q in QualificationType.objects.filter(active=True).order_by("id")]
    return courses, quals

"""Forms of the project library (ACT-1). They collect input; every rule is checked in
``projects.py`` and its DomainError is put back on the form with ``apply_domain_error``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.activities import projects
from zhiyuan.activities.scopes import admin_org_ids
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level
from zhiyuan.volunteers.code_tables import service_category_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def organizer_choices(actor) -> list[tuple[str, str]]:
    """The active organizations the actor administers (and their active sub-teams)."""
    from django.db.models import Q

    from zhiyuan.organizations.models import Organization, Status

    ids = admin_org_ids(actor)
    if not ids:
        return []
    orgs = Organization.objects.filter(Q(pk__in=ids) | Q(parent_id__in=ids), status=Status.ACTIVE).order_by("name", "id")
    return [(str(o.pk), o.name) for o in orgs[:200]]


class ProjectForm(forms.Form):
    organization_id = forms.ChoiceField(label=_("申报组织"))
    name = forms.CharField(label=_("项目名称"), max_length=100)
    category = forms.ChoiceField(label=_("服务类别"))
    region_code = RegionCascadeField(
        label=_("所属区划"), required=False, min_level=Level.CITY, max_level=Level.TOWN,
        help_text=_("留空为组织所在区划；须在组织所在的地级市范围内。由该区划的管理部门审核。"),
    )  # fmt: skip
    target_group = forms.CharField(label=_("服务对象"), required=False, max_length=100)
    summary = forms.CharField(label=_("项目简介"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    goals = forms.CharField(label=_("项目目标"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    budget = forms.DecimalField(label=_("预算（元）"), required=False, min_value=0, max_digits=12, decimal_places=2)
    starts_on = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    ends_on = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())

    def __init__(self, *args, actor, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("请选择")), *service_category_choices()]
        if project is not None:
            del self.fields["organization_id"]  # fixed once created
        else:
            self.fields["organization_id"].choices = organizer_choices(actor)

    def service_input(self) -> projects.ProjectInput:
        d = dict(self.cleaned_data)
        d.pop("organization_id", None)
        return projects.ProjectInput(**d)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    is_demonstration = forms.BooleanField(label=_("示范项目"), required=False)
    is_brand = forms.BooleanField(label=_("品牌项目"), required=False)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("结项说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class EvaluateForm(forms.Form):
    outcome = forms.CharField(label=_("成效评估"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    outcome_score = forms.IntegerField(label=_("评估得分（0–100）"), min_value=0, max_value=100)


class FlagsForm(forms.Form):
    is_demonstration = forms.BooleanField(label=_("示范项目"), required=False)
    is_brand = forms.BooleanField(label=_("品牌项目"), required=False)

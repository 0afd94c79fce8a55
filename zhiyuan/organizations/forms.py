"""Forms collect input; every rule is checked in ``services`` and its DomainError is put back on
the form with ``apply_domain_error``."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhiyuan.organizations.models import Kind, Membership, SponsorType, TeamCategory
from zhiyuan.regions.forms import RegionCascadeField
from zhiyuan.regions.models import Level
from zhiyuan.volunteers.codes import ServiceCategory


def _text(label, max_length, required=False, **kwargs):
    return forms.CharField(label=label, max_length=max_length, required=required, **kwargs)


class ProfileForm(forms.Form):
    """What an organization admin keeps up to date."""

    intro = _text(_("简介"), 500, widget=forms.Textarea(attrs={"rows": 3}))
    address = _text(_("地址"), 200)
    contact_name = _text(_("联系人"), 50)
    contact_phone = _text(_("联系电话"), 20, help_text=_("11位手机号或带区号的固定电话"))
    sponsor_type = forms.ChoiceField(
        label=_("主管单位类型（队伍填写）"), required=False, choices=[("", _("（请选择）")), *SponsorType.choices]
    )
    sponsor_name = _text(_("主管单位名称（队伍填写）"), 100)
    team_category = forms.ChoiceField(
        label=_("队伍类别（队伍填写）"), required=False, choices=[("", _("（请选择）")), *TeamCategory.choices]
    )
    categories = forms.MultipleChoiceField(
        label=_("服务类别"),
        required=False,
        choices=ServiceCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("组织开展志愿服务的领域，可多选（最多8项）。"),
    )


class ManagerEditForm(ProfileForm):
    name = _text(_("名称"), 100)
    region_code = RegionCascadeField(label=_("所在区划"), required=False, min_level=Level.PROVINCE, max_level=Level.VILLAGE)
    uscc = _text(_("统一社会信用代码"), 30, help_text=_("志愿服务组织必填，队伍不填"))

    field_order = ["name", "region_code", "uscc"]


class ApplyForm(ManagerEditForm):
    kind = forms.ChoiceField(label=_("组织类型"), required=False, choices=[("", _("（请选择）")), *Kind.choices])
    parent_id = forms.ChoiceField(label=_("上级组织"), required=False, help_text=_("设立下级队伍时选择（须为该组织的管理员）。"))
    region_code = RegionCascadeField(
        label=_("所在区划"), required=False, min_level=Level.PROVINCE, max_level=Level.VILLAGE, start_at_home=True
    )

    field_order = ["name", "kind", "parent_id", "region_code", "uscc"]

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent_id"].choices = [("", _("（无）")), *((str(p.pk), p.name) for p in parents)]
        if not parents:
            self.fields["parent_id"].widget = forms.HiddenInput()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核结果"), choices=[("approve", _("通过")), ("reject", _("不通过"))])
    reason = _text(_("审核意见"), 200, help_text=_("不通过时必填，申请人可见。"))


class StatusForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"),
        choices=[("suspend", pgettext_lazy("action", "暂停")), ("reinstate", _("恢复")), ("deregister", _("注销"))],
    )
    reason = _text(_("原因"), 200)


class InviteForm(forms.Form):
    volunteer_no = _text(_("志愿者编号"), 16, required=True, error_messages={"required": _("请输入志愿者编号。")})
    role = forms.ChoiceField(label=_("角色"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class ReasonForm(forms.Form):
    reason = _text(_("原因"), 200)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Membership.Role.choices)

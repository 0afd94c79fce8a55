"""Forms of the evaluation pages (ACT-6). They parse; ``evaluations.py`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiyuan.activities.evaluations import COMMENT_MAX

STAR_CHOICES = [(n, "★" * n) for n in range(5, 0, -1)]


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("评分"), choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("请选择1至5星。"), "invalid_choice": _("评分须为1至5星。")},
    )  # fmt: skip
    comment = forms.CharField(label=_("评语"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class FeedbackForm(RatingForm):
    stars = forms.TypedChoiceField(
        label=_("您对这次服务满意吗？"), choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("请选择1至5星。"), "invalid_choice": _("评分须为1至5星。")},
    )  # fmt: skip
    comment = forms.CharField(
        label=_("意见和建议（选填）"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact = forms.CharField(label=_("联系方式（选填）"), required=False, max_length=50)
    # the honeypot: hidden from people (CSS and aria-hidden), filled in by form-filling bots
    website = forms.CharField(label=_("网址"), required=False, max_length=200)

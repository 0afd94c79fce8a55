"""A shift's attendance, declared once (ARCHITECTURE rule 7): the organizer's live list on the
check-in screen and ``GET /api/v1/activities/shifts/{id}/attendance`` derive from ``ATTENDANCE``.
A list inside a parent: the shift is fetched and authorized first (``shift_get_for_attendance``),
the rows start from ``Attendance.objects.visible_to`` (rule 1) and go forward by keyset."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.activities.attendance import flag_labels
from zhiyuan.activities.models import Attendance
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, ListSpec, Sort


def _hm(value) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value else ""


def attendance_source(actor, shift=None):
    if shift is None:
        return Attendance.objects.none()
    return Attendance.objects.visible_to(actor).filter(shift_id=shift.pk).select_related("volunteer")


class AttendanceFilter(django_filters.FilterSet):
    state = CodeFilter(
        method="filter_state",
        label=_("状态"),
        choices=[("open", _("未签退")), ("closed", _("已签退")), ("flagged", _("有异常标记"))],
        empty_label=_("全部"),
    )
    volunteer_no = django_filters.CharFilter(method="filter_no", label=_("志愿者编号"), max_length=16)

    def filter_state(self, qs, name, value):
        if value == "open":
            return qs.filter(check_out_at__isnull=True)
        if value == "closed":
            return qs.filter(check_out_at__isnull=False)
        if value == "flagged":
            return qs.exclude(flags=[])
        return qs

    def filter_no(self, qs, name, value):
        value = (value or "").strip().upper()
        return qs.filter(volunteer__volunteer_no=value) if value else qs


ATTENDANCE = ListSpec(
    name="activities.attendance",
    model=Attendance,
    object_type="activities.shift",
    source=attendance_source,
    filters=AttendanceFilter,
    sorts={
        "-check_in_at": Sort(_("签到时间（新→旧）"), ("-check_in_at", "-id")),
        "check_in_at": Sort(_("签到时间（旧→新）"), ("check_in_at", "id")),
    },
    default_sort="-check_in_at",
    page_size=50,
    page_sizes=(50, 100),
    columns=[
        Col("name", _("姓名"), role="key", value=lambda a: a.volunteer.name),
        Col("volunteer_no", _("志愿者编号"), role="key", value=lambda a: a.volunteer.volunteer_no),
        Col("state", _("状态"), role="status", value=lambda a: _("已签退") if a.check_out_at else _("已签到")),
        Col("check_in", _("签到"), value=lambda a: f"{_hm(a.check_in_at)} {a.get_check_in_method_display()}"),
        Col(
            "check_out",
            _("签退"),
            value=lambda a: f"{_hm(a.check_out_at)} {a.get_check_out_method_display()}" if a.check_out_at else "—",
        ),
        Col("flags", _("异常标记"), value=lambda a: "、".join(flag_labels(a.flags)) or "—"),
    ],
    export=[
        ExportCol(_("志愿者编号"), lambda a: a.volunteer.volunteer_no),
        ExportCol(_("姓名"), lambda a: a.volunteer.name),
        ExportCol(_("签到时间"), lambda a: timezone.localtime(a.check_in_at).strftime("%Y-%m-%d %H:%M")),
        ExportCol(_("签到方式"), lambda a: str(a.get_check_in_method_display())),
        ExportCol(
            _("签退时间"), lambda a: timezone.localtime(a.check_out_at).strftime("%Y-%m-%d %H:%M") if a.check_out_at else ""
        ),
        ExportCol(_("签退方式"), lambda a: str(a.get_check_out_method_display()) if a.check_out_at else ""),
        ExportCol(_("异常标记"), lambda a: "、".join(flag_labels(a.flags))),
        ExportCol(_("补录原因"), lambda a: a.reason),
    ],
    export_title=_("签到记录"),
    export_filename="attendance.xlsx",
)

"""The enrollment lists, each declared once (ARCHITECTURE rule 7; core/lists.py): the page, the
API operation and the export derive from the spec.

* ``MY_ENROLLMENTS`` — 「我的报名」: the signed-in volunteer's own sign-ups, upcoming (soonest
  first) or past (latest first), with the cancel button and its deadline
  (``/activities/my/enrollments/``, ``GET /activities/enrollments/mine``). Keyset on the
  ``(volunteer, starts_at)`` index.
* ``ACTIVITY_ENROLLMENTS`` — the organizer's list of one activity's sign-ups, a list inside a
  parent: the caller fetches the activity with ``activity_get_for_enrollments`` (404 outside the
  actor's view) and passes ``context={"activity": activity}``; filters by shift, position and
  status; accept / reject on the card; export with the mobile number masked
  (``/activities/<id>/enrollments/``, ``GET /activities/{id}/enrollments``, ``…/export.xlsx``).
"""

import datetime as dt

import django_filters
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import get_for
from zhiyuan.activities.models import Activity, Enrollment, EnrollmentStatus
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, IntFilter, ListSpec, Sort

UPCOMING, PAST = "upcoming", "past"
WHEN_CHOICES = [(UPCOMING, _("未开始")), (PAST, _("已开始或已结束"))]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _window(e) -> str:
    return f"{_when(e.starts_at)}–{timezone.localtime(e.ends_at).strftime('%H:%M')}"


# --- 我的报名 ------------------------------------------------------------------------------------


def my_source(actor):
    if not getattr(actor, "is_authenticated", False):
        return Enrollment.objects.none()
    return Enrollment.objects.filter(volunteer__user_id=actor.pk).select_related("activity", "slot__position", "attendance")


class MyEnrollmentFilter(django_filters.FilterSet):
    """Always bound, so the first visit shows the upcoming sign-ups."""

    when = CodeFilter(method="filter_when", label=_("时间"), choices=WHEN_CHOICES, empty_label=_("全部"))
    status = CodeFilter(label=_("状态"), choices=EnrollmentStatus.choices, empty_label=_("全部状态"))

    def __init__(self, data=None, *args, **kwargs):
        data = {"when": UPCOMING} if data is None else data
        super().__init__(data, *args, **kwargs)

    def filter_when(self, qs, name, value):
        now = timezone.now()
        if value == UPCOMING:
            return qs.filter(starts_at__gt=now)
        if value == PAST:
            return qs.filter(starts_at__lte=now)
        return qs


def _my_decorate(rows: list) -> list:
    from zhiyuan.activities.enrollment import cancel_deadline

    now = timezone.now()
    for e in rows:
        e.deadline = cancel_deadline(e)
        e.can_cancel = e.status in ("pending", "waitlisted", "accepted") and e.starts_at > now
        e.past_deadline = e.status == "accepted" and now >= e.deadline
        # the check-in page is offered from a day before the shift until its end
        e.can_check_in = e.status == "accepted" and e.starts_at - dt.timedelta(days=1) <= now < e.ends_at
        # a place served and checked out, its shift over: the rating page takes it (evaluations.participations)
        attendance = getattr(e, "attendance", None)
        e.can_rate = e.status == "accepted" and e.ends_at <= now and bool(attendance and attendance.check_out_at)
    return rows


MY_ENROLLMENTS = ListSpec(
    name="activities.my_enrollment",
    model=Enrollment,
    source=my_source,
    filters=MyEnrollmentFilter,
    sorts={
        "starts_at": Sort(_("活动时间（近→远）"), ("starts_at", "id")),
        "-starts_at": Sort(_("活动时间（新→旧）"), ("-starts_at", "-id")),
    },
    default_sort="starts_at",
    decorate=_my_decorate,
    columns=[
        Col(
            "activity",
            _("活动"),
            role="key",
            value=lambda e: e.activity.title,
            link=lambda e: reverse("activities:enroll", args=[e.activity_id]),
        ),
        Col("status", _("状态"), role="status", value=lambda e: e.get_status_display()),
        Col("position", _("岗位"), value=lambda e: e.slot.position.name),
        Col("time", _("班次时间"), value=_window),
        Col("address", _("地点"), value=lambda e: e.activity.address),
        Col("actions", _("操作"), role="action", template="activities/partials/_my_enrollment_actions.html"),
    ],
)


# --- an activity's enrollments (the organizer) ---------------------------------------------------


def activity_get_for_enrollments(actor, activity_id) -> Activity:
    """Fetch-and-authorize: the activity whose sign-ups ``actor`` may see (its organizing
    organization's admins, region managers of its region, platform admins); 404 otherwise."""
    return get_for(actor, Activity.objects.select_related("organization"), activity_id, "view")


def activity_source(actor, activity=None):
    if activity is None:
        return Enrollment.objects.none()
    qs = Enrollment.objects.visible_to(actor).filter(activity_id=activity.pk).select_related("volunteer__user", "slot__position")
    qs._activity = activity  # the filter form's shift and position pickers (``setup_form``)
    return qs


class ActivityEnrollmentFilter(django_filters.FilterSet):
    shift = IntFilter(field_name="shift_id", label=_("班次"), min_value=1)
    position = IntFilter(field_name="slot__position_id", label=_("岗位"), min_value=1)
    status = CodeFilter(label=_("状态"), choices=EnrollmentStatus.choices, empty_label=_("全部状态"))

    def setup_form(self, form, actor=None):
        """Shift and position as pickers of this activity's own (the page; the API takes ids)."""
        from django import forms

        activity = getattr(self.queryset, "_activity", None)
        if activity is None:
            return
        shifts = [("", _("全部班次"))] + [(str(s.pk), _window(s)) for s in activity.shifts.order_by("starts_at", "id")]
        positions = [("", _("全部岗位"))] + [(str(p.pk), p.name) for p in activity.positions.order_by("id")]
        form.fields["shift"].widget = forms.Select(choices=shifts)
        form.fields["position"].widget = forms.Select(choices=positions)


def _decision_cell_context(rows: list) -> list:
    from django.utils import timezone as tz

    now = tz.now()
    for e in rows:
        e.decidable = e.status in ("pending", "waitlisted", "accepted") and e.ends_at > now
    return rows


ACTIVITY_ENROLLMENTS = ListSpec(
    name="activities.enrollment",  # the export's audit action: activities.enrollment.export
    model=Enrollment,
    object_type="activities.activity",
    source=activity_source,
    filters=ActivityEnrollmentFilter,
    sorts={
        "id": Sort(_("报名先后（早→晚）"), ("id",)),
        "-id": Sort(_("报名先后（晚→早）"), ("-id",)),
    },
    default_sort="id",
    page_size=30,
    page_sizes=(30, 50, 100),
    decorate=_decision_cell_context,
    columns=[
        Col("name", _("姓名"), role="key", value=lambda e: e.volunteer.name),
        Col("volunteer_no", _("志愿者编号"), role="key", value=lambda e: e.volunteer.volunteer_no),
        Col("status", _("状态"), role="status", value=lambda e: e.get_status_display()),
        Col("position", _("岗位"), value=lambda e: e.slot.position.name),
        Col("time", _("班次时间"), value=_window),
        Col("applied_at", _("报名时间"), value=lambda e: _when(e.applied_at)),
        Col("note", _("报名留言"), value=lambda e: e.note or "—"),
        Col("actions", _("操作"), role="action", template="activities/partials/_enrollment_decision.html"),
    ],
    export=[
        ExportCol(_("志愿者编号"), lambda e: e.volunteer.volunteer_no),
        ExportCol(_("姓名"), lambda e: e.volunteer.name),
        ExportCol(_("手机号"), lambda e: e.volunteer.user.masked_mobile),  # masked: rule 4
        ExportCol(_("岗位"), lambda e: e.slot.position.name),
        ExportCol(_("班次时间"), _window),
        ExportCol(_("状态"), lambda e: str(e.get_status_display())),
        ExportCol(_("报名时间"), lambda e: _when(e.applied_at)),
        ExportCol(_("处理时间"), lambda e: _when(e.decided_at)),
        ExportCol(_("报名留言"), lambda e: e.note),
        ExportCol(_("原因"), lambda e: e.reason),
    ],
    export_title=_("报名名单"),
    export_filename="enrollments.xlsx",
)

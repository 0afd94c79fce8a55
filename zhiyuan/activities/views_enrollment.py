"""Enrollment pages (ACT-3), phone first. Thin: every rule is in ``activities.enrollment``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.scopes import can, pk_or_404
from zhiyuan.accounts.views import domain_http
from zhiyuan.activities import enrollment as svc
from zhiyuan.activities.enrollment_lists import ACTIVITY_ENROLLMENTS, MY_ENROLLMENTS, activity_get_for_enrollments
from zhiyuan.activities.models import Activity, ActivityStatus, Shift, Slot
from zhiyuan.core.errors import DomainError, NotFound
from zhiyuan.core.lists import list_export_response, list_page
from zhiyuan.volunteers.selectors import volunteer_for


def _activity_for_signup(activity_id) -> Activity:
    activity = (
        Activity.objects.select_related("organization", "insurance_policy")
        .exclude(status=ActivityStatus.DRAFT)
        .filter(pk=pk_or_404(activity_id))
        .first()
    )
    if activity is None:
        raise NotFound()
    return activity


def _signed_up_message(status: str) -> str:
    return {
        "accepted": _("报名成功，您已被录用。"),
        "waitlisted": _("名额已满，您已进入候补，有人取消时将按先后自动递补。"),
        "pending": _("报名已提交，等待组织方审核。"),
    }[status]


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def enroll_page(request, activity_id):
    """Pick a shift, then a position: each position says before the click whether the volunteer
    may take it and, if not, every reason."""
    activity = _activity_for_signup(activity_id)
    volunteer = volunteer_for(request.user)
    shifts = list(
        Shift.objects.filter(activity=activity, cancelled=False, starts_at__gt=timezone.now()).order_by("starts_at", "id")[:60]
    )
    error = ""
    wanted = request.POST.get("shift") if request.method == "POST" else request.GET.get("shift")
    if request.method == "POST":
        try:
            slot = svc.slot_for(
                activity_id=activity.pk, shift_id=request.POST.get("shift"), position_id=request.POST.get("position")
            )
            e = svc.enroll(request.user, slot, request.POST.get("note", ""))
            messages.success(request, _signed_up_message(e.status))
            return redirect("activities:my_enrollments")
        except DomainError as exc:
            if exc.status == 403:
                raise
            error = exc.message if exc.status != 404 else _("请选择有效的班次和岗位。")
    shift = next((s for s in shifts if str(s.pk) == str(wanted)), shifts[0] if shifts else None)
    positions = []
    if shift is not None:
        shift.activity = activity
        positions = svc.eligibility_for_shift(volunteer, shift)
    status = 409 if error else 200
    return render(
        request,
        "activities/enroll.html",
        {"activity": activity, "shifts": shifts, "shift": shift, "positions": positions, "error": error},
        status=status,
    )


@login_required
@require_GET
@domain_http
def my_enrollments(request):
    return list_page(request, MY_ENROLLMENTS, "activities/my_enrollments.html")


@login_required
@require_POST
@domain_http
def enrollment_cancel(request, enrollment_id):
    try:
        svc.cancel(request.user, enrollment_id, request.POST.get("reason", ""))
        messages.success(request, _("已取消报名。"))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
    return redirect("activities:my_enrollments")


@login_required
@require_GET
@domain_http
def enrollment_manage(request, activity_id):
    """The organizer's list of one activity's sign-ups, with the counts per position and shift."""
    activity = activity_get_for_enrollments(request.user, activity_id)
    slots = list(
        Slot.objects.filter(shift__activity_id=activity.pk)
        .select_related("shift", "position")
        .order_by("shift__starts_at", "position_id")[:50]
    )
    extra = {
        "activity": activity,
        "slots": slots,
        "can_decide": can(request.user, activity, "manage"),
        "can_export": can(request.user, activity, "export"),
    }
    return list_page(
        request, ACTIVITY_ENROLLMENTS, "activities/enrollment_manage.html", extra=extra, context={"activity": activity}
    )


@login_required
@require_POST
@domain_http
def enrollment_decide(request, activity_id, enrollment_id, decision):
    activity = activity_get_for_enrollments(request.user, activity_id)
    e = svc.enrollment_get_for_decision(request.user, enrollment_id)
    if e.activity_id != activity.pk:
        raise NotFound()
    try:
        e = svc.decide(request.user, e, decision, request.POST.get("reason", ""))
        if decision == svc.ACCEPT and e.status == "waitlisted":
            messages.warning(request, _("名额已满，已列入候补，有人取消时自动递补。"))
        else:
            messages.success(request, _("已录用。") if decision == svc.ACCEPT else _("已标记为不录用，并通知了志愿者。"))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(
            request, str(exc.message) if exc.status != 422 else "；".join(str(m) for v in exc.fields.values() for m in v)
        )
    return redirect("activities:enrollment_manage", activity_id=activity.pk)


@login_required
@require_GET
@domain_http
def enrollment_export(request, activity_id):
    activity = activity_get_for_enrollments(request.user, activity_id)
    return list_export_response(request, ACTIVITY_ENROLLMENTS, context={"activity": activity})

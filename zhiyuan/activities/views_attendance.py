"""Check-in pages (ACT-4), phone first. Thin: parse a form, call one service in
``attendance.py``, render. The organizer's screen shows the rotating QR code (SVG rendered here
with segno, refreshed by htmx), the 6-digit code, the live list and the manual-entry form; the
e-card scanner and the volunteer's scan page read QR codes with the phone camera
(``static/activities/attendance.js`` + vendored jsQR), with typed fallbacks."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.views import domain_http
from zhiyuan.activities import attendance as svc
from zhiyuan.activities.forms_attendance import EcardScanForm, ManualForm, VolunteerCheckForm, new_request_id
from zhiyuan.activities.lists_attendance import ATTENDANCE
from zhiyuan.activities.models import Enrollment, EnrollmentStatus
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_page
from zhiyuan.volunteers.forms import apply_domain_error


def _qr_svg(request, token: str) -> str:
    import segno

    url = request.build_absolute_uri(reverse("activities:attendance_scan")) + "?t=" + token
    return segno.make(url, error="m").svg_inline(scale=5, dark="#1f2328", light="#ffffff", border=2)


def _req(kind: str, data: dict) -> svc.CheckRequest:
    return svc.CheckRequest(
        kind=kind,
        client_request_id=data["client_request_id"],
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
    )


def _volunteers_of(shift) -> list[tuple[str, str]]:
    rows = (
        Enrollment.objects.filter(shift_id=shift.pk, status=EnrollmentStatus.ACCEPTED)
        .select_related("volunteer")
        .order_by("volunteer__volunteer_no")[:1000]
    )
    return [(e.volunteer.volunteer_no, e.volunteer.name) for e in rows]


def _session_context(request, shift) -> dict:
    session = svc.checkin_session(shift=shift)
    return {"shift": shift, "session": session, "qr_svg": _qr_svg(request, session["qr_token"])}


def _empty_text(request):
    """Unfiltered (the screen, its 10-second poll, the plain list), an empty list means nobody
    has checked in yet: say so rather than "no matching records"."""
    return None if request.GET else _("还没有人签到。")


def _screen(request, shift, *, manual_form=None, status=200):
    manual_form = manual_form or ManualForm(volunteers=_volunteers_of(shift), initial={"client_request_id": new_request_id()})
    context = {
        **_session_context(request, shift),
        "activity": shift.activity,
        "manual_form": manual_form,
        "list_url": reverse("activities:attendance_list", args=[shift.pk]),
        "empty_text": _empty_text(request),
    }
    return list_page(
        request, ATTENDANCE, "activities/attendance/screen.html", extra=context, context={"shift": shift}, status=status
    )


@never_cache
@login_required
@domain_http
@require_GET
def attendance_screen(request, shift_id: int):
    """The organizer's check-in screen for one shift (on a tablet at the door, or a phone)."""
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id)
    return _screen(request, shift)


@never_cache
@login_required
@domain_http
@require_GET
def attendance_session(request, shift_id: int):
    """htmx fragment: the current QR code and session code (polled every refresh step)."""
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id)
    return render(request, "activities/attendance/partials/_session.html", _session_context(request, shift))


@never_cache
@login_required
@domain_http
@require_GET
def attendance_list(request, shift_id: int):
    """The live list of the shift's attendance (htmx polls it; a plain request gets the page)."""
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id, action="view")
    extra = {"shift": shift, "empty_text": _empty_text(request)}
    return list_page(request, ATTENDANCE, "activities/attendance/list.html", extra=extra, context={"shift": shift})


@login_required
@domain_http
@require_POST
def attendance_manual(request, shift_id: int):
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id)
    form = ManualForm(request.POST, volunteers=_volunteers_of(shift))
    if form.is_valid():
        data = form.cleaned_data
        try:
            result, _replayed = svc.attendance_record_manual(
                actor=request.user,
                shift=shift,
                req=svc.CheckRequest(kind=data["kind"], client_request_id=data["client_request_id"]),
                reason=data["reason"],
                volunteer_no=data["volunteer_no"],
                at=data["at"],
                request=request,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _result_message(result))
            return redirect("activities:attendance_screen", shift_id=shift.pk)
    return _screen(request, shift, manual_form=form, status=400)


def _result_message(result: dict) -> str:
    at = timezone.localtime(dt.datetime.fromisoformat(result["at"])).strftime("%H:%M")
    what = _("签到") if result["kind"] == "in" else _("签退")
    text = _("%(name)s（%(no)s）%(what)s成功，时间 %(at)s。") % {
        "name": result["volunteer_name"],
        "no": result["volunteer_no"],
        "what": what,
        "at": at,
    }
    if result["flags"]:
        text += " " + _("标记：%(flags)s") % {"flags": "、".join(svc.flag_labels(result["flags"]))}
    return text


@never_cache
@login_required
@domain_http
@require_http_methods(["GET", "POST"])
def attendance_ecard(request, shift_id: int):
    """The organizer's scanner: the camera reads a volunteer's e-card (or the token is typed)."""
    shift = svc.shift_get_for_attendance(actor=request.user, shift_id=shift_id)
    result = None
    status = 200
    if request.method == "POST":
        form = EcardScanForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result, _replayed = svc.attendance_check_by_ecard(
                    actor=request.user, shift=shift, req=_req(data["kind"], data), token=data["token"], request=request
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = 400
        else:
            status = 400
        if result is not None:
            form = EcardScanForm(initial={"kind": data["kind"], "client_request_id": new_request_id()})
    else:
        form = EcardScanForm(initial={"kind": "in", "client_request_id": new_request_id()})
    context = {
        "shift": shift,
        "activity": shift.activity,
        "form": form,
        "result": result,
        "result_message": _result_message(result) if result else "",
    }
    return render(request, "activities/attendance/ecard.html", context, status=status)


@never_cache
@login_required
@domain_http
@require_http_methods(["GET", "POST"])
def attendance_scan(request):
    """The volunteer's page: the camera reads the organizer's QR code (a phone's own camera app
    opens this page from it, with the token in ``?t=``); the 6-digit code is the fallback."""
    result = None
    status = 200
    if request.method == "POST":
        form = VolunteerCheckForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("token"):
                    result, _replayed = svc.attendance_check_by_qr(
                        actor=request.user, req=_req(data["kind"], data), token=data["token"], request=request
                    )
                else:
                    result, _replayed = svc.attendance_check_by_code(
                        actor=request.user, req=_req(data["kind"], data), code=data["code"], request=request
                    )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status if exc.status in (400, 429) else 400
        else:
            status = 400
        if result is not None:
            form = VolunteerCheckForm(
                initial={"kind": "out" if result["kind"] == "in" else "in", "client_request_id": new_request_id()}
            )
    else:
        form = VolunteerCheckForm(
            initial={"kind": "in", "token": request.GET.get("t", "")[:1000], "client_request_id": new_request_id()}
        )
    context = {
        "form": form,
        "result": result,
        "result_message": _result_message(result) if result else "",
        "has_token": bool(form["token"].value()),
        "api_url": reverse("api:check_in"),
        "api_out_url": reverse("api:check_out"),
    }
    return render(request, "activities/attendance/scan.html", context, status=status)

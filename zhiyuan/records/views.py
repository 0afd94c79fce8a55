"""Pages of the hour ledger (phone first; lists through ``core.lists``). Thin: every rule is in
``services`` / ``selectors`` / ``permissions``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.views import domain_http
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_page
from zhiyuan.records import selectors, services
from zhiyuan.records.forms import (
    BulkForm,
    CorrectionDecideForm,
    CorrectionForm,
    DecideForm,
    EntryChangeForm,
    HonourDecideForm,
    HonourForm,
)
from zhiyuan.records.lists import MY_CORRECTIONS, MY_ENTRIES, ORG_CORRECTIONS, ORG_ENTRIES, ORG_HONOUR, QUEUE
from zhiyuan.records.models import HourEntry
from zhiyuan.records.permissions import organization_get_for_records


def _refused(request, exc: DomainError) -> None:
    """A refused decision on a list page: 403/404 stay errors, the rest a message."""
    if exc.status in (403, 404):
        raise exc
    text = str(exc.message)
    details = [m for msgs in exc.fields.values() for m in msgs] if exc.status == 422 else []
    messages.error(request, " ".join([text, *map(str, details)]))


def _decided(request, form, decide, *, back):
    """One decision posted from a list page, the same shape everywhere: a valid form goes to
    ``decide(cleaned_data)`` (one service call; it returns the success message), a refusal or
    a malformed form becomes a message, and the manager goes ``back`` to the list."""
    if form.is_valid():
        try:
            messages.success(request, decide(form.cleaned_data))
        except DomainError as exc:
            _refused(request, exc)
    else:
        messages.error(request, _("提交的数据有误，请检查后重试。"))
    return back


def _queue_back(request, org_id: int):
    """Back to the organization's queue with the filter the manager was looking at: the forms
    post that page's query (``back``, without its cursor). Only a query string is taken, parsed
    and encoded again, onto the queue's own path — never another page."""
    url = reverse("records:org_queue", kwargs={"org_id": org_id})
    query = QueryDict(request.POST.get("back", "")[:2000], mutable=True)
    query.pop("cursor", None)
    query = query.urlencode()
    return redirect(f"{url}?{query}" if query else url)


# --- the volunteer ------------------------------------------------------------------------------


@login_required
@require_GET
@domain_http
def my_hours(request):
    from zhiyuan.volunteers.selectors import volunteer_for

    volunteer = volunteer_for(request.user)
    summary = selectors.hours_summary(volunteer_id=volunteer.pk)
    return list_page(request, MY_ENTRIES, "records/my_hours.html", extra={"summary": summary, "hours": selectors.hours_text})


@login_required
@require_GET
@domain_http
def my_corrections(request):
    from zhiyuan.volunteers.selectors import volunteer_for

    volunteer_for(request.user)
    return list_page(request, MY_CORRECTIONS, "records/my_corrections.html")


def _correction_choices(volunteer):
    """The volunteer's latest 50 confirmations and activities (choices of the form)."""
    from zhiyuan.activities.models import Activity, Enrollment

    rows = HourEntry.objects.filter(volunteer_id=volunteer.pk, action="confirm").select_related("activity")
    entries = [
        (e.pk, f"{e.service_date:%Y-%m-%d} {e.activity.title if e.activity_id else e.reason} {selectors.hours_text(e.minutes)}")
        for e in rows.order_by("-service_date", "-id")[:50]
    ]
    ids = Enrollment.objects.filter(volunteer_id=volunteer.pk).order_by("-starts_at").values_list("activity_id", flat=True)[:50]
    return entries, list(Activity.objects.filter(pk__in=list(ids)).order_by("-starts_at"))


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def correction_new(request):
    from zhiyuan.volunteers.selectors import volunteer_for

    volunteer = volunteer_for(request.user)
    entries, activities = _correction_choices(volunteer)
    # from a ledger line's 申请更正 (?entry=<id>): that line, kind 记录错误, already chosen
    picked = request.GET.get("entry", "")
    initial = {"kind": "error", "entry_id": int(picked)} if picked.isdigit() and int(picked) in dict(entries) else None
    form = CorrectionForm(request.POST or None, request.FILES or None, entries=entries, activities=activities, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.correction_file(
                    actor=request.user,
                    kind=d["kind"],
                    explanation=d["explanation"],
                    entry_id=d["entry_id"],
                    activity_id=d["activity_id"],
                    claimed_starts_at=d["claimed_starts_at"],
                    claimed_ends_at=d["claimed_ends_at"],
                    claimed_minutes=d["claimed_minutes"],
                    evidence=d["file"],
                    request=request,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("更正申请已提交，组织核实后会通知您。"))
                return redirect("records:my_corrections")
    return render(request, "records/correction_form.html", {"form": form}, status=status)


@login_required
@require_GET
@domain_http
def correction_evidence(request, correction_id: int):
    req = services.correction_get(actor=request.user, id=correction_id)
    body = services.correction_evidence_read(actor=request.user, correction=req, request=request)
    response = HttpResponse(body, content_type=req.evidence_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="evidence-{req.pk}"'
    return response


# --- the organization ---------------------------------------------------------------------------


@login_required
@require_GET
@domain_http
def org_home(request):
    orgs = selectors.admin_organizations(actor=request.user)
    if len(orgs) == 1:
        return redirect("records:org_queue", org_id=orgs[0].pk)
    return render(request, "records/org_home.html", {"orgs": orgs})


def _org_page(request, org, spec, template, status=200, **extra):
    return list_page(request, spec, template, context={"org": org}, extra={"org": org, **extra}, status=status)


@login_required
@require_GET
@domain_http
def org_queue(request, org_id: int):
    org = organization_get_for_records(actor=request.user, id=org_id)
    return _org_page(request, org, QUEUE, "records/org_queue.html")


@login_required
@require_POST
@domain_http
def org_queue_bulk(request, org_id: int):
    org = organization_get_for_records(actor=request.user, id=org_id)
    form = BulkForm(request.POST)
    ids = form.cleaned_data["ids"] if form.is_valid() else []
    try:
        result = services.attendances_confirm_bulk(actor=request.user, organization=org, ids=ids, request=request)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已确认 %(n)d 条。") % {"n": len(result.confirmed)})
        for s in result.skipped:
            messages.warning(request, _("签到记录 #%(id)s 未确认：%(why)s") % {"id": s["attendance_id"], "why": s["message"]})
    return _queue_back(request, org.pk)


@login_required
@require_POST
@domain_http
def attendance_decide(request, attendance_id: int):
    att = selectors.attendance_get_for_decision(actor=request.user, id=attendance_id)

    def decide(d):
        if d["action"] == "void":
            services.attendance_void(actor=request.user, attendance=att, reason=d["reason"], request=request)
            return _("已作废，不计时长。")
        ends_at = d["ends_at"] if d["action"] == "adjust" else None
        if d["action"] == "adjust" and ends_at is None:
            raise DomainError("invalid", _("请填写核实后的签退时间。"), status=422)
        services.attendance_confirm(actor=request.user, attendance=att, ends_at=ends_at, reason=d["reason"], request=request)
        return _("时长已确认。")

    return _decided(request, DecideForm(request.POST), decide, back=_queue_back(request, att.organization_id))


@login_required
@require_GET
@domain_http
def org_entries(request, org_id: int):
    org = organization_get_for_records(actor=request.user, id=org_id)
    return _org_page(request, org, ORG_ENTRIES, "records/org_entries.html")


@login_required
@require_POST
@domain_http
def entry_change(request, entry_id: int):
    entry = services.entry_get_for_change(actor=request.user, id=entry_id)

    def decide(d):
        if d["action"] == "void":
            services.entry_void(actor=request.user, entry=entry, reason=d["reason"], request=request)
            return _("已作废。")
        services.entry_correct(
            actor=request.user, entry=entry, reason=d["reason"], starts_at=d["starts_at"], ends_at=d["ends_at"],
            minutes=d["minutes"], request=request,
        )  # fmt: skip
        return _("已更正。")

    return _decided(
        request, EntryChangeForm(request.POST), decide, back=redirect("records:org_entries", org_id=entry.organization_id)
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def org_honour(request, org_id: int):
    org = organization_get_for_records(actor=request.user, id=org_id)
    form = HonourForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.honour_propose(
                    actor=request.user, organization=org, volunteer_no=d["volunteer_no"], minutes=d["minutes"],
                    service_date=d["service_date"], reason=d["reason"], activity_id=d["activity_id"], request=request,
                )  # fmt: skip
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("荣誉时长已申报，待第二人审批后记入。"))
                return redirect("records:org_honour", org_id=org.pk)
    return _org_page(request, org, ORG_HONOUR, "records/org_honour.html", status=status, honour_form=form)


@login_required
@require_POST
@domain_http
def honour_decide(request, grant_id: int):
    grant = services.honour_get_for_decision(actor=request.user, id=grant_id)

    def decide(d):
        services.honour_decide(actor=request.user, grant=grant, approve=d["action"] == "approve", note=d["note"], request=request)
        return _("已处理。")

    return _decided(
        request, HonourDecideForm(request.POST), decide, back=redirect("records:org_honour", org_id=grant.organization_id)
    )


@login_required
@require_GET
@domain_http
def org_corrections(request, org_id: int):
    org = organization_get_for_records(actor=request.user, id=org_id)
    return _org_page(request, org, ORG_CORRECTIONS, "records/org_corrections.html")


@login_required
@require_POST
@domain_http
def correction_decide(request, correction_id: int):
    req = services.correction_get_for_decision(actor=request.user, id=correction_id)

    def decide(d):
        if d["action"] == "accept":
            services.correction_accept(
                actor=request.user, correction=req, note=d["note"], starts_at=d["starts_at"], ends_at=d["ends_at"],
                minutes=d["minutes"], request=request,
            )  # fmt: skip
            return _("更正申请已通过。")
        services.correction_reject(actor=request.user, correction=req, reason=d["note"], request=request)
        return _("更正申请已驳回。")

    back = redirect("records:org_corrections", org_id=req.organization_id)
    return _decided(request, CorrectionDecideForm(request.POST), decide, back=back)

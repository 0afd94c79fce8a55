"""The organizer's activity pages (ACT-2): 活动管理 (the list, cards on a phone), the create and
edit form with its positions (a formset) and a map point picker, and an activity's manage page
(the recruitment notice, positions, shifts with their slot counts, the status actions). Thin:
every rule is in ``services.py``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.scopes import MANAGE, can
from zhiyuan.accounts.views import domain_http
from zhiyuan.activities import schedule, services
from zhiyuan.activities.forms_manage import ActivityForm, PositionFormSet, requirement_choices
from zhiyuan.activities.lists import ACTIVITIES, can_use_projects
from zhiyuan.activities.models import ActivityStatus, Project, ProjectStatus
from zhiyuan.activities.scopes import admin_org_ids
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_export_response, list_page
from zhiyuan.core.maps import map_config


def _require_user(request):
    if not can_use_projects(request.user):
        raise DjangoPermissionDenied


@login_required
@require_GET
@domain_http
def manage_list(request):
    _require_user(request)
    return list_page(
        request, ACTIVITIES, "activities/activity_manage_list.html",
        extra={"list_id": "activities", "can_create": bool(admin_org_ids(request.user))},
    )  # fmt: skip


@login_required
@require_GET
@domain_http
def manage_export(request):
    _require_user(request)
    return list_export_response(request, ACTIVITIES)


def _project_choices(actor) -> list[tuple[str, str]]:
    ids = admin_org_ids(actor)
    if not ids:
        return []
    qs = Project.objects.filter(Q(organization_id__in=ids) | Q(organization__parent_id__in=ids)).filter(
        status__in=[ProjectStatus.APPROVED, ProjectStatus.RUNNING]
    )
    return [(str(p.pk), p.name) for p in qs.order_by("-id")[:200]]


def _formset(request, *, initial=None):
    courses, quals = requirement_choices()
    kwargs = {"form_kwargs": {"courses": courses, "qualifications": quals}, "prefix": "positions"}
    if request.method == "POST":
        return PositionFormSet(request.POST, **kwargs)
    return PositionFormSet(initial=initial, **kwargs)


def _positions(formset) -> list:
    return [
        f.position_input()
        for f in formset.forms
        if f.has_changed() and not (formset.can_delete and f.cleaned_data.get("DELETE")) and f.cleaned_data.get("name")
    ]


def _render_form(request, form, formset, activity, status=200):
    context = {"form": form, "formset": formset, "activity": activity, "map": map_config()}
    return render(request, "activities/activity_form.html", context, status=status)


def _apply(form, formset, exc: DomainError) -> None:
    """A service error next to its field: ``positions.<n>.<field>`` on that position's form."""
    rest = {}
    for key, msgs in exc.fields.items():
        parts = key.split(".")
        if parts[0] == "positions" and len(parts) == 3 and parts[1].isdigit():
            changed = [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
            i = int(parts[1])
            if i < len(changed) and parts[2] in changed[i].fields:
                for m in msgs:
                    changed[i].add_error(parts[2], m)
                continue
        rest[key] = msgs
    if rest or not exc.fields:
        names = {"shifts": "date", "recurrence": "weekdays", "schedule": "schedule"}
        rest = {names.get(k, k): v for k, v in rest.items()}
        placed = {k: v for k, v in rest.items() if k in form.fields}
        for k, v in placed.items():
            for m in v:
                form.add_error(k, m)
        others = [str(m) for k, v in rest.items() if k not in form.fields for m in v]
        if others or not placed:
            form.add_error(None, " ".join([str(exc.message), *others]) if others else exc.message)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def activity_create(request):
    _require_user(request)
    form = ActivityForm(request.POST or None, actor=request.user, project_choices=_project_choices(request.user))
    formset = _formset(request)
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                activity = services.activity_create(
                    actor=request.user, organization_id=form.cleaned_data["organization_id"],
                    values=form.service_input(_positions(formset)), request=request,
                )  # fmt: skip
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                _apply(form, formset, exc)
            else:
                messages.success(request, _("活动草稿已保存。检查招募公告后即可发布。"))
                return redirect("activities:manage_detail", activity_id=activity.pk)
        return _render_form(request, form, formset, None, status=400)
    return _render_form(request, form, formset, None)


def _initial(activity) -> tuple[dict, list]:
    fields = ("title", "category", "content", "conditions", "signup_method", "risks", "safeguards", "contact_name",
              "contact_phone", "address", "latitude", "longitude", "geofence_m", "visibility", "enrollment_mode",
              "cancel_deadline_hours")  # fmt: skip
    initial = {f: getattr(activity, f) for f in fields}
    initial["project_id"] = str(activity.project_id or "")
    start, end = timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)
    initial.update(date=start.date(), start_time=start.time(), end_time=end.time())
    rec = activity.recurrence or {}
    if rec:
        initial.update(weekdays=[str(d) for d in rec.get("weekdays", [])], first_date=rec.get("from"),
                       until=rec.get("until"), exceptions=", ".join(rec.get("except", [])))  # fmt: skip
    plan = services.activity_plan(activity=activity)
    positions = [
        {
            **{
                k: getattr(p, k)
                for k in (
                    "id",
                    "name",
                    "duties",
                    "slots",
                    "skills",
                    "min_age",
                    "max_age",
                    "minors_allowed",
                    "dangerous",
                    "insurance_required",
                )
            },
            "required_course_ids": [str(c.pk) for c in p.required_courses.all()],
            "required_qualification_ids": [str(q.pk) for q in p.required_qualifications.all()],
        }
        for p in plan.positions
    ]
    return initial, positions


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def activity_edit(request, activity_id: int):
    activity = services.activity_get(actor=request.user, id=activity_id, action=MANAGE)
    initial, positions = _initial(activity)
    form = ActivityForm(request.POST or None, actor=request.user, activity=activity, initial=initial,
                        project_choices=_project_choices(request.user))  # fmt: skip
    formset = _formset(request, initial=positions)
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            kept = [f.position_input() for f in formset.forms if not f.cleaned_data.get("DELETE") and f.cleaned_data.get("name")]
            try:
                services.activity_update(actor=request.user, activity=activity, change=form.service_input(kept), request=request)
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                _apply(form, formset, exc)
            else:
                messages.success(request, _("活动已保存。"))
                return redirect("activities:manage_detail", activity_id=activity.pk)
        return _render_form(request, form, formset, activity, status=400)
    return _render_form(request, form, formset, activity)


def _detail(request, activity, *, status=200, error=None):
    plan = services.activity_plan(activity=activity)
    names = {p.pk: p.name for p in plan.positions}
    for s in plan.shifts:
        s.rows = [(names.get(slot.position_id, ""), slot) for slot in s.slot_list]
    context = {
        "activity": activity,
        "plan": plan,
        "may_manage": can(request.user, activity, MANAGE),
        "series": schedule.describe(activity.recurrence),
        "error": error,
        "statuses": ActivityStatus,
    }
    return render(request, "activities/activity_manage.html", context, status=status)


@login_required
@require_GET
@domain_http
def manage_detail(request, activity_id: int):
    return _detail(request, services.activity_get(actor=request.user, id=activity_id))


ACTIONS = {
    "publish": (services.activity_publish, _("活动已发布，开始招募。")),
    "close": (services.activity_close_recruitment, _("已停止招募。")),
    "reopen": (services.activity_reopen_recruitment, _("已重新开始招募。")),
    "finish": (services.activity_finish, _("活动已结束。")),
    "cancel": (services.activity_cancel, _("活动已取消。")),
}


@login_required
@require_POST
@domain_http
def activity_action(request, activity_id: int, action: str):
    if action not in ACTIONS:
        raise Http404
    fn, done = ACTIONS[action]
    activity = services.activity_get(actor=request.user, id=activity_id, action=MANAGE)
    kwargs = {"reason": request.POST.get("reason", "")[:400]} if action == "cancel" else {}
    try:
        fn(actor=request.user, activity=activity, request=request, **kwargs)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        details = [str(m) for msgs in exc.fields.values() for m in msgs]
        return _detail(request, activity, status=exc.status, error=[str(exc.message), *details])
    messages.success(request, str(done))
    return redirect("activities:manage_detail", activity_id=activity.pk)

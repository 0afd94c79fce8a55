"""Pages of the project library (ACT-1): the list (search, filters, export), the review queue,
a project with its history and the actions the viewer may take, the create and edit form.
Thin: every rule is in ``projects.py``; lists through ``core.lists`` (cards on a phone)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.scopes import MANAGE, REVIEW, can
from zhiyuan.accounts.views import domain_http
from zhiyuan.activities import projects
from zhiyuan.activities.forms_projects import CloseForm, EvaluateForm, FlagsForm, ProjectForm, ReviewForm
from zhiyuan.activities.lists import PROJECT_REVIEW, PROJECTS, can_use_projects
from zhiyuan.activities.models import ProjectStatus
from zhiyuan.activities.scopes import org_admin_test
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_export_response, list_page


def _require_user(request):
    if not can_use_projects(request.user):
        raise DjangoPermissionDenied


@login_required
@require_GET
@domain_http
def project_list(request):
    _require_user(request)
    return list_page(request, PROJECTS, "activities/project_list.html", extra={"list_id": "projects"})


@login_required
@require_GET
@domain_http
def project_export(request):
    _require_user(request)
    return list_export_response(request, PROJECTS)


@login_required
@require_GET
@domain_http
def project_review_queue(request):
    _require_user(request)
    return list_page(request, PROJECT_REVIEW, "activities/project_review.html", extra={"list_id": "project-review"})


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def project_create(request):
    _require_user(request)
    form = ProjectForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                project = projects.project_create(
                    actor=request.user, organization_id=form.cleaned_data["organization_id"],
                    values=form.service_input(), request=request,
                )  # fmt: skip
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("项目草稿已保存。完善后请提交审核。"))
                return redirect("activities:project_detail", project_id=project.pk)
    return render(request, "activities/project_form.html", {"form": form, "project": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def project_edit(request, project_id: int):
    project = projects.project_get(actor=request.user, id=project_id, action=MANAGE)
    initial = {f: getattr(project, f) for f in ("name", "category", "region_code", "target_group", "summary", "goals",
                                                 "budget", "starts_on", "ends_on")}  # fmt: skip
    form = ProjectForm(request.POST or None, actor=request.user, project=project, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                projects.project_update(actor=request.user, project=project, change=form.service_input(), request=request)
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("项目已保存。"))
                return redirect("activities:project_detail", project_id=project.pk)
    return render(request, "activities/project_form.html", {"form": form, "project": project}, status=status)


def _detail(request, project, *, status=200, **forms):
    may_manage = can(request.user, project, MANAGE)
    may_review = can(request.user, project, REVIEW) and not org_admin_test(request.user, project)
    from zhiyuan.organizations.selectors import region_name
    from zhiyuan.volunteers.code_tables import label

    context = {
        "project": project,
        "region_name": region_name(project.region_code),
        "category_label": label("service_category", project.category),
        "history": projects.project_history(project=project),
        "may_manage": may_manage,
        "may_review": may_review,
        "editable": project.status in (ProjectStatus.DRAFT, ProjectStatus.REJECTED),
        "review_form": forms.get("review_form") or ReviewForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "evaluate_form": forms.get("evaluate_form") or EvaluateForm(),
        "flags_form": forms.get("flags_form")
        or FlagsForm(initial={"is_demonstration": project.is_demonstration, "is_brand": project.is_brand}),
        "error": forms.get("error"),
    }
    return render(request, "activities/project_detail.html", context, status=status)


@login_required
@require_GET
@domain_http
def project_detail(request, project_id: int):
    return _detail(request, projects.project_get(actor=request.user, id=project_id))


# action → (scope action, form class, form context name, call)
ACTIONS = {
    "submit": (MANAGE, None, None, lambda actor, p, d, r: projects.project_submit(actor=actor, project=p, request=r)),
    "start": (MANAGE, None, None, lambda actor, p, d, r: projects.project_start(actor=actor, project=p, request=r)),
    "close": (MANAGE, CloseForm, "close_form",
              lambda actor, p, d, r: projects.project_close(actor=actor, project=p, note=d["note"], request=r)),
    "review": (REVIEW, ReviewForm, "review_form",
               lambda actor, p, d, r: projects.project_review(actor=actor, project=p, request=r, **d)),
    "evaluate": (REVIEW, EvaluateForm, "evaluate_form",
                 lambda actor, p, d, r: projects.project_evaluate(actor=actor, project=p, outcome=d["outcome"],
                                                                  score=d["outcome_score"], request=r)),
    "flags": (REVIEW, FlagsForm, "flags_form",
              lambda actor, p, d, r: projects.project_flags_set(actor=actor, project=p, request=r, **d)),
}  # fmt: skip
DONE = {
    "submit": _("项目已提交审核。"),
    "start": _("项目已开始实施。"),
    "close": _("项目已结项。"),
    "review": _("审核结果已保存。"),
    "evaluate": _("成效评估已保存。"),
    "flags": _("示范/品牌标记已保存。"),
}


@login_required
@require_POST
@domain_http
def project_action(request, project_id: int, action: str):
    """One transition from the project page (or the review queue: ``next=queue``)."""
    from django.http import Http404

    if action not in ACTIONS:
        raise Http404
    scope_action, form_class, form_name, call = ACTIONS[action]
    project = projects.project_get(actor=request.user, id=project_id, action=scope_action)
    form = form_class(request.POST) if form_class else None
    data = {}
    if form is not None:
        if not form.is_valid():
            return _detail(request, project, status=400, **{form_name: form})
        data = {k: v for k, v in form.cleaned_data.items()}
        if action == "review":
            data["decision"] = request.POST.get("decision", "")
    try:
        call(request.user, project, data, request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        if form is not None:
            apply_domain_error(form, exc)
            return _detail(request, project, status=exc.status, **{form_name: form})
        details = [str(m) for msgs in exc.fields.values() for m in msgs]
        return _detail(request, project, status=exc.status, error=" ".join([str(exc.message), *details]))
    messages.success(request, str(DONE[action]))
    if request.POST.get("next") == "queue":
        return redirect("activities:project_review")
    return redirect("activities:project_detail", project_id=project.pk)

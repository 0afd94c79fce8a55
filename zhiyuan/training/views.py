"""Pages of the training app (phone first). Thin: every rule is in ``services``/``selectors``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.scopes import MANAGE, REVIEW, can, get_for, pk_or_404
from zhiyuan.accounts.views import domain_http
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_export_response, list_page
from zhiyuan.organizations.models import Organization
from zhiyuan.training import selectors
from zhiyuan.training.forms import (
    CourseForm,
    EvaluationForm,
    QualificationForm,
    QuestionForm,
    ReviewForm,
    SessionForm,
    TrainerForm,
    TrainingBaseForm,
)
from zhiyuan.training.lists import BASES, COURSES, QUALIFICATIONS, RECORDS, SESSIONS, TRAINERS, can_manage_training
from zhiyuan.training.models import Question, Trainer, TrainingBase
from zhiyuan.training.services import courses, qualifications, quiz
from zhiyuan.training.services.records import renewal_days
from zhiyuan.volunteers.selectors import volunteer_for

# --- volunteers -----------------------------------------------------------------------------------


@login_required
@require_GET
@domain_http
def my_training(request):
    v = volunteer_for(request.user)
    return render(
        request,
        "training/my_training.html",
        {
            "certificates": selectors.my_certificates(v),
            "records": selectors.my_records(v),
            "enrollments": selectors.my_enrollments(v),
            "qualifications": selectors.my_qualifications(v),
            "online_courses": list(selectors.online_courses()[:20]),
            "sessions": selectors.open_sessions(limit=20),
        },
    )


def _my_session_change(request, session_id, change, done: str):
    """Enroll in or cancel a session (the signed-in volunteer), then back to 「我的培训」 with
    the outcome; missing or invisible sessions stay a 404."""
    try:
        change(actor=request.user, session_id=session_id)
        messages.success(request, done)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
    return redirect("training:my")


@login_required
@require_POST
@domain_http
def session_enroll(request, session_id):
    return _my_session_change(request, session_id, courses.session_enroll, _("报名成功。"))


@login_required
@require_POST
@domain_http
def session_cancel(request, session_id):
    return _my_session_change(request, session_id, courses.session_enrollment_cancel, _("已取消报名。"))


@login_required
@require_POST
@domain_http
def session_evaluate(request, session_id):
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            courses.session_evaluate(actor=request.user, session_id=session_id, **form.cleaned_data)
            messages.success(request, _("感谢您的评价。"))
        except DomainError as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("请选择评价星级。"))
    return redirect("training:my")


@login_required
@require_GET
@domain_http
def course_detail(request, course_id):
    """An online course: syllabus, materials, the attempts so far and the quiz button."""
    course = selectors.online_course_get(id=course_id)
    v = volunteer_for(request.user)
    attempts = selectors.my_attempts(v, course)
    used = len([a for a in attempts if a.submitted_at])
    return render(
        request,
        "training/course_detail.html",
        {
            "course": course,
            "attempts": attempts,
            "passed": any(a.passed for a in attempts),
            "left": max(0, course.max_attempts - used),
        },
    )


@login_required
@require_POST
@domain_http
def quiz_start(request, course_id):
    try:
        attempt = quiz.quiz_attempt_start(actor=request.user, course_id=course_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, str(exc.message))
        return redirect("training:course", course_id=course_id)
    return redirect("training:quiz", attempt_id=attempt.pk)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def quiz_take(request, attempt_id):
    """The drawn questions (text and options only); the POST is scored on the server."""
    v = volunteer_for(request.user)
    attempt = v.quiz_attempts.select_related("course").filter(pk=pk_or_404(attempt_id)).first()
    if attempt is None:
        from zhiyuan.core.errors import NotFound

        raise NotFound()
    if request.method == "POST" and attempt.submitted_at is None:
        answers = {k[2:]: request.POST.getlist(k) for k in request.POST if k.startswith("q_")}
        try:
            attempt = quiz.quiz_attempt_submit(actor=request.user, attempt_id=attempt.pk, answers=answers)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("training:quiz", attempt_id=attempt.pk)
    certificate = None
    if attempt.passed:
        certificate = v.training_certificates.filter(course=attempt.course).order_by("-issued_on", "-id").first()
    return render(
        request,
        "training/quiz_take.html",
        {"attempt": attempt, "course": attempt.course, "questions": quiz.quiz_questions(attempt), "certificate": certificate},
    )


@login_required
@require_GET
@domain_http
def certificate_detail(request, certificate_id):
    cert = selectors.certificate_get(actor=request.user, id=certificate_id)
    return render(request, "training/certificate_detail.html", {"cert": cert})


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def qualification_create(request):
    v = volunteer_for(request.user)
    form = QualificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            qualifications.qualification_submit(
                actor=request.user,
                qualification_type=d["qualification_type"],
                certificate_no=d["certificate_no"],
                issuer=d["issuer"],
                issued_on=d["issued_on"],
                expires_on=d["expires_on"],
                evidence=d["evidence"],
            )
            messages.success(request, _("已提交，等待审核。"))
            return redirect("training:my")
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render(request, "training/qualification_form.html", {"form": form, "volunteer": v})


@login_required
@require_GET
@domain_http
def qualification_evidence(request, qualification_id):
    """The evidence file, streamed to its holder or a reviewer (never a public URL)."""
    q = selectors.qualification_get(actor=request.user, id=qualification_id)
    data = qualifications.qualification_evidence_read(actor=request.user, qualification=q)
    response = HttpResponse(data, content_type=q.evidence_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- managers -------------------------------------------------------------------------------------


def _require_manager(request):
    if not can_manage_training(request.user):
        raise DjangoPermissionDenied


@login_required
@require_GET
@domain_http
def manage_home(request):
    _require_manager(request)
    return list_page(request, COURSES, "training/manage_courses.html")


@login_required
@require_GET
@domain_http
def manage_sessions(request):
    _require_manager(request)
    return list_page(request, SESSIONS, "training/manage_sessions.html")


@login_required
@require_GET
@domain_http
def manage_records(request):
    _require_manager(request)
    return list_page(request, RECORDS, "training/manage_records.html")


@login_required
@require_GET
@domain_http
def manage_records_export(request):
    return list_export_response(request, RECORDS)


@login_required
@require_GET
@domain_http
def manage_qualifications(request):
    _require_manager(request)
    return list_page(request, QUALIFICATIONS, "training/manage_qualifications.html")


def _organization(actor, org_id):
    if not org_id:
        return None
    org = Organization.objects.visible_to(actor).filter(pk=org_id).first() if 0 < org_id < 2**63 else None
    if org is None:
        raise DomainError("invalid", _("组织不存在或无权访问。"), fields={"organization_id": [_("组织不存在或无权访问。")]})
    return org


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def course_create(request):
    _require_manager(request)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        try:
            org = _organization(request.user, d.pop("organization_id"))
            course = courses.course_create(actor=request.user, organization=org, **d)
            return redirect("training:course_manage", course_id=course.pk)
        except DomainError as exc:
            if exc.status == 403:
                form.add_error(None, str(exc.message))
            else:
                apply_domain_error(form, exc)
    return render(request, "training/course_form.html", {"form": form})


def _course_page(request, course, *, form=None, import_form=None, status=200):
    import uuid

    from zhiyuan.volunteers.forms_manage import ImportForm

    return render(
        request,
        "training/course_manage.html",
        {
            "course": course,
            "can_manage": can(request.user, course, MANAGE),
            "question_count": Question.objects.filter(course=course, active=True).count(),
            "form": form or QuestionForm(),
            "import_form": import_form or ImportForm(initial={"client_id": uuid.uuid4().hex}),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def course_manage(request, course_id):
    course = selectors.course_get(actor=request.user, id=course_id)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            quiz.question_add(actor=request.user, course=course, **form.service_kwargs())
            messages.success(request, _("已添加试题。"))
            return redirect("training:course_manage", course_id=course.pk)
        except DomainError as exc:
            if exc.status == 403:
                raise
            apply_domain_error(form, exc)
    return _course_page(request, course, form=form)


@login_required
@require_POST
@domain_http
def course_records_import(request, course_id):
    """Offline records from Excel for this course, as an import job (``services.imports``): the
    browser goes on to the job's page (progress, errors per row, the report workbook); a file
    refused as a whole comes back to the course page with the reason on the form."""
    import uuid

    from zhiyuan.training.services.imports import record_import_submit
    from zhiyuan.volunteers import imports
    from zhiyuan.volunteers.forms_manage import ImportForm

    course = selectors.course_get(actor=request.user, id=course_id, action=MANAGE)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        mode = imports.mode_of(dry_run=request.POST.get("action") != "import", valid_only=form.cleaned_data["valid_only"])
        client_id = f"{form.cleaned_data['client_id']}:{mode}" if form.cleaned_data["client_id"] else ""
        try:
            job, _created = record_import_submit(
                actor=request.user,
                course=course,
                upload=form.cleaned_data["file"],
                mode=mode,
                client_id=client_id,
                request=request,
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            apply_domain_error(form, exc)
        else:
            return redirect("volunteers:volunteers_manage:import_job", job_id=job.pk)
    form.data = form.data.copy()
    form.data["client_id"] = uuid.uuid4().hex
    return _course_page(request, course, import_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def session_create(request):
    _require_manager(request)
    actor = request.user
    form = SessionForm(
        request.POST or None,
        courses=selectors.manageable_courses(actor=actor),
        trainers=Trainer.objects.visible_to(actor),
        bases=TrainingBase.objects.visible_to(actor),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = courses.session_create(
                actor=actor,
                course=d["course"],
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                capacity=d["capacity"],
                place=d["place"],
                trainer=d["trainer"],
                base=d["base"],
                organization=d["course"].organization,
            )
            return redirect("training:session_manage", session_id=session.pk)
        except DomainError as exc:
            if exc.status == 403:
                form.add_error(None, str(exc.message))
            else:
                apply_domain_error(form, exc)
    return render(request, "training/session_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def session_manage(request, session_id):
    """A session's enrollments; the organizer marks attendance (present makes the record)."""
    session = selectors.session_get(actor=request.user, id=session_id)
    if request.method == "POST":
        present = request.POST.get("present") == "1"
        score = request.POST.get("score") or None
        try:
            courses.session_attendance_mark(
                actor=request.user,
                session=session,
                enrollment_id=int(request.POST.get("enrollment_id") or 0),
                present=present,
                score=int(score) if score and score.isdigit() else None,
            )
            messages.success(request, _("已登记。"))
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, str(exc.message))
        return redirect("training:session_manage", session_id=session.pk)
    return render(
        request,
        "training/session_manage.html",
        {
            "session": session,
            "enrollments": selectors.session_enrollments(session),
            "can_manage": can(request.user, session, MANAGE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def qualification_review(request, qualification_id):
    q = selectors.qualification_get(actor=request.user, id=qualification_id, action=REVIEW)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            qualifications.qualification_review(
                actor=request.user,
                qualification=q,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("已审核。"))
            return redirect("training:manage_qualifications")
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render(request, "training/qualification_review.html", {"q": q, "form": form})


# --- certified trainers and training bases ------------------------------------------------------

# kind → (list spec, form, create service, update service: its object keyword is the kind)
_CERTIFIED = {
    "trainer": (TRAINERS, TrainerForm, courses.trainer_create, courses.trainer_update),
    "base": (BASES, TrainingBaseForm, courses.training_base_create, courses.training_base_update),
}
_CERTIFIED_TITLES = {
    "trainer": (_("培训师"), _("登记培训师"), _("修改培训师")),
    "base": (_("培训基地"), _("登记培训基地"), _("修改培训基地")),
}


def _certified_list(request, kind: str):
    _require_manager(request)
    spec = _CERTIFIED[kind][0]
    title, create_title, _edit = _CERTIFIED_TITLES[kind]
    extra = {"kind": kind, "title": title, "create_title": create_title, "expiry_days": renewal_days()}
    return list_page(request, spec, "training/certified_list.html", extra=extra)


def _certified_form(request, kind: str, obj=None):
    _spec, form_class, create, update = _CERTIFIED[kind]
    form = form_class(request.POST or None, actor=request.user, editing=obj is not None, initial=_initial(form_class, obj))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if obj is None:
                    d = form.cleaned_data
                    org = _organization(request.user, d["organization_id"])
                    create(actor=request.user, region_code=d["region_code"] or "", organization=org, **form.texts(),
                           **form.certification())  # fmt: skip
                else:
                    update(actor=request.user, **{kind: obj}, **form.texts(), **form.certification())
            except DomainError as exc:
                if exc.status == 403 and obj is not None:
                    raise
                if exc.status == 403:
                    form.add_error(None, str(exc.message))
                else:
                    apply_domain_error(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect(f"training:{kind}s")
    context = {"form": form, "obj": obj, "kind": kind, "title": _CERTIFIED_TITLES[kind][1 if obj is None else 2]}
    return render(request, "training/certified_form.html", context, status=status)


def _initial(form_class, obj) -> dict:
    if obj is None:
        return {}
    return {k: getattr(obj, k) for k in (*form_class.SUBJECT_FIELDS, "certification_no", "certified_on", "expires_on")}


# One set of views for both kinds; ``urls.py`` passes the kind ("trainer" or "base").


@login_required
@require_GET
@domain_http
def certified_list(request, kind: str):
    """Certified trainers or training bases in the actor's scope: search, certification state
    (expiring soon flagged), export; cards on a phone."""
    return _certified_list(request, kind)


@login_required
@require_GET
@domain_http
def certified_export(request, kind: str):
    return list_export_response(request, _CERTIFIED[kind][0])


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def certified_create(request, kind: str):
    _require_manager(request)
    return _certified_form(request, kind)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def certified_edit(request, kind: str, obj_id: int):
    model = _CERTIFIED[kind][0].model
    return _certified_form(request, kind, get_for(request.user, model, obj_id, MANAGE))


@login_required
@require_GET
def organization_options(request):
    """Results of the organization picker (htmx): active organizations the actor manages."""
    import functools

    from zhiyuan.core.picker import picker_results
    from zhiyuan.organizations.picker import organization_options as find

    _require_manager(request)
    return picker_results(request, functools.partial(find, actor=request.user, action=MANAGE))

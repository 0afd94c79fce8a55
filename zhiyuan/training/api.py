"""/api/v1/training — courses, trainers, bases, sessions, records, certificates, qualifications,
online quizzes and the eligibility check (TRN-1, TRN-2; issue 9). Thin: parse → one service or
selector → schema (STYLE.md)."""

from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router
from ninja.files import UploadedFile

from zhiyuan.accounts.scopes import MANAGE, REVIEW, get_for, pk_or_404
from zhiyuan.core.api import ERRORS, ErrorOut, IsoDate
from zhiyuan.core.errors import DomainError, NotFound
from zhiyuan.core.exports import export_operation
from zhiyuan.core.lists import list_operation
from zhiyuan.organizations.models import Organization
from zhiyuan.training import selectors
from zhiyuan.training.lists import BASES, COURSES, QUALIFICATIONS, RECORDS, SESSIONS, TRAINERS
from zhiyuan.training.models import QualificationType, QuizAttempt, Trainer, TrainingBase, TrainingCourse
from zhiyuan.training.schemas import (
    AttendanceIn,
    CertificateOut,
    CourseIn,
    CourseOut,
    CourseRow,
    EligibilityIn,
    EligibilityOut,
    EnrollmentOut,
    EvaluationIn,
    QualificationOut,
    QualificationReviewIn,
    QualificationRow,
    QualificationTypeOut,
    QuestionCreatedOut,
    QuestionIn,
    QuizAttemptOut,
    QuizSubmitIn,
    RecordRow,
    SessionIn,
    SessionOut,
    SessionRow,
    TrainerChangeIn,
    TrainerIn,
    TrainerOut,
    TrainingBaseChangeIn,
    TrainingBaseIn,
    TrainingBaseOut,
)
from zhiyuan.training.services import courses, qualifications, quiz
from zhiyuan.training.services.eligibility import Requirement, training_requirements_met_batch
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.schemas_manage import ImportJobOut
from zhiyuan.volunteers.selectors import volunteer_for

router = Router(tags=["training"])


def _org(actor, org_id):
    if not org_id:
        return None
    org = Organization.objects.visible_to(actor).filter(pk=pk_or_404(org_id)).first()
    if org is None:
        raise DomainError(
            "invalid", _("组织不存在或无权访问。"), fields={"organization_id": [_("组织不存在或无权访问。")]}, status=422
        )
    return org


def course_out(c: TrainingCourse) -> dict:
    return {
        **{
            k: getattr(c, k)
            for k in (
                "id",
                "name",
                "category",
                "level",
                "syllabus",
                "materials",
                "validity_months",
                "qualification_type_id",
                "online",
                "pass_mark",
                "questions_per_attempt",
                "max_attempts",
                "region_code",
                "organization_id",
                "status",
            )
        },
        "hours": float(c.hours),
    }


def session_out(s) -> dict:
    return {
        "id": s.pk,
        "course_id": s.course_id,
        "course_name": s.course.name,
        "trainer_id": s.trainer_id,
        "base_id": s.base_id,
        "place": s.place,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "capacity": s.capacity,
        "enrolled_count": s.enrolled_count,
        "region_code": s.region_code,
        "organization_id": s.organization_id,
        "status": s.status,
    }


def enrollment_out(e) -> dict:
    return {
        "id": e.pk,
        "session_id": e.session_id,
        "volunteer_id": e.volunteer_id,
        "status": e.status,
        "attendance": e.attendance,
        "score": e.score,
        "rating": e.rating,
    }


def certificate_out(c) -> dict:
    return {
        k: getattr(c, k)
        for k in (
            "id",
            "certificate_no",
            "title",
            "issuer",
            "issued_on",
            "expires_on",
            "status",
            "course_id",
            "qualification_type_id",
        )
    }


def qualification_out(q) -> dict:
    return {
        "id": q.pk,
        "volunteer_id": q.volunteer_id,
        "qualification_type_id": q.qualification_type_id,
        "qualification_type_name": q.qualification_type.name,
        "certificate_no": q.certificate_no,
        "issuer": q.issuer,
        "issued_on": q.issued_on,
        "expires_on": q.expires_on,
        "status": q.status,
        "reason": q.reason,
        "submitted_at": q.submitted_at,
    }


def attempt_out(a: QuizAttempt) -> dict:
    cert_id = None
    if a.passed:
        cert_id = (
            a.volunteer.training_certificates.filter(course_id=a.course_id)
            .order_by("-issued_on", "-id")
            .values_list("pk", flat=True)
            .first()
        )
    return {
        "id": a.pk,
        "course_id": a.course_id,
        "attempt_no": a.attempt_no,
        "questions": [{"id": q.pk, "text": q.text, "kind": q.kind, "options": q.options} for q in quiz.quiz_questions(a)],
        "submitted": a.submitted_at is not None,
        "score": a.score,
        "passed": a.passed,
        "certificate_id": cert_id,
    }


# --- lists (core.lists.ListSpec) -------------------------------------------------------------------

list_operation(
    router,
    "/courses",
    COURSES,
    row=CourseRow,
    operation_id="list_training_courses",
    to_row=lambda c: {
        "id": c.pk,
        "name": c.name,
        "category": c.category,
        "level": c.level,
        "hours": float(c.hours),
        "online": c.online,
        "status": c.status,
    },
    errors=ERRORS,
)
list_operation(
    router,
    "/sessions",
    SESSIONS,
    row=SessionRow,
    operation_id="list_training_sessions",
    to_row=lambda s: {
        "id": s.pk,
        "course_id": s.course_id,
        "course_name": s.course.name,
        "place": s.place,
        "starts_at": s.starts_at,
        "capacity": s.capacity,
        "enrolled_count": s.enrolled_count,
        "status": s.status,
    },
    errors=ERRORS,
)
list_operation(
    router,
    "/records",
    RECORDS,
    row=RecordRow,
    operation_id="list_training_records",
    to_row=lambda r: {
        "id": r.pk,
        "volunteer_id": r.volunteer_id,
        "volunteer_no": r.volunteer.volunteer_no,
        "volunteer_name": r.volunteer.name,
        "course_id": r.course_id,
        "course_name": r.course.name,
        "source": r.source,
        "completed_on": r.completed_on,
        "hours": float(r.hours),
        "score": r.score,
    },
    errors=ERRORS,
)
list_operation(
    router,
    "/qualifications",
    QUALIFICATIONS,
    row=QualificationRow,
    operation_id="list_qualifications",
    to_row=lambda q: {
        "id": q.pk,
        "volunteer_id": q.volunteer_id,
        "volunteer_name": q.volunteer.name,
        "qualification_type_name": q.qualification_type.name,
        "issuer": q.issuer,
        "issued_on": q.issued_on,
        "status": q.status,
    },
    errors=ERRORS,
)


# --- courses, trainers, bases, sessions -------------------------------------------------------------


@router.post("/courses", response={201: CourseOut, **ERRORS}, operation_id="create_training_course")
def create_training_course(request, payload: CourseIn):
    data = payload.model_dump()
    org = _org(request.user, data.pop("organization_id"))
    qt_id = data.pop("qualification_type_id")
    qtype = QualificationType.objects.filter(pk=pk_or_404(qt_id)).first() if qt_id else None
    if qt_id and qtype is None:
        raise DomainError("invalid", _("资格类型不存在。"), fields={"qualification_type_id": [_("资格类型不存在。")]}, status=422)
    return 201, course_out(courses.course_create(actor=request.user, organization=org, qualification_type=qtype, **data))


@router.get("/courses/{course_id}", response={200: CourseOut, **ERRORS}, operation_id="get_training_course")
def get_training_course(request, course_id: int):
    return course_out(selectors.course_get(actor=request.user, id=course_id))


@router.post("/courses/{course_id}/questions", response={201: QuestionCreatedOut, **ERRORS}, operation_id="create_quiz_question")
def create_quiz_question(request, course_id: int, payload: QuestionIn):
    course = selectors.course_get(actor=request.user, id=course_id, action=MANAGE)
    q = quiz.question_add(actor=request.user, course=course, **payload.model_dump())
    return 201, {"id": q.pk}


def certified_out(obj) -> dict:
    """A trainer or a training base, with its certification state today."""
    from zhiyuan.training.services.records import renewal_days
    from zhiyuan.volunteers.minors import today_shanghai

    own = ("specialty",) if isinstance(obj, Trainer) else ("address",)
    fields = ("id", "name", "certification_no", "certified_on", "expires_on", "region_code", "organization_id", *own)
    return {
        **{k: getattr(obj, k) for k in fields},
        "certification_state": obj.certification_state(on=today_shanghai(), days=renewal_days()),
    }


# GET /trainers, /bases: the certified trainers and bases in the caller's scope (lists.TRAINERS,
# lists.BASES: search by name or number, filter by certification state, keyset pages), and their exports.
list_operation(router, "/trainers", TRAINERS, row=TrainerOut, operation_id="list_trainers", to_row=certified_out,
               errors={**ERRORS, 422: ErrorOut})  # fmt: skip
export_operation(router, "/trainers/export.xlsx", TRAINERS, operation_id="export_trainers", errors={**ERRORS, 422: ErrorOut})
list_operation(router, "/bases", BASES, row=TrainingBaseOut, operation_id="list_training_bases", to_row=certified_out,
               errors={**ERRORS, 422: ErrorOut})  # fmt: skip
export_operation(router, "/bases/export.xlsx", BASES, operation_id="export_training_bases", errors={**ERRORS, 422: ErrorOut})


def _certified_operations(path: str, model, *, out, create_in, change_in, create, update, ids: tuple[str, str, str]):
    """Create, read and change one kind of certified holder (trainers, training bases): the
    same three operations over ``courses.trainer_*`` / ``courses.training_base_*``."""
    create_id, get_id, update_id = ids
    keyword = model._meta.model_name.removeprefix("training")  # trainer, base

    @router.post(path, response={201: out, **ERRORS}, operation_id=create_id)
    def create_operation(request, payload: create_in):
        data = payload.model_dump()
        org = _org(request.user, data.pop("organization_id"))
        return 201, certified_out(create(actor=request.user, organization=org, **data))

    @router.get(path + "/{obj_id}", response={200: out, **ERRORS}, operation_id=get_id)
    def get_operation(request, obj_id: int):
        return certified_out(get_for(request.user, model.objects.all(), obj_id, "view"))

    @router.patch(path + "/{obj_id}", response={200: out, **ERRORS}, operation_id=update_id)
    def update_operation(request, obj_id: int, payload: change_in):
        """Change what is sent (a renewed certification: number and dates); 404 outside the
        caller's scope, 403 when visible but not theirs to manage."""
        obj = get_for(request.user, model.objects.all(), obj_id, MANAGE)
        return certified_out(update(actor=request.user, **{keyword: obj}, **payload.model_dump(exclude_unset=True)))


_certified_operations(
    "/trainers", Trainer, out=TrainerOut, create_in=TrainerIn, change_in=TrainerChangeIn,
    create=courses.trainer_create, update=courses.trainer_update, ids=("create_trainer", "get_trainer", "update_trainer"),
)  # fmt: skip
_certified_operations(
    "/bases", TrainingBase, out=TrainingBaseOut, create_in=TrainingBaseIn, change_in=TrainingBaseChangeIn,
    create=courses.training_base_create, update=courses.training_base_update,
    ids=("create_training_base", "get_training_base", "update_training_base"),
)  # fmt: skip


@router.post("/sessions", response={201: SessionOut, **ERRORS}, operation_id="create_training_session")
def create_training_session(request, payload: SessionIn):
    actor = request.user
    course = selectors.course_get(actor=actor, id=payload.course_id, action=MANAGE)
    trainer = get_for(actor, Trainer, payload.trainer_id) if payload.trainer_id else None
    base = get_for(actor, TrainingBase, payload.base_id) if payload.base_id else None
    s = courses.session_create(
        actor=actor,
        course=course,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        capacity=payload.capacity,
        trainer=trainer,
        base=base,
        place=payload.place,
        organization=course.organization,
    )
    return 201, session_out(s)


@router.get("/sessions/{session_id}", response={200: SessionOut, **ERRORS}, operation_id="get_training_session")
def get_training_session(request, session_id: int):
    return session_out(selectors.session_get(actor=request.user, id=session_id))


@router.get("/open-sessions", response={200: list[SessionOut], **ERRORS}, operation_id="list_open_training_sessions")
def list_open_training_sessions(request):
    """Sessions still taking enrollments (any signed-in volunteer), soonest first."""
    volunteer_for(request.user)
    return [session_out(s) for s in selectors.open_sessions()]


@router.post(
    "/sessions/{session_id}/enrollment", response={201: EnrollmentOut, **ERRORS}, operation_id="create_training_enrollment"
)
def create_training_enrollment(request, session_id: int):
    return 201, enrollment_out(courses.session_enroll(actor=request.user, session_id=session_id))


@router.delete(
    "/sessions/{session_id}/enrollment", response={200: EnrollmentOut, **ERRORS}, operation_id="cancel_training_enrollment"
)
def cancel_training_enrollment(request, session_id: int):
    return enrollment_out(courses.session_enrollment_cancel(actor=request.user, session_id=session_id))


@router.post(
    "/sessions/{session_id}/attendance", response={200: EnrollmentOut, **ERRORS}, operation_id="mark_training_attendance"
)
def mark_training_attendance(request, session_id: int, payload: AttendanceIn):
    session = selectors.session_get(actor=request.user, id=session_id, action=MANAGE)
    e = courses.session_attendance_mark(
        actor=request.user, session=session, enrollment_id=payload.enrollment_id, present=payload.present, score=payload.score
    )
    return enrollment_out(e)


@router.post(
    "/sessions/{session_id}/evaluation", response={200: EnrollmentOut, **ERRORS}, operation_id="evaluate_training_session"
)
def evaluate_training_session(request, session_id: int, payload: EvaluationIn):
    return enrollment_out(courses.session_evaluate(actor=request.user, session_id=session_id, **payload.model_dump()))


@router.post(
    "/courses/{course_id}/records/import",
    response={200: ImportJobOut, 202: ImportJobOut, **ERRORS, 422: ErrorOut},
    operation_id="import_training_records",
)
def import_training_records(
    request,
    course_id: int,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    valid_only: Form[bool] = False,
    client_id: Form[str] = "",
):
    """Offline training records from Excel (志愿者编号*, 完成日期*, 学时, 成绩) as an import job
    of kind ``training.record`` — the same job as the volunteers' import: a small file is
    processed at once and answered **200** with the finished job and its report (row, field,
    Chinese message); a larger one **202** with the queued job — follow ``GET
    /volunteers/import/jobs/{id}``. ``dry_run`` checks without saving; otherwise all rows are
    written or none (unless ``valid_only``). A file refused as a whole: 400, field ``file``."""
    from zhiyuan.training.services.imports import record_import_submit
    from zhiyuan.volunteers import imports
    from zhiyuan.volunteers.api import import_job_out

    course = selectors.course_get(actor=request.user, id=course_id, action=MANAGE)
    mode = imports.mode_of(dry_run=dry_run, valid_only=valid_only)
    job, created = record_import_submit(
        actor=request.user, course=course, upload=file, mode=mode, client_id=client_id, request=request
    )
    return (200 if job.finished else 202), import_job_out(job, repeated=not created)


# --- the volunteer's own -----------------------------------------------------------------------------


@router.get("/me/certificates", response={200: list[CertificateOut], **ERRORS}, operation_id="list_my_training_certificates")
def list_my_training_certificates(request):
    return [certificate_out(c) for c in selectors.my_certificates(volunteer_for(request.user))]


@router.get("/certificates/{certificate_id}", response={200: CertificateOut, **ERRORS}, operation_id="get_training_certificate")
def get_training_certificate(request, certificate_id: int):
    return certificate_out(selectors.certificate_get(actor=request.user, id=certificate_id))


@router.post("/courses/{course_id}/attempts", response={201: QuizAttemptOut, **ERRORS}, operation_id="start_quiz_attempt")
def start_quiz_attempt(request, course_id: int):
    """Start (or resume) an attempt: the questions are drawn on the server and kept with it."""
    return 201, attempt_out(quiz.quiz_attempt_start(actor=request.user, course_id=course_id))


@router.post("/attempts/{attempt_id}/submission", response={200: QuizAttemptOut, **ERRORS}, operation_id="submit_quiz_attempt")
def submit_quiz_attempt(request, attempt_id: int, payload: QuizSubmitIn):
    """Scored on the server from the question bank; only the drawn questions count."""
    return attempt_out(quiz.quiz_attempt_submit(actor=request.user, attempt_id=attempt_id, answers=payload.answers))


# --- qualifications --------------------------------------------------------------------------------


@router.get("/qualification-types", response={200: list[QualificationTypeOut], **ERRORS}, operation_id="list_qualification_types")
def list_qualification_types(request):
    return [
        {"id": t.pk, "code": t.code, "name": t.name, "validity_months": t.validity_months}
        for t in selectors.qualification_types()
    ]


@router.post("/qualifications", response={201: QualificationOut, **ERRORS}, operation_id="submit_qualification")
def submit_qualification(
    request,
    evidence: File[UploadedFile],
    qualification_type_id: Form[int],
    certificate_no: Form[str],
    issuer: Form[str],
    issued_on: Form[IsoDate],
    expires_on: Form[IsoDate | None] = None,
    organization_id: Form[int | None] = None,
):
    """Multipart: the evidence file (PDF, JPEG or PNG, ≤ 5 MB) with the certificate's details."""
    qtype = selectors.qualification_types().filter(pk=pk_or_404(qualification_type_id)).first()
    if qtype is None:
        raise DomainError("invalid", _("资格类型不存在。"), fields={"qualification_type_id": [_("资格类型不存在。")]}, status=422)
    org = Organization.objects.filter(pk=pk_or_404(organization_id)).first() if organization_id else None
    if organization_id and org is None:
        raise NotFound()
    q = qualifications.qualification_submit(
        actor=request.user,
        qualification_type=qtype,
        certificate_no=certificate_no,
        issuer=issuer,
        issued_on=issued_on,
        expires_on=expires_on,
        evidence=evidence,
        organization=org,
    )
    return 201, qualification_out(q)


@router.post(
    "/qualifications/{qualification_id}/review", response={200: QualificationOut, **ERRORS}, operation_id="review_qualification"
)
def review_qualification(request, qualification_id: int, payload: QualificationReviewIn):
    q = selectors.qualification_get(actor=request.user, id=qualification_id, action=REVIEW)
    return qualification_out(
        qualifications.qualification_review(actor=request.user, qualification=q, approve=payload.approve, reason=payload.reason)
    )


# --- eligibility -----------------------------------------------------------------------------------


@router.post("/eligibility", response={200: EligibilityOut, **ERRORS}, operation_id="check_training_eligibility")
def check_training_eligibility(request, payload: EligibilityIn):
    """Do these volunteers hold valid certificates for the requirements on the day? Volunteers
    outside the caller's scope are left out of the answer (as if they did not exist)."""
    visible = list(Volunteer.objects.visible_to(request.user).filter(pk__in=payload.volunteer_ids).values_list("pk", flat=True))
    course_ids = [r.course_id for r in payload.requirements if r.course_id]
    type_ids = [r.qualification_type_id for r in payload.requirements if r.qualification_type_id]
    found_courses = TrainingCourse.objects.in_bulk(course_ids)
    found_types = QualificationType.objects.in_bulk(type_ids)
    reqs, errors = [], []
    for i, r in enumerate(payload.requirements):
        if bool(r.course_id) == bool(r.qualification_type_id):
            errors.append(i)
        elif r.course_id:
            c = found_courses.get(r.course_id)
            errors.append(i) if c is None else reqs.append(Requirement.of(c))
        else:
            t = found_types.get(r.qualification_type_id)
            errors.append(i) if t is None else reqs.append(Requirement.of(t))
    if errors:
        raise DomainError(
            "invalid",
            _("培训要求有误。"),
            fields={"requirements": [_("第%(n)s项：课程或资格类型不存在。") % {"n": i + 1} for i in errors]},
            status=422,
        )
    answers = training_requirements_met_batch(volunteer_ids=visible, requirements=reqs, on=payload.on)
    return {"items": [{"volunteer_id": v, "ok": a.ok, "reasons": a.reasons} for v, a in answers.items()]}

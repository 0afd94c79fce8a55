"""/api/v1/volunteers — thin: parse → one service/selector → schema (STYLE.md)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router
from ninja.files import UploadedFile

from zhiyuan.accounts.ratelimit import rate_limit_hit
from zhiyuan.accounts.scopes import EXPORT
from zhiyuan.core.api import ERRORS, XLSX, ErrorOut, binary_download, page_bounds
from zhiyuan.core.audit import client_ip
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.exports import export_operation
from zhiyuan.core.lists import list_operation
from zhiyuan.volunteers import availability, code_tables, imports, minors
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.import_lists import IMPORT_JOBS
from zhiyuan.volunteers.lists import VOLUNTEERS, can_list_volunteers, volunteer_row, volunteers_decorate
from zhiyuan.volunteers.models import ProfileCorrectionRequest, Volunteer
from zhiyuan.volunteers.permissions import require_importer
from zhiyuan.volunteers.schemas import (
    CardTokenOut,
    CardVerifyIn,
    CardVerifyOut,
    ConsentIn,
    ConsentOut,
    CorrectionIn,
    CorrectionOut,
    CorrectionResolveIn,
    ExitIn,
    MyVolunteerOut,
    PrivacyNoticeOut,
    ProfileIn,
    RegisterIn,
    RevealIn,
    RevealOut,
    VolunteerOut,
    VolunteerStatusChangeOut,
    VolunteerStatusIn,
    WithdrawOut,
)
from zhiyuan.volunteers.schemas_manage import (
    DocumentSearchIn,
    ImportJobOut,
    ImportJobSummaryOut,
    VolunteerListItemOut,
    VolunteerSearchOut,
)
from zhiyuan.volunteers.selectors import (
    privacy_notice_current,
    region_full_name,
    volunteer_find_by_document,
    volunteer_for,
    volunteer_get,
)
from zhiyuan.volunteers.services import import_jobs
from zhiyuan.volunteers.services.card import CARD_TOKEN_TTL
from zhiyuan.volunteers.texts import OATH_TEXT

router = Router(tags=["volunteers"])
REGISTER_RATE = 20  # attempts per client address per hour (also limits probing which numbers are registered)


def status_history_out(v: Volunteer, *, with_actor: bool) -> list[dict]:
    """VOL-9 status history, oldest first; managers also see who made each change."""
    labels = dict(Volunteer.Status.choices)
    rows = []
    for change in v.status_changes.select_related("actor").order_by("at", "id"):
        row = {
            "from_status": change.from_status,
            "from_status_label": str(labels.get(change.from_status, change.from_status)),
            "to_status": change.to_status,
            "to_status_label": str(change.get_to_status_display()),
            "reason": change.reason,
            "at": change.at,
        }
        if with_actor:
            row["actor"] = change.actor.audit_label if change.actor else None
        rows.append(row)
    return rows


def volunteer_out(v: Volunteer, *, own: bool = False) -> dict:
    return {
        "id": v.pk,
        "volunteer_no": v.volunteer_no,
        "name": v.name,
        "id_type": v.id_type,
        "id_number_masked": v.id_number_masked,
        "gender": v.gender,
        "birth_date": v.birth_date,
        "age": minors.age_on(v.birth_date),
        "is_minor": minors.volunteer_is_minor(v),
        "region_code": v.region_code,
        "region_name": region_full_name(v.region_code),
        "status": v.status,
        "status_label": str(v.get_status_display()),
        "political_status": v.political_status,
        "education": v.education,
        "ethnicity": v.ethnicity,
        "skills": [{"code": s.code, "label": code_tables.label("skill", s.code), "detail": s.detail} for s in v.skills.all()],
        "service_categories": [
            {"code": c.code, "label": code_tables.label("service_category", c.code)} for c in v.service_categories.all()
        ],
        "availability": availability.keys_from_mask(v.availability),
        "registered_at": v.registered_at,
        "status_history": status_history_out(v, with_actor=not own),
    }


def my_volunteer_out(v: Volunteer) -> dict:
    status = svc.consent_status(volunteer=v)
    notice = status["notice"]
    return {
        **volunteer_out(v, own=True),
        "mobile": v.user.mobile,
        "email": v.user.email,
        "home_lat": str(v.home_lat) if v.home_lat is not None else None,
        "home_lng": str(v.home_lng) if v.home_lng is not None else None,
        "restricted": v.is_restricted,
        "needs_privacy_consent": status["needs_privacy"],
        "privacy_version": notice.version if notice else None,
    }


@router.get("/privacy-notice", response={200: PrivacyNoticeOut, 404: ErrorOut}, auth=None, operation_id="get_privacy_notice")
def get_privacy_notice(request):
    """The current privacy notice (VOL-6) and the volunteer oath (VOL-7), for registration."""
    notice = privacy_notice_current()
    if notice is None:
        raise DomainError("not_found", _("平台尚未发布隐私政策。"), status=404)
    return {
        "version": notice.version,
        "title": notice.title,
        "body": notice.body,
        "published_at": notice.published_at,
        "oath_text": OATH_TEXT,
    }


@router.post("/register", response={201: MyVolunteerOut, **ERRORS, 422: ErrorOut}, auth=None, operation_id="register_volunteer")
def register_volunteer(request, payload: RegisterIn):
    """Self-registration of a visitor (VOL-1/2/3/5/7): creates the login and the volunteer
    together. Rate limited per client address."""
    if rate_limit_hit(f"vol-register:{client_ip(request)}", REGISTER_RATE, 3600):
        raise DomainError("rate_limited", _("注册请求过于频繁，请稍后再试。"), status=429)
    volunteer = svc.volunteer_register(actor=None, registration=svc.RegistrationInput(**payload.model_dump()), request=request)
    return 201, my_volunteer_out(volunteer)


@router.get("/me", response={200: MyVolunteerOut, **ERRORS}, operation_id="get_my_volunteer_profile")
def get_my_volunteer_profile(request):
    return my_volunteer_out(volunteer_for(request.user))


@router.patch("/me", response={200: MyVolunteerOut, **ERRORS, 422: ErrorOut}, operation_id="update_my_profile")
def update_my_profile(request, payload: ProfileIn):
    volunteer = svc.volunteer_update_profile(actor=request.user, change=svc.ProfileChange(**payload.as_data()), request=request)
    return my_volunteer_out(volunteer)


@router.get("/me/export", response={200: dict, **ERRORS}, operation_id="export_my_data", openapi_extra=binary_download())
def export_my_data(request, format: str = "json"):
    """Download all my data (VOL-6, PIPL 45): ``format=json`` (default) or ``format=xlsx``."""
    if format == "xlsx":
        body = svc.my_data_xlsx(actor=request.user, request=request)
        response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="my-volunteer-data.xlsx"'
        return response
    if format != "json":
        raise DomainError("invalid", _("格式只能是 json 或 xlsx。"), fields={"format": [_("格式只能是 json 或 xlsx。")]})
    return svc.my_data(actor=request.user, request=request)


@router.post("/me/consents", response={200: ConsentOut, **ERRORS}, operation_id="accept_consent")
def accept_consent(request, payload: ConsentIn):
    """Accept the current privacy notice (lifts a restriction), the oath, or the location consent."""
    return svc.consent_accept(actor=request.user, kind=payload.kind, version=payload.version, request=request)


@router.post("/me/consents/withdraw", response={200: WithdrawOut, **ERRORS}, operation_id="withdraw_consent")
def withdraw_consent(request, payload: ConsentIn):
    """Withdraw consent (VOL-6): ``privacy`` restricts all processing; ``location`` erases the
    home location."""
    v = svc.consent_withdraw(actor=request.user, kind=payload.kind, request=request)
    return {"restricted": v.is_restricted, "restricted_at": v.restricted_at}


@router.post("/me/exit", response={200: VolunteerStatusChangeOut, **ERRORS}, operation_id="exit_volunteer")
def exit_volunteer(request, payload: ExitIn):
    return svc.volunteer_exit(actor=request.user, reason=payload.reason, request=request)


@router.get("/me/corrections", response={200: list[CorrectionOut], **ERRORS}, operation_id="list_my_correction_requests")
def list_my_correction_requests(request):
    v = volunteer_for(request.user)
    return [_correction_out(r) for r in v.correction_requests.all()]


def _correction_out(r: ProfileCorrectionRequest) -> dict:
    return {
        "id": r.pk,
        "field": r.field,
        "requested": r.requested_masked,
        "reason": r.reason,
        "status": r.status,
        "created_at": r.created_at,
        "response": r.response,
    }


@router.post("/me/corrections", response={201: CorrectionOut, **ERRORS}, operation_id="create_correction_request")
def create_correction_request(request, payload: CorrectionIn):
    """Ask for a correction of name, document, gender or birth date (VOL-6, PIPL 46)."""
    r = svc.correction_request_create(actor=request.user, **payload.model_dump())
    return 201, _correction_out(r)


@router.post(
    "/corrections/{request_id}/resolve", response={200: CorrectionOut, **ERRORS}, operation_id="resolve_correction_request"
)
def resolve_correction_request(request, request_id: int, payload: CorrectionResolveIn):
    r = svc.correction_request_resolve(
        actor=request.user, request_id=request_id, approve=payload.approve, response=payload.response, request=request
    )
    return _correction_out(r)


@router.get("/me/card-token", response={200: CardTokenOut, **ERRORS}, operation_id="issue_card_token")
def issue_card_token(request):
    """A fresh signed QR token for my e-card (VOL-8), valid for 3 minutes."""
    token, expires = svc.card_token_issue(actor=request.user)
    return {"token": token, "expires_at": expires, "ttl_seconds": CARD_TOKEN_TTL}


@router.post("/card-tokens/verify", response={200: CardVerifyOut, **ERRORS}, operation_id="verify_card_token")
def verify_card_token(request, payload: CardVerifyIn):
    """Check a scanned e-card token (or the URL in the QR code). Answers the masked name (the
    full name when the scanner may see the volunteer anyway), number, status and star level;
    expired and forged tokens get ``token_expired`` / ``token_invalid``."""
    check = svc.card_token_verify(token=payload.token)
    full = Volunteer.objects.visible_to(request.user).filter(pk=check.volunteer.pk).exists()
    return {"valid": True, **svc.card_public_info(check.volunteer, full_name=full), "expires_at": check.expires_at}


# --- manager list, search and import (VOL-10); before "/{volunteer_id}" so the paths stay literal ---


def _require_list(request):
    if not can_list_volunteers(request.user):
        raise PermissionDenied(VOLUNTEERS.denied_message)


# GET "": volunteers in the caller's scope (region managers: their region; platform admins: all;
# organization admins: their members), masked; restricted people never appear.
list_operation(router, "", VOLUNTEERS, row=VolunteerListItemOut, operation_id="list_volunteers", to_row=volunteer_row,
               errors={**ERRORS, 422: ErrorOut})  # fmt: skip
export_operation(router, "/export.xlsx", VOLUNTEERS, operation_id="export_volunteers", errors={**ERRORS, 422: ErrorOut})


@router.post("/search", response={200: VolunteerSearchOut, **ERRORS, 422: ErrorOut}, operation_id="search_volunteers_by_document")
def search_volunteers_by_document(request, payload: DocumentSearchIn):
    """Exact search by document number inside the caller's scope. POST so the number stays out
    of URLs and access logs; it is matched through the blind index and not echoed."""
    _require_list(request)
    found = volunteer_find_by_document(actor=request.user, number=payload.id_number, id_type=payload.id_type)
    return {"items": [volunteer_row(v) for v in volunteers_decorate(list(found))], "next_cursor": None}


@router.get("/import/template", response=ERRORS, operation_id="get_volunteer_import_template", openapi_extra=binary_download())
def get_volunteer_import_template(request):
    """The Excel template of the bulk import (VOL-10)."""
    require_importer(request.user)
    response = HttpResponse(imports.import_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="volunteer-import-template.xlsx"'
    return response


def _job_summary(job) -> dict:
    from django.urls import reverse

    return {
        "id": job.pk,
        "kind": job.kind,
        "target_id": job.target_id,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "mode": job.mode,
        "mode_label": str(job.get_mode_display()),
        "dry_run": job.dry_run,
        "phase": job.phase,
        "progress": job.progress,
        "rows": job.rows_total,
        "rows_done": job.rows_done,
        "valid_rows": job.rows_valid,
        "invalid_rows": job.rows_invalid,
        "created": job.rows_created,
        "errors_count": job.errors_count,
        "ok": job.ok,
        "finished": job.finished,
        "file_name": job.file_name,
        "file_size": job.file_size,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": reverse("volunteers:volunteers_manage:import_job", args=[job.pk]),
        "report_url": reverse("api:get_import_job_report", args=[job.pk]),
    }


def import_job_out(job, *, errors_page: int = 1, errors_page_size: int = 100, repeated: bool = False) -> dict:
    start, end = page_bounds(errors_page, errors_page_size)
    errors = [
        {"row": e.row, "field": e.field, "field_label": e.field_label, "message": e.message}
        for e in job.errors.only("row", "field", "message")[start:end]
    ]
    return {
        **_job_summary(job),
        "file_errors": list(job.file_errors),
        "message": job.message,
        "errors": errors,
        "errors_page": errors_page,
        "errors_page_size": errors_page_size,
        "preview": job.preview,
        "repeated": repeated,
    }


IMPORT_RESPONSES = {200: ImportJobOut, 202: ImportJobOut, **ERRORS, 422: ErrorOut}


@router.post("/import", response=IMPORT_RESPONSES, operation_id="import_volunteers")
def import_volunteers(
    request,
    file: File[UploadedFile],
    dry_run: Form[bool] = True,
    valid_only: Form[bool] = False,
    client_id: Form[str] = "",
):
    """Bulk import from the template (multipart ``file``, .xlsx). ``dry_run`` (default true)
    checks without saving; otherwise all rows are imported, or none if any row has an error —
    unless ``valid_only`` asks to import the rows that pass. The upload becomes an import job:
    files of up to ``ZHIYUAN_IMPORT_INLINE_ROWS`` rows are processed at once and answered
    **200** with the finished job and its report (row, field, Chinese message); larger files
    answer **202** with the queued job — follow ``GET /volunteers/import/jobs/{id}``. A repeat
    (same ``client_id``, or without one the same file and mode shortly after) returns the first
    job (``repeated``). Unreadable files, missing columns, too many rows or a file over the size
    limit are refused at once (400, field ``file``). Audited."""
    require_importer(request.user)
    mode = imports.mode_of(dry_run=dry_run, valid_only=valid_only)
    job, created = import_jobs.import_job_submit(actor=request.user, upload=file, mode=mode, client_id=client_id, request=request)
    return (200 if job.finished else 202), import_job_out(job, repeated=not created)


# GET /import/jobs: my import jobs (import_lists.IMPORT_JOBS), newest first, counts and progress
# without report rows; keyset-paged.
list_operation(router, "/import/jobs", IMPORT_JOBS, row=ImportJobSummaryOut, operation_id="list_import_jobs",
               to_row=_job_summary, errors=ERRORS)  # fmt: skip


@router.get("/import/jobs/{job_id}", response={200: ImportJobOut, **ERRORS, 422: ErrorOut}, operation_id="get_import_job")
def get_import_job(request, job_id: int, errors_page: int = 1, errors_page_size: int = 100):
    """An import job: status, progress and, when finished, its report (one page of the row
    errors). Only its uploader and platform admins see it; anyone else gets 404."""
    job = import_jobs.import_job_get(actor=request.user, job_id=job_id)
    return import_job_out(job, errors_page=errors_page, errors_page_size=errors_page_size)


@router.get(
    "/import/jobs/{job_id}/report", response=ERRORS, operation_id="get_import_job_report", openapi_extra=binary_download()
)
def get_import_job_report(request, job_id: int):
    """The job's report as .xlsx: row, field, message, and a summary sheet."""
    job = import_jobs.import_job_get(actor=request.user, job_id=job_id, action=EXPORT)
    response = HttpResponse(import_jobs.import_job_report_xlsx(job=job), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="volunteer-import-{job.pk}-report.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@router.get("/{volunteer_id}", response={200: VolunteerOut, **ERRORS}, operation_id="get_volunteer")
def get_volunteer(request, volunteer_id: int):
    """One volunteer in the actor's scope, document masked (404 outside the scope)."""
    return volunteer_out(volunteer_get(actor=request.user, volunteer_id=volunteer_id))


@router.post("/{volunteer_id}/reveal-id", response={200: RevealOut, **ERRORS}, operation_id="reveal_volunteer_id")
def reveal_volunteer_id(request, volunteer_id: int, payload: RevealIn, response: HttpResponse):
    """The unmasked document number, once, for a scoped manager; audited ``volunteer.reveal_id``.
    Never cached: ``core.middleware.PrivateNoStoreMiddleware`` marks every /api/ response."""
    number = svc.volunteer_reveal_id_number(actor=request.user, volunteer_id=volunteer_id, reason=payload.reason, request=request)
    v = Volunteer.objects.only("volunteer_no", "id_type").get(pk=volunteer_id)
    return {"volunteer_no": v.volunteer_no, "id_type": v.id_type, "id_number": number}


@router.post("/{volunteer_id}/status", response={200: VolunteerStatusChangeOut, **ERRORS}, operation_id="change_volunteer_status")
def change_volunteer_status(request, volunteer_id: int, payload: VolunteerStatusIn):
    """Suspend, reinstate or exit a volunteer with a reason (VOL-9); scoped and audited."""
    return svc.volunteer_change_status(
        actor=request.user, volunteer_id=volunteer_id, to_status=payload.to_status, reason=payload.reason, request=request
    )

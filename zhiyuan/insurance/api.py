"""/api/v1/insurance — policies, their documents and insured lists, and the cover check (FUN-4).
Thin: parse → one service/selector → schema (STYLE.md)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router
from ninja.files import UploadedFile

from zhiyuan.core.api import ERRORS, ErrorOut, binary_download
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.lists import list_operation
from zhiyuan.insurance import selectors, services
from zhiyuan.insurance.coverage import insurance_covered_many
from zhiyuan.insurance.lists import INSURED, POLICIES
from zhiyuan.insurance.models import InsurancePolicy, InsuredPerson, Kind
from zhiyuan.insurance.permissions import can_use_insurance
from zhiyuan.insurance.schemas import (
    CancelIn,
    CoverCheckIn,
    CoverCheckOut,
    ExpiringOut,
    InsuredImportOut,
    InsuredOut,
    PolicyIn,
    PolicyListItemOut,
    PolicyOut,
)

router = Router(tags=["insurance"])
ERRS = {**ERRORS, 422: ErrorOut}


def _require_user(actor) -> None:
    if not can_use_insurance(actor):
        raise PermissionDenied()


def policy_row(p: InsurancePolicy) -> dict:
    return {
        "id": p.pk,
        "holder_id": p.holder_id,
        "holder_name": str(p.holder_name),
        "insurer": p.insurer,
        "policy_no": p.policy_no,
        "kind": p.kind,
        "cover": p.cover,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "status": p.status,
        "insured_count": p.insured_count,
    }


def policy_out(p: InsurancePolicy) -> dict:
    return {
        **policy_row(p),
        "region_code": p.region_code,
        "sum_insured": str(p.sum_insured),
        "cancelled_on": p.cancelled_on,
        "has_document": p.has_document,
        "note": p.note,
    }


def insured_out(person: InsuredPerson) -> dict:
    v = person.volunteer
    return {
        "id": person.pk,
        "volunteer_id": v.pk,
        "volunteer_no": v.volunteer_no,
        "name": v.name,
        "id_number_masked": v.id_number_masked,
        "added_at": person.added_at,
    }


list_operation(router, "/policies", POLICIES, row=PolicyListItemOut, operation_id="list_insurance_policies", to_row=policy_row,
               errors=ERRS)  # fmt: skip


@router.post("/policies", response={201: PolicyOut, **ERRS}, operation_id="create_insurance_policy")
def create_insurance_policy(request, payload: PolicyIn):
    """Register a policy: for an organization the caller manages (``holder_id``), or — region
    managers and platform admins — a platform policy for a region (``region_code``). Audited."""
    _require_user(request.user)
    policy = services.policy_create(actor=request.user, data=payload.model_dump(), request=request)
    return 201, policy_out(policy)


@router.get("/policies/expiring", response={200: ExpiringOut, **ERRS}, operation_id="list_expiring_insurance_policies")
def list_expiring_insurance_policies(request):
    """Policies the caller manages that are in force and end within
    ``ZHIYUAN_INSURANCE_EXPIRY_ALERT_DAYS`` days (at most 100, soonest first)."""
    _require_user(request.user)
    items = selectors.policies_expiring(actor=request.user)[:100]
    return {"items": [policy_row(p) for p in items], "within_days": selectors.expiry_days()}


@router.get("/policies/{policy_id}", response={200: PolicyOut, **ERRS}, operation_id="get_insurance_policy")
def get_insurance_policy(request, policy_id: int):
    """One policy (404 outside the caller's scope)."""
    return policy_out(selectors.policy_get(actor=request.user, id=policy_id))


@router.post("/policies/{policy_id}/cancel", response={200: PolicyOut, **ERRS}, operation_id="cancel_insurance_policy")
def cancel_insurance_policy(request, policy_id: int, payload: CancelIn):
    """退保: the policy covers up to the day before ``on``. Audited."""
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    policy = services.policy_cancel(actor=request.user, policy=policy, on=payload.on, reason=payload.reason, request=request)
    return policy_out(policy)


@router.post("/policies/{policy_id}/document", response={200: PolicyOut, **ERRS}, operation_id="upload_insurance_policy_document")
def upload_insurance_policy_document(request, policy_id: int, file: File[UploadedFile]):
    """Upload the policy document (multipart ``file``: PDF, PNG or JPEG), kept encrypted; replaces
    the previous one. Audited."""
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    return policy_out(services.policy_document_upload(actor=request.user, policy=policy, upload=file, request=request))


@router.get(
    "/policies/{policy_id}/document",
    response=ERRS,
    operation_id="download_insurance_policy_document",
    openapi_extra=binary_download("application/octet-stream"),
)
def download_insurance_policy_document(request, policy_id: int):
    """The policy document, for whoever may see the policy (404 otherwise, and when there is
    none). Every download is audited."""
    policy = selectors.policy_get(actor=request.user, id=policy_id)
    body = services.policy_document_read(actor=request.user, policy=policy, request=request)
    response = HttpResponse(body, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="policy-{policy.pk}"'
    return response


def _insured_context(request, policy_id: int) -> dict:
    """Fetch-and-authorize the policy (404 outside the caller's scope, 403 when visible but not
    theirs to manage) before its insured persons are read."""
    return {"policy": selectors.policy_get_for_manage(actor=request.user, id=policy_id)}


# GET /policies/{policy_id}/insured: the insured persons of a policy (lists.INSURED: masked
# document numbers, import order), keyset pages.
list_operation(router, "/policies/{policy_id}/insured", INSURED, row=InsuredOut, operation_id="list_insured_persons",
               to_row=insured_out, errors=ERRS, path_params={"policy_id": int}, context=_insured_context)  # fmt: skip


@router.post(
    "/policies/{policy_id}/insured/import", response={200: InsuredImportOut, **ERRS}, operation_id="import_insured_persons"
)
def import_insured_persons(request, policy_id: int, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Import an insurer's list (multipart ``file``, .xlsx with 姓名 and 证件号码 columns) into a
    ``listed`` or ``activity`` policy. Rows are matched to registered volunteers by document
    number; one bad row and nothing is saved (``ok`` false, the rows and reasons in ``errors``).
    ``dry_run`` checks only. Audited (counts only)."""
    policy = selectors.policy_get_for_manage(actor=request.user, id=policy_id)
    report = services.insured_import(actor=request.user, policy=policy, upload=file, dry_run=dry_run, request=request)
    return report.as_dict()


@router.post("/cover-check", response={200: CoverCheckOut, **ERRS}, operation_id="check_insurance_cover")
def check_insurance_cover(request, payload: CoverCheckIn):
    """Are these volunteers (up to 1,000) insured for this organization's activity on ``on``?
    Each answer is yes, or no with the Chinese reason. The organization must be one the caller
    manages; volunteers the caller may not see (and who are on none of its lists) come back in
    ``not_found``. Constant number of queries, whatever the number of volunteers."""
    _require_user(request.user)
    if payload.kind not in Kind.values:
        raise DomainError("invalid", _("请选择险种。"), fields={"kind": [_("请选择险种。")]}, status=422)
    org = selectors.organization_for_cover(actor=request.user, id=payload.organization_id)
    ids = sorted(set(payload.volunteer_ids))
    people = selectors.cover_check_volunteers(actor=request.user, organization=org, ids=ids)
    answers = insurance_covered_many(volunteers=people, organization=org, on=payload.on, kind=payload.kind)
    found = {v.pk for v in people}
    return {
        "items": [
            {"volunteer_id": vid, "covered": a.covered, "reason": a.reason, "policy_id": a.policy_id, "policy_no": a.policy_no}
            for vid, a in sorted(answers.items())
        ],
        "not_found": [i for i in ids if i not in found],
    }

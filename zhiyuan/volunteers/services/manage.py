"""Manager acts on one volunteer: unmasked reveal of the document number (VOL-2) and status
changes (VOL-9), plus the person's own exit. All scoped (404 outside the scope, 403 for a
role that sees but may not manage) and audited in the same transaction."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers import documents
from zhiyuan.volunteers.models import Volunteer, VolunteerStatusChange
from zhiyuan.volunteers.permissions import volunteer_get_for_manage
from zhiyuan.volunteers.selectors import volunteer_for
from zhiyuan.volunteers.tallies import tally_key, tally_moved
from zhiyuan.volunteers.validation import clean_text

S = Volunteer.Status
# Allowed transitions; a manager may reinstate an exited volunteer (re-registration without a
# second number), the person may only leave.
MANAGER_TRANSITIONS = {
    S.ACTIVE: {S.SUSPENDED, S.EXITED},
    S.SUSPENDED: {S.ACTIVE, S.EXITED},
    S.EXITED: {S.ACTIVE},
}


@transaction.atomic
def volunteer_reveal_id_number(*, actor, volunteer_id: int, reason: str = "", request=None) -> str:
    """Return the unmasked document number once, for a scoped manager (platform admin or the
    region manager of the volunteer's residence). Every call appends an audit entry
    ``volunteer.reveal_id`` (who, whom, when, IP, the stated reason) — the number itself never
    goes into the audit log, the URL or any other log."""
    volunteer = volunteer_get_for_manage(actor, volunteer_id)
    reason, err = clean_text(reason, label=_("查看原因"), max_length=200)
    if err:
        raise DomainError("invalid", err, fields={"reason": [err]})
    number = documents.document_unseal(volunteer.id_number_sealed)
    audit_record(
        actor=actor, action="volunteer.reveal_id", obj=volunteer, request=request,
        detail={"volunteer_no": volunteer.volunteer_no, "reason": reason},
    )  # fmt: skip
    return number


def _record_status(volunteer: Volunteer, to_status: str, reason: str, actor) -> VolunteerStatusChange:
    change = VolunteerStatusChange.objects.create(
        volunteer=volunteer, from_status=volunteer.status, to_status=to_status, reason=reason, actor=actor
    )
    before = tally_key(volunteer)
    volunteer.status = to_status
    volunteer.updated_at = change.at
    volunteer.save(update_fields=["status", "updated_at"])
    tally_moved(before, tally_key(volunteer))
    return change


def _clean_reason(reason) -> str:
    reason, err = clean_text(reason, label=_("原因"), max_length=500, required=True, allow_newlines=True)
    if err:
        raise DomainError("invalid", err, fields={"reason": [err]})
    return reason


@transaction.atomic
def volunteer_change_status(*, actor, volunteer_id: int, to_status: str, reason: str, request=None) -> VolunteerStatusChange:
    """VOL-9 dynamic management: suspend, reinstate or exit a volunteer, with a reason. Only a
    scoped manager; audited as ``volunteer.status_change``; history kept in
    ``VolunteerStatusChange``."""
    volunteer = volunteer_get_for_manage(actor, volunteer_id, for_update=True)
    if to_status not in S.values:
        raise DomainError("invalid", _("无效的状态。"), fields={"to_status": [_("无效的状态。")]})
    reason = _clean_reason(reason)
    if to_status == volunteer.status:
        raise DomainError("no_change", _("志愿者已处于该状态。"), status=409)
    if to_status not in MANAGER_TRANSITIONS[volunteer.status]:
        raise DomainError("bad_transition", _("不能从当前状态变更为该状态。"), status=409)
    change = _record_status(volunteer, to_status, reason, actor)
    audit_record(
        actor=actor, action="volunteer.status_change", obj=volunteer, request=request,
        detail={"from": change.from_status, "to": to_status},
    )  # fmt: skip
    return change


@transaction.atomic
def volunteer_exit(*, actor, reason: str, request=None) -> VolunteerStatusChange:
    """The person leaves voluntarily (exit mechanism). Records are kept; a manager can reinstate."""
    volunteer = volunteer_for(actor, for_update=True)
    reason = _clean_reason(reason)
    if volunteer.status == S.EXITED:
        raise DomainError("no_change", _("您已退出。"), status=409)
    change = _record_status(volunteer, S.EXITED, reason, actor)
    audit_record(actor=actor, action="volunteer.exit", obj=volunteer, request=request, detail={"from": change.from_status})
    return change


def status_history(*, volunteer: Volunteer):
    return volunteer.status_changes.select_related("actor").order_by("-at", "-id")

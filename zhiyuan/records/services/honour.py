"""Honour hours 荣誉时长 (REC-1): granted by the organization with a reason and approved by a
second person; only the approval writes the ledger entry (``recorded_by`` the proposer,
``approved_by`` the approver, ``honour_grant`` the evidence)."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, PermissionDenied
from zhiyuan.records.models import EntryAction, HonourGrant, HonourStatus, HourEntry, HourKind
from zhiyuan.records.permissions import can_approve_honour, records_check
from zhiyuan.records.services.hours import INVALID, _hm, _notify_hours, _reason
from zhiyuan.records.services.ledger import ledger_append, ledger_lock


def _invalid(fields: dict) -> DomainError:
    return DomainError("invalid", INVALID, fields=fields, status=422)


def _served_with(volunteer, organization) -> bool:
    """May the organization grant this person hours: an active member, or someone who enrolled
    in one of its activities."""
    from zhiyuan.activities.models import Enrollment
    from zhiyuan.organizations.models import Membership

    return (
        Membership.objects.filter(volunteer=volunteer, organization=organization, status=Membership.Status.ACTIVE).exists()
        or Enrollment.objects.filter(volunteer=volunteer, organization=organization).exists()
    )


def volunteer_by_number(volunteer_no: str):
    from zhiyuan.volunteers.models import Volunteer

    return Volunteer.objects.filter(volunteer_no=str(volunteer_no or "").strip()).first()


@transaction.atomic
def honour_propose(
    *, actor, organization, volunteer_no: str, minutes, service_date, reason: str, activity_id=None, request=None
) -> HonourGrant:
    """An admin of ``organization`` proposes honour hours for one of its volunteers."""
    records_check(actor, organization.pk)
    errors: dict = {}
    volunteer = volunteer_by_number(volunteer_no)
    if volunteer is None or not _served_with(volunteer, organization):
        errors["volunteer_no"] = [_("未找到该志愿者，或其不是本组织的成员或活动参与者。")]
    try:
        minutes = int(minutes)
        if not 0 < minutes <= settings.ZHIYUAN_HONOUR_MAX_MINUTES:
            raise ValueError
    except (TypeError, ValueError):
        errors["minutes"] = [_("分钟数须为1至%(n)d。") % {"n": settings.ZHIYUAN_HONOUR_MAX_MINUTES}]
    if not isinstance(service_date, dt.date):
        try:
            service_date = dt.date.fromisoformat(str(service_date or ""))
        except ValueError:
            errors["service_date"] = [_("请填写日期（YYYY-MM-DD）。")]
    if isinstance(service_date, dt.date) and service_date > timezone.localdate():
        errors["service_date"] = [_("服务日期不能晚于今天。")]
    activity = None
    if activity_id:
        from zhiyuan.activities.models import Activity

        ok = isinstance(activity_id, int) and 0 < activity_id < 2**63
        activity = Activity.objects.filter(pk=activity_id, organization=organization).first() if ok else None
        if activity is None:
            errors["activity_id"] = [_("活动不存在或不是本组织的活动。")]
    try:
        reason = _reason(reason, required=True)
    except DomainError as exc:
        errors.update(exc.fields)
    if errors:
        raise _invalid(errors)
    grant = HonourGrant.objects.create(
        volunteer=volunteer,
        organization=organization,
        region_code=activity.region_code if activity else organization.region_code,
        activity=activity,
        minutes=minutes,
        service_date=service_date,
        reason=reason,
        proposed_by=actor,
    )
    audit_record(
        actor=actor, action="records.honour.propose", obj=grant, request=request,
        detail={"volunteer": volunteer.pk, "minutes": minutes, "reason": reason},
    )  # fmt: skip
    return grant


def honour_get_for_decision(*, actor, id) -> HonourGrant:
    """404 unless the actor may see the grant; 403 unless they may approve it (a second person)."""
    from zhiyuan.accounts.scopes import get_for

    grant = get_for(actor, HonourGrant, id)
    if not can_approve_honour(actor, grant):
        if actor.pk == grant.proposed_by_id:
            raise PermissionDenied(_("荣誉时长须由提出人以外的第二人审批。"))
        raise PermissionDenied()
    return grant


@transaction.atomic
def honour_decide(*, actor, grant: HonourGrant, approve: bool, note: str = "", request=None) -> HonourGrant:
    """Approve (the entry is written) or reject (a reason is required) a pending grant."""
    if not can_approve_honour(actor, grant):
        raise PermissionDenied(_("荣誉时长须由提出人以外的第二人审批。"))
    note = _reason(note, required=not approve, name="note")
    ledger_lock(grant.volunteer_id)
    grant = HonourGrant.objects.select_related("volunteer__user").get(pk=grant.pk)
    if grant.status != HonourStatus.PENDING:
        raise Conflict("decided", _("该荣誉时长申请已处理。"))
    now = timezone.now()
    HonourGrant.objects.filter(pk=grant.pk).update(
        status=HonourStatus.APPROVED if approve else HonourStatus.REJECTED, decided_by=actor, decided_at=now, decision_note=note
    )
    grant.refresh_from_db()
    if not approve:
        audit_record(actor=actor, action="records.honour.reject", obj=grant, request=request, detail={"note": note})
        return grant
    entry = ledger_append(
        HourEntry(
            volunteer_id=grant.volunteer_id,
            organization_id=grant.organization_id,
            region_code=grant.region_code,
            activity_id=grant.activity_id,
            kind=HourKind.HONOUR,
            action=EntryAction.CONFIRM,
            minutes=grant.minutes,
            service_date=grant.service_date,
            reason=grant.reason,
            recorded_by_id=grant.proposed_by_id,
            approved_by=actor,
            honour_grant=grant,
            created_at=now,
        )
    )
    audit_record(
        actor=actor, action="records.honour.approve", obj=grant, request=request,
        detail={"entry": entry.pk, "minutes": grant.minutes},
    )  # fmt: skip
    _notify_hours(
        entry,
        grant.volunteer,
        title=_("荣誉时长已记入"),
        body=_("组织为您记入荣誉时长 %(hours)s：%(reason)s。") % {"hours": _hm(grant.minutes), "reason": grant.reason},
    )
    return grant

"""Membership writes (SPEC ORG-4): a volunteer applies or an organization admin invites, then
approve / reject (or the volunteer accepts / declines the invitation); leave; removal with a
reason; role changes. Approving or promoting a member to ``admin`` grants
``RoleAssignment(org_admin, object_id=org.id)``; leaving, removal or demotion revokes it.

State machine::

    applied ──approve──▶ active ──leave──▶ left
       │                   │  └──remove──▶ removed
       ├──reject──▶ rejected
       └──leave (withdraw)──▶ left
    invited ──accept──▶ active;  invited ──decline / withdraw──▶ rejected
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.models import User
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError
from zhiyuan.core.text import text_error
from zhiyuan.organizations.counts import membership_counted_changed
from zhiyuan.organizations.models import Membership, Organization, Status
from zhiyuan.organizations.permissions import can_manage_members, can_review
from zhiyuan.organizations.services.common import (
    INVALID_DATA,
    admin_grant,
    admin_revoke,
    other_admin_count,
    refuse,
    text,
)

REASON_MAX = 200


def _reason(value, *, required: bool, message=None) -> str:
    reason = text(value)
    if error := text_error(reason, limit=REASON_MAX, multiline=True):
        raise DomainError("invalid", INVALID_DATA, fields={"reason": [error]})
    if required and not reason:
        raise DomainError("invalid", INVALID_DATA, fields={"reason": [message or _("请填写原因。")]})
    return reason


def _role(value, *, default=Membership.Role.MEMBER) -> str:
    role = text(value) or default
    if role not in Membership.Role.values:
        raise DomainError("invalid", INVALID_DATA, fields={"role": [_("请选择有效的成员角色（管理员、骨干、成员）。")]})
    return role


def _require_active_org(org: Organization) -> None:
    if org.status != Status.ACTIVE:
        raise Conflict("org_inactive", _("该组织当前状态为「%(s)s」，不能办理成员事务。") % {"s": org.get_status_display()})


def _volunteer_can_join(volunteer, *, field: str | None = None) -> None:
    from zhiyuan.volunteers.models import Volunteer

    if volunteer.is_restricted or volunteer.status != Volunteer.Status.ACTIVE:
        msg = _("该志愿者当前状态不能加入组织。") if field else _("您的志愿者账号当前状态不能加入组织。")
        raise DomainError("volunteer_inactive", msg, fields={field: [msg]} if field else None)


def _audit(*, actor, action: str, m: Membership, request, **detail) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=m,
        region_code=m.organization.region_code,
        request=request,
        detail={"organization_id": m.organization_id, "volunteer_no": m.volunteer.volunteer_no, "role": m.role, **detail},
    )


def _lock(m: Membership) -> Membership:
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("volunteer", "volunteer__user", "organization")
        .get(pk=m.pk)
    )


def _guard_last_admin(*, actor, m: Membership) -> None:
    """An organization keeps at least one admin; its region managers may still remove the last."""
    if m.role == Membership.Role.ADMIN and m.status == Membership.Status.ACTIVE and not can_review(actor, m.organization):
        if other_admin_count(org=m.organization, user_id=m.volunteer.user_id) == 0:
            raise Conflict("last_admin", _("组织至少需要一名管理员，请先指定其他管理员。"))


def _require_manager(*, actor, org: Organization, action: str, request, obj=None) -> None:
    if not can_manage_members(actor, org):
        refuse(actor=actor, action=action, obj=obj or org, request=request, message=_("只有组织管理员可以管理成员。"))


# --- the volunteer -------------------------------------------------------------------------------------


def membership_apply(*, actor: User, org: Organization, request=None) -> Membership:
    """A volunteer asks to join an active organization (one open membership per organization)."""
    from zhiyuan.volunteers.selectors import volunteer_for

    try:
        volunteer = volunteer_for(actor)
    except DomainError:
        raise DomainError("not_volunteer", _("请先注册成为志愿者，再申请加入组织。")) from None
    _volunteer_can_join(volunteer)
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        _require_active_org(org)
        if Membership.objects.filter(volunteer=volunteer, organization=org, status__in=Membership.OPEN).exists():
            raise Conflict("already_member", _("您已申请、受邀或已加入该组织。"))
        try:
            with transaction.atomic():
                m = Membership.objects.create(volunteer=volunteer, organization=org, status=Membership.Status.APPLIED)
        except IntegrityError:
            raise Conflict("already_member", _("您已申请、受邀或已加入该组织。")) from None
        _audit(actor=actor, action="organizations.member.apply", m=m, request=request)
    return m


def membership_respond(*, actor: User, membership: Membership, accept: bool, request=None) -> Membership:
    """The invited volunteer accepts (→ active) or declines (→ rejected) an invitation. The caller
    fetched ``membership`` among the actor's own (``selectors.my_membership_get``)."""
    with transaction.atomic():
        m = _lock(membership)
        if m.volunteer.user_id != actor.pk:
            raise DomainError("not_found", _("对象不存在或无权访问。"), status=404)
        if m.status != Membership.Status.INVITED:
            raise Conflict("not_invited", _("该邀请已处理。"))
        now = timezone.now()
        if accept:
            _require_active_org(m.organization)
            _volunteer_can_join(m.volunteer)
            m.status, m.joined_at = Membership.Status.ACTIVE, now
            if m.role == Membership.Role.ADMIN:
                admin_grant(org=m.organization, user=m.volunteer.user, actor=m.invited_by)
        else:
            m.status, m.ended_at = Membership.Status.REJECTED, now
            m.reason = str(_("志愿者谢绝邀请"))
        m.save(update_fields=["status", "joined_at", "ended_at", "reason", "updated_at"])
        membership_counted_changed(m, old_status=Membership.Status.INVITED)
        _audit(
            actor=actor, action="organizations.member.accept" if accept else "organizations.member.decline", m=m, request=request
        )
    return m


def membership_leave(*, actor: User, membership: Membership, reason: str = "", request=None) -> Membership:
    """The volunteer leaves (active → left) or withdraws an application (applied → left). The
    last admin cannot leave before naming another."""
    reason = _reason(reason, required=False)
    with transaction.atomic():
        m = _lock(membership)
        if m.volunteer.user_id != actor.pk:
            raise DomainError("not_found", _("对象不存在或无权访问。"), status=404)
        if m.status not in (Membership.Status.APPLIED, Membership.Status.ACTIVE):
            raise Conflict("not_member", _("您不在该组织中，或申请已处理。"))
        _guard_last_admin(actor=actor, m=m)
        old_status = m.status
        was_admin = m.status == Membership.Status.ACTIVE and m.role == Membership.Role.ADMIN
        m.status, m.reason, m.ended_at = Membership.Status.LEFT, reason, timezone.now()
        m.save(update_fields=["status", "reason", "ended_at", "updated_at"])
        membership_counted_changed(m, old_status=old_status)
        if was_admin:
            admin_revoke(org=m.organization, user_ids=[m.volunteer.user_id], actor=actor)
        _audit(actor=actor, action="organizations.member.leave", m=m, request=request, reason=reason)
    return m


# --- the organization admin ------------------------------------------------------------------------------


def membership_invite(*, actor: User, org: Organization, volunteer_no: str, role: str = "", request=None) -> Membership:
    """An organization admin invites a volunteer by their volunteer number (the public
    identifier, never the document number); the volunteer accepts or declines."""
    from zhiyuan.volunteers.models import Volunteer
    from zhiyuan.volunteers.numbers import normalize_volunteer_no

    _require_manager(actor=actor, org=org, action="organizations.member.invite", request=request)
    role = _role(role)
    number = normalize_volunteer_no(text(volunteer_no))[:16]  # also as shown, "0000 012 345 6"
    if not number:
        raise DomainError("invalid", INVALID_DATA, fields={"volunteer_no": [_("请输入志愿者编号。")]})
    volunteer = Volunteer.objects.processable().select_related("user").filter(volunteer_no=number).first()
    if volunteer is None:
        msg = _("未找到该编号的志愿者，请核对志愿者编号。")
        raise DomainError("volunteer_not_found", msg, fields={"volunteer_no": [msg]})
    _volunteer_can_join(volunteer, field="volunteer_no")
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        _require_active_org(org)
        if Membership.objects.filter(volunteer=volunteer, organization=org, status__in=Membership.OPEN).exists():
            msg = _("该志愿者已申请、受邀或已在本组织中。")
            raise Conflict("already_member", msg, fields={"volunteer_no": [msg]})
        m = Membership.objects.create(
            volunteer=volunteer, organization=org, role=role, status=Membership.Status.INVITED, invited_by=actor
        )
        _audit(actor=actor, action="organizations.member.invite", m=m, request=request)
    return m


def membership_approve(*, actor: User, membership: Membership, role: str = "", request=None) -> Membership:
    """Approve an application (applied → active), optionally with a role."""
    _require_manager(
        actor=actor, org=membership.organization, action="organizations.member.approve", request=request, obj=membership
    )
    with transaction.atomic():
        m = _lock(membership)
        role = _role(role, default=m.role)
        _require_active_org(m.organization)
        if m.status != Membership.Status.APPLIED:
            raise Conflict("not_applied", _("该申请已处理（当前状态：%(s)s）。") % {"s": m.get_status_display()})
        _volunteer_can_join(m.volunteer)
        m.status, m.role, m.decided_by, m.joined_at = Membership.Status.ACTIVE, role, actor, timezone.now()
        m.save(update_fields=["status", "role", "decided_by", "joined_at", "updated_at"])
        membership_counted_changed(m, old_status=Membership.Status.APPLIED)
        if role == Membership.Role.ADMIN:
            admin_grant(org=m.organization, user=m.volunteer.user, actor=actor)
        _audit(actor=actor, action="organizations.member.approve", m=m, request=request)
    return m


def membership_reject(*, actor: User, membership: Membership, reason: str = "", request=None) -> Membership:
    """Reject an application, or withdraw an invitation (→ rejected)."""
    _require_manager(
        actor=actor, org=membership.organization, action="organizations.member.reject", request=request, obj=membership
    )
    reason = _reason(reason, required=False)
    with transaction.atomic():
        m = _lock(membership)
        if m.status not in (Membership.Status.APPLIED, Membership.Status.INVITED):
            raise Conflict("not_pending", _("该申请已处理（当前状态：%(s)s）。") % {"s": m.get_status_display()})
        m.status, m.reason, m.decided_by, m.ended_at = Membership.Status.REJECTED, reason, actor, timezone.now()
        m.save(update_fields=["status", "reason", "decided_by", "ended_at", "updated_at"])
        _audit(actor=actor, action="organizations.member.reject", m=m, request=request, reason=reason)
    return m


def membership_remove(*, actor: User, membership: Membership, reason: str = "", request=None) -> Membership:
    """Remove an active member (→ removed) with a reason; an admin loses the role."""
    _require_manager(
        actor=actor, org=membership.organization, action="organizations.member.remove", request=request, obj=membership
    )
    reason = _reason(reason, required=True, message=_("移出成员时请填写原因。"))
    with transaction.atomic():
        m = _lock(membership)
        if m.status != Membership.Status.ACTIVE:
            raise Conflict("not_active", _("该志愿者不是本组织的在队成员。"))
        _guard_last_admin(actor=actor, m=m)
        m.status, m.reason, m.decided_by, m.ended_at = Membership.Status.REMOVED, reason, actor, timezone.now()
        m.save(update_fields=["status", "reason", "decided_by", "ended_at", "updated_at"])
        membership_counted_changed(m, old_status=Membership.Status.ACTIVE)
        if m.role == Membership.Role.ADMIN:
            admin_revoke(org=m.organization, user_ids=[m.volunteer.user_id], actor=actor)
        _audit(actor=actor, action="organizations.member.remove", m=m, request=request, reason=reason)
    return m


def membership_role_change(*, actor: User, membership: Membership, role: str, request=None) -> Membership:
    """Change an active member's role; promotion to admin grants the org_admin role, demotion
    revokes it (the organization keeps at least one admin)."""
    _require_manager(
        actor=actor, org=membership.organization, action="organizations.member.role", request=request, obj=membership
    )
    role = _role(role, default="")
    with transaction.atomic():
        m = _lock(membership)
        _require_active_org(m.organization)
        if m.status != Membership.Status.ACTIVE:
            raise Conflict("not_active", _("该志愿者不是本组织的在队成员。"))
        if m.role == role:
            return m
        if m.role == Membership.Role.ADMIN:
            _guard_last_admin(actor=actor, m=m)
            admin_revoke(org=m.organization, user_ids=[m.volunteer.user_id], actor=actor)
        old = m.role
        m.role, m.decided_by = role, actor
        m.save(update_fields=["role", "decided_by", "updated_at"])
        if role == Membership.Role.ADMIN:
            admin_grant(org=m.organization, user=m.volunteer.user, actor=actor)
        _audit(actor=actor, action="organizations.member.role", m=m, request=request, old_role=old)
    return m

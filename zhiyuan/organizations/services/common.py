"""Helpers shared by the organization and membership services."""

import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.services import role_assignment_add, role_assignments_end
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import PermissionDenied
from zhiyuan.core.models import AuditEntry

INVALID_DATA = _("提交的数据有误，请检查后重试。")
# A mainland mobile, or a landline with area code (0752-2345678), optionally with an extension,
# or a 400/800 line.
PHONE_RE = re.compile(r"(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?|[48]00-?[0-9]{3}-?[0-9]{4})")


def text(value) -> str:
    return str(value if value is not None else "").replace("\x00", "").strip()


def refuse(*, actor, action: str, obj=None, object_type: str = "", message=None, request=None, detail=None):
    """Audit a refused write (result ``denied``) and raise its 403. Called before any
    transaction starts, so the denied entry is kept."""
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type if obj is None else "",
        result=AuditEntry.Result.DENIED,
        request=request,
        detail=detail,
    )
    raise PermissionDenied(message)


def admin_grant(*, org, user, actor) -> RoleAssignment:
    """ACC-2: ``user`` becomes an admin of ``org`` through the one role writer
    (``RoleAssignment(org_admin, object_id=org.id)`` with the organization's region, so it shows
    in the region managers' role list); the admin membership follows from ``admin_membership_on_grant``."""
    return role_assignment_add(user=user, role=Role.ORG_ADMIN, region_code=org.region_code, object_id=org.pk, granted_by=actor)


def admin_revoke(*, org, user_ids, actor) -> int:
    """End the org_admin assignments of ``user_ids`` (all users when ``None``) for ``org``."""
    return role_assignments_end(role=Role.ORG_ADMIN, object_id=org.pk, user_ids=user_ids, actor=actor)


# The org_admin role (RoleAssignment) is the source of truth for who administers an organization;
# the membership's ``admin`` role mirrors it. Whoever grants or revokes the role — the roles page,
# the review, a member promotion — these hooks (registered in apps.py) keep the membership in step.


def admin_membership_on_grant(assignment, actor) -> None:
    """An org_admin who is a registered volunteer (not restricted) is an active admin member."""
    from zhiyuan.organizations.counts import membership_counted_changed
    from zhiyuan.organizations.models import Membership
    from zhiyuan.volunteers.models import Volunteer

    volunteer = Volunteer.objects.processable().filter(user_id=assignment.user_id).first()
    if volunteer is None:
        return  # a user without a volunteer profile holds the role without a membership
    now = timezone.now()
    decided_by = actor if getattr(actor, "pk", None) else None
    open_ = Membership.objects.select_for_update().filter(
        volunteer=volunteer, organization_id=assignment.object_id, status__in=Membership.OPEN
    )
    m = open_.first()
    if m is None:
        m = Membership.objects.create(
            volunteer=volunteer,
            organization_id=assignment.object_id,
            role=Membership.Role.ADMIN,
            status=Membership.Status.ACTIVE,
            decided_by=decided_by,
            joined_at=now,
        )
        membership_counted_changed(m, old_status="")  # the public member count, same transaction
    elif m.role != Membership.Role.ADMIN or m.status != Membership.Status.ACTIVE:
        old_status = m.status
        m.role, m.status, m.decided_by = Membership.Role.ADMIN, Membership.Status.ACTIVE, decided_by
        m.joined_at = m.joined_at or now
        m.save(update_fields=["role", "status", "decided_by", "joined_at", "updated_at"])
        membership_counted_changed(m, old_status=old_status)


def admin_membership_on_revoke(assignment, actor) -> None:
    """A revoked org_admin stays a member, no longer an admin one."""
    from zhiyuan.organizations.models import Membership

    Membership.objects.filter(
        volunteer__user_id=assignment.user_id,
        organization_id=assignment.object_id,
        status=Membership.Status.ACTIVE,
        role=Membership.Role.ADMIN,
    ).update(role=Membership.Role.MEMBER, updated_at=timezone.now())


def other_admin_count(*, org, user_id) -> int:
    return (
        RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id=org.pk, active=True)
        .exclude(user_id=user_id)
        .values("user_id")
        .distinct()
        .count()
    )

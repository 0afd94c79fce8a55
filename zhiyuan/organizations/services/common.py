"""Helpers shared by the organization and membership services."""

import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_role_cache_clear
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
    """ACC-2: ``user`` becomes an admin of ``org`` (``RoleAssignment(org_admin, object_id=org.id)``;
    the region is stored too, so the assignment shows in the region managers' role list)."""
    existing = RoleAssignment.objects.filter(user=user, role=Role.ORG_ADMIN, object_id=org.pk, active=True).first()
    if existing is not None:
        return existing
    assignment = RoleAssignment.objects.create(
        user=user,
        role=Role.ORG_ADMIN,
        region_code=org.region_code,
        object_id=org.pk,
        granted_by=actor if getattr(actor, "pk", None) else None,
        granted_at=timezone.now(),
    )
    actor_role_cache_clear(user)
    return assignment


def admin_revoke(*, org, user_ids, actor) -> int:
    """End the org_admin assignments of ``user_ids`` (all users when ``None``) for ``org``."""
    qs = RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id=org.pk, active=True)
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    n = qs.update(active=False, revoked_at=timezone.now(), revoked_by=actor if getattr(actor, "pk", None) else None)
    if getattr(actor, "pk", None) and (user_ids is None or actor.pk in user_ids):
        actor_role_cache_clear(actor)
    return n


def other_admin_count(*, org, user_id) -> int:
    return (
        RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id=org.pk, active=True)
        .exclude(user_id=user_id)
        .values("user_id")
        .distinct()
        .count()
    )

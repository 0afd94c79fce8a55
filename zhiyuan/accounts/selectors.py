"""Reads of the accounts app, scoped by ``visible_to(actor)`` (ARCHITECTURE rule 1)."""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhiyuan.accounts.models import ApiToken, RoleAssignment
from zhiyuan.accounts.permissions import require_audit_reader, require_role_manager
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_region_prefixes, region_q
from zhiyuan.core.errors import NotFound
from zhiyuan.core.models import AuditEntry
from zhiyuan.regions.codes import normalize_code, region_prefix

DIGITS_RE = re.compile(r"[0-9]+")


@dataclass
class RoleAssignmentFilters:
    q: str = ""  # mobile (digits, partial) or display name (part)
    role: str = ""
    region: str = ""  # a 2/4/6/9/12-digit code: assignments inside it
    status: str = "active"  # active | revoked | all


def role_assignment_list(*, actor, filters: RoleAssignmentFilters | None = None) -> QuerySet[RoleAssignment]:
    """Role assignments the actor may see, newest first: a region manager sees those whose
    region is inside their own (their own included); a platform admin sees all."""
    require_role_manager(actor)
    f = filters or RoleAssignmentFilters()
    qs = RoleAssignment.objects.visible_to(actor).select_related("user", "granted_by", "revoked_by")
    q = (f.q or "").strip()[:50]
    if q:
        if q.isascii() and DIGITS_RE.fullmatch(q):
            qs = qs.filter(user__mobile__contains=q)
        else:
            qs = qs.filter(Q(user__display_name__icontains=q))
    if f.role in Role.values:
        qs = qs.filter(role=f.role)
    if f.region:
        try:
            qs = qs.filter(region_code__startswith=region_prefix(normalize_code(f.region)))
        except ValueError:
            qs = qs.none()
    if f.status == "revoked":
        qs = qs.filter(active=False)
    elif f.status != "all":
        qs = qs.filter(active=True)
    return qs.order_by("-granted_at", "-id")


def role_assignment_get(*, actor, id) -> RoleAssignment:
    """One assignment visible to the actor; NotFound (404) for missing and out-of-scope alike."""
    require_role_manager(actor)
    try:
        pk = int(id)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = RoleAssignment.objects.visible_to(actor).select_related("user", "granted_by", "revoked_by").filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


def api_token_list(*, actor) -> QuerySet[ApiToken]:
    """The actor's own tokens (a token is personal: nobody else lists or uses it)."""
    return ApiToken.objects.filter(user=actor).order_by("-created_at", "-id")


@dataclass
class AuditFilters:
    action: str = ""  # prefix, e.g. "accounts.role"
    action_code: str = ""  # one exact code, e.g. "accounts.login" (not "accounts.login.lockout")
    actor_mobile: str = ""
    object_type: str = ""
    object_id: str = ""
    result: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_entry_list(*, actor, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """The audit log, newest first (ACC-3): platform admins see all of it; region managers the
    entries whose object lies inside their region (``AuditEntry.region_code``, the object's
    region when written), a range on the indexed code. Entries without a region (logins,
    tokens, the log's own exports) are for platform admins only."""
    require_audit_reader(actor)
    f = filters or AuditFilters()
    qs = AuditEntry.objects.select_related("actor")
    if not actor_is_platform_admin(actor):
        qs = qs.filter(region_q("region_code", actor_region_prefixes(actor)))
    if f.action:
        qs = qs.filter(action__startswith=f.action.strip()[:80])
    if f.action_code:
        qs = qs.filter(action=f.action_code.strip()[:80])
    if f.actor_mobile:
        qs = qs.filter(actor__mobile=f.actor_mobile.strip()[:11])
    if f.object_type:
        qs = qs.filter(object_type=f.object_type.strip()[:80])
    if f.object_id:
        qs = qs.filter(object_id=f.object_id.strip()[:64])
    if f.result in AuditEntry.Result.values:
        qs = qs.filter(result=f.result)
    if f.date_from:
        qs = qs.filter(at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(at__lt=_day_start(f.date_to + datetime.timedelta(days=1)))
    return qs.order_by("-id")

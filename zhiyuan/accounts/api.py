"""/api/v1/accounts — the signed-in user, API tokens, role assignments, audit log (ACC-1..4).
Thin: parse → one service/selector → schema (STYLE.md)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router

from zhiyuan.accounts import selectors, services
from zhiyuan.accounts.lists import AUDIT, ROLES, TOKENS, api_token_row, audit_entry_row, role_assignment_row
from zhiyuan.accounts.models import ApiToken, RoleAssignment
from zhiyuan.accounts.permissions import require_role_manager
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.schemas import (
    AuditEntryOut,
    MeOut,
    RoleAssignmentOut,
    RoleGrantIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
)
from zhiyuan.accounts.scopes import actor_roles
from zhiyuan.core.api import ERRORS
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_operation
from zhiyuan.regions.models import Region

router = Router(tags=["accounts"])


def _region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))


def token_out(t: ApiToken) -> dict:
    now = timezone.now()
    return {
        "id": t.pk,
        "name": t.name,
        "key_prefix": t.key_prefix,
        "can_write": t.can_write,
        "region_prefix": t.region_prefix,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
        "active": t.revoked_at is None and (t.expires_at is None or t.expires_at > now),
    }


def assignment_out(a: RoleAssignment, names: dict[str, str]) -> dict:
    return {
        "id": a.pk,
        "user_id": a.user_id,
        "user_name": a.user.display_name,
        "user_mobile_masked": a.user.masked_mobile,
        "role": a.role,
        "role_label": str(a.get_role_display()),
        "region_code": a.region_code,
        "region_name": names.get(a.region_code, ""),
        "object_id": a.object_id,
        "active": a.active,
        "granted_at": a.granted_at,
        "granted_by": a.granted_by.audit_label if a.granted_by else "",
        "revoked_at": a.revoked_at,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, operation_id="get_me")
def get_me(request):
    """The signed-in user (own mobile unmasked) and every role with its scope. With a token
    narrowed to a region, the roles shown are the narrowed ones the token acts with."""
    user = request.user
    refs = actor_roles(user)
    names = _region_names(r.region_prefix.ljust(12, "0") for r in refs if r.region_prefix)
    token = getattr(user, "_zy_token", None)
    return {
        "id": user.pk,
        "mobile": user.mobile,
        "display_name": user.display_name,
        "email": user.email,
        "totp_enabled": user.totp_enabled,
        "roles": [
            {
                "role": r.role,
                "role_label": str(Role(r.role).label) if r.role in Role.values else r.role,
                "region_prefix": r.region_prefix,
                "region_code": r.region_prefix.ljust(12, "0") if r.region_prefix else None,
                "region_name": names.get(r.region_prefix.ljust(12, "0"), "") if r.region_prefix else "",
                "object_id": r.object_id,
            }
            for r in refs
        ],
        "token": {"id": token.pk, "can_write": token.can_write, "region_prefix": token.region_prefix} if token else None,
    }


# GET /tokens: the caller's own API tokens (secrets are never shown again), newest first, keyset-paged.
list_operation(router, "/tokens", TOKENS, row=TokenOut, operation_id="list_tokens", to_row=api_token_row,
               errors=ERRORS)  # fmt: skip


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, operation_id="create_token")
def create_token(request, payload: TokenCreateIn):
    """Create a token; the response carries the secret, once. Rate limited; not allowed when
    authenticated with a token."""
    token, secret = services.api_token_create(
        actor=request.user,
        name=payload.name,
        can_write=payload.can_write,
        region_prefix=payload.region_prefix,
        expires_at=payload.expires_at,
        request=request,
    )
    return 201, {**token_out(token), "secret": secret}


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, operation_id="revoke_token")
def revoke_token(request, token_id: int):
    """Revoke one of the caller's tokens; it is refused (401) from then on."""
    return token_out(services.api_token_revoke(actor=request.user, token_id=token_id, request=request))


# GET /role-assignments: inside the caller's scope (platform admins: all), newest first; filters q,
# role, region (a range on the code), status (active by default | revoked | all); keyset-paged.
list_operation(router, "/role-assignments", ROLES, row=RoleAssignmentOut, operation_id="list_role_assignments",
               to_row=role_assignment_row, errors=ERRORS)  # fmt: skip


@router.get("/role-assignments/{assignment_id}", response={200: RoleAssignmentOut, **ERRORS}, operation_id="get_role_assignment")
def get_role_assignment(request, assignment_id: int):
    a = selectors.role_assignment_get(actor=request.user, id=assignment_id)
    return assignment_out(a, _region_names([a.region_code]))


@router.post("/role-assignments", response={201: RoleAssignmentOut, **ERRORS}, operation_id="grant_role")
def grant_role(request, payload: RoleGrantIn):
    """Grant a role to the registered user with ``mobile``: platform admins any role; region
    managers ``region_manager`` for regions strictly inside their own, and ``org_admin`` /
    ``station_admin`` of an active organization / open service point inside their region
    (``object_id``; 400 when it does not exist or is not active, 403 when outside the scope)."""
    require_role_manager(request.user)  # 403 for callers who manage no roles
    user = services.user_find_by_mobile(payload.mobile)
    if user is None:
        msg = _("未找到该手机号对应的用户。")
        raise DomainError("user_not_found", msg, fields={"mobile": [msg]})
    a = services.role_grant(
        actor=request.user,
        user=user,
        role=payload.role,
        region_code=payload.region_code,
        object_id=payload.object_id,
        request=request,
    )
    return 201, assignment_out(a, _region_names([a.region_code]))


@router.post("/role-assignments/{assignment_id}/revoke", response={200: RoleAssignmentOut, **ERRORS}, operation_id="revoke_role")
def revoke_role(request, assignment_id: int):
    """Revoke an assignment: 404 outside the caller's scope, 403 when visible but not theirs to revoke."""
    a = selectors.role_assignment_get(actor=request.user, id=assignment_id)
    a = services.role_revoke(actor=request.user, assignment=a, request=request)
    return assignment_out(a, _region_names([a.region_code]))


# GET /audit-entries: newest first; platform admins all of it, region managers the entries of
# objects inside their region (ACC-3); keyset-paged.
list_operation(router, "/audit-entries", AUDIT, row=AuditEntryOut, operation_id="list_audit_entries",
               to_row=audit_entry_row, errors=ERRORS)  # fmt: skip

"""Who may manage region data (REG-3 population) and see the manager pages.

Regions are public reference data (anyone may read them through the API); *writing* population
figures is a manager act, scoped by region prefix like every manager write (ARCHITECTURE rule 1).

Layering note: the actor's roles are resolved by ``zhiyuan.accounts.scopes`` (layer 3, above
regions). The helpers below import it lazily, at call time, so that ``regions`` never imports
``accounts`` at module load (``accounts.scopes`` itself imports ``regions.codes``) — the one
sanctioned upward reference, confined to this module."""

from django.utils.translation import gettext_lazy as _

from zhiyuan.core.errors import PermissionDenied


def _scopes():
    from zhiyuan.accounts import scopes

    return scopes


def actor_region_scope(actor) -> list[str] | None:
    """``None`` = every region (platform admin); otherwise the managed prefixes (maybe empty)."""
    scopes = _scopes()
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    if scopes.actor_is_platform_admin(actor):
        return None
    return scopes.actor_region_prefixes(actor)


def can_manage_regions(actor) -> bool:
    """Platform admins and region managers (with at least one region) see the manager pages."""
    scope = actor_region_scope(actor)
    return scope is None or bool(scope)


_UNSET = object()


def region_in_scope(actor, code: str, *, scope=_UNSET) -> bool:
    """Is the 12-digit ``code`` inside the actor's managed regions (the region itself included)?
    ``scope`` may pass a value already computed by ``actor_region_scope``."""
    if scope is _UNSET:
        scope = actor_region_scope(actor)
    if scope is None:
        return True
    return any(code.startswith(prefix) for prefix in scope)


def require_region_manager(actor) -> list[str] | None:
    """Raise 403 unless the actor manages some region; returns the scope as ``actor_region_scope``."""
    scope = actor_region_scope(actor)
    if scope is not None and not scope:
        raise PermissionDenied(_("只有平台管理员和区域管理员可以管理区划数据。"))
    return scope

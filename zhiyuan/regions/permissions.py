"""Who may manage region data (REG-3 population) and see the manager pages.

Regions are public reference data (anyone may read them through the API); *writing* population
figures is a manager act, scoped by region prefix like every manager write (ARCHITECTURE rule 1).

Layering: the actor's roles are resolved by the accounts app (layer 3, above regions). regions
never imports it; accounts registers its resolver here at start-up (``AccountsConfig.ready``),
as ARCHITECTURE "Layers" prescribes for a lower app that needs a higher one's answer."""

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from zhiyuan.core.errors import PermissionDenied

_scope_resolver: Callable | None = None


def register_region_scope_resolver(resolver: Callable) -> None:
    """``resolver(actor) -> list[str] | None``: the region prefixes the (signed-in) actor manages,
    ``None`` for every region (a platform admin)."""
    global _scope_resolver
    _scope_resolver = resolver


def actor_region_scope(actor) -> list[str] | None:
    """``None`` = every region (platform admin); otherwise the managed prefixes (maybe empty).
    Nobody manages regions when no resolver is registered."""
    if actor is None or not getattr(actor, "is_authenticated", False) or _scope_resolver is None:
        return []
    return _scope_resolver(actor)


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

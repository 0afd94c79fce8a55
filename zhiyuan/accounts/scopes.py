"""The single scope mechanism (core design rule 1).

An *actor* is a user. Every manager query starts from ``Model.objects.visible_to(actor)``.
A model's manager builds the filter from three sources:

* the region prefixes the actor manages (``actor_region_prefixes``), matched against the
  model's region-code field;
* platform admins see everything;
* *scope providers* registered by higher apps at start-up (ARCHITECTURE "Layers": a lower app
  never imports a higher one; the higher one registers a hook). For example the organizations
  app registers "volunteers who are members of an organization I administer".

Roles themselves are resolved by ``role providers`` the same way, so the navigation and the
permission checks agree on who is what. Likewise the objects that organization and station
admins are bound to (``RoleAssignment.object_id``) are looked up through *role object resolvers*
that the organizations and stations apps register, so granting such a role can check the object.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import NamedTuple

from django.db import models
from django.db.models import Q

from zhiyuan.accounts.roles import Role
from zhiyuan.regions.codes import region_prefix


class RoleRef(NamedTuple):
    role: str
    region_prefix: str | None = None  # for region managers: the code prefix they manage
    object_id: int | None = None  # for organization / station admins


class RoleObject(NamedTuple):
    """What the accounts app needs to know about the object an object role is bound to."""

    region_code: str  # 12 digits: whose scope it is in
    active: bool  # may it be given an admin now?
    name: str
    status_label: str = ""  # its status in words, for the message when it is not active


_scope_providers: dict[str, list[Callable]] = defaultdict(list)
_role_providers: list[Callable] = []
_role_object_resolvers: dict[str, Callable] = {}
_role_object_pickers: dict[str, Callable] = {}


def register_scope_provider(model_label: str, provider: Callable) -> None:
    """``provider(actor) -> Q | None`` adds objects of ``model_label`` the actor may see."""
    if provider not in _scope_providers[model_label]:
        _scope_providers[model_label].append(provider)


def register_role_provider(provider: Callable) -> None:
    """``provider(actor) -> iterable of (role, scope)`` contributes roles held elsewhere."""
    if provider not in _role_providers:
        _role_providers.append(provider)


def role_providers() -> list[Callable]:
    return list(_role_providers)


def register_role_object_resolver(role: str, resolver: Callable) -> None:
    """``resolver(object_id: int) -> RoleObject | None`` finds the object that ``role``
    (``org_admin``, ``station_admin``) is bound to; None when there is no such object."""
    _role_object_resolvers[role] = resolver


def register_role_object_picker(role: str, find: Callable) -> None:
    """``find(*, actor, q="", id=None, limit) -> list[core.picker.PickerOption]`` offers the
    objects ``actor`` may bind ``role`` to (active ones inside ``visible_to(actor)``) to the
    grant form's picker. It only offers: ``role_grant`` checks the chosen object itself."""
    _role_object_pickers[role] = find


def role_object_picker(role: str) -> Callable | None:
    return _role_object_pickers.get(role)


def role_object_of(model, object_id: int) -> RoleObject | None:
    """A resolver for a model with ``name``, ``region_code``, ``status`` and ``is_active``
    (organizations, service points): register ``partial(role_object_of, Model)``."""
    obj = model.objects.filter(pk=object_id).only("name", "region_code", "status").first()
    if obj is None:
        return None
    return RoleObject(obj.region_code, obj.is_active, obj.name, str(obj.get_status_display()))


def role_object_get(role: str, object_id: int) -> RoleObject | None:
    """The object ``role`` would be bound to, through its registered resolver. Raises
    ``LookupError`` when no app resolves the role (its app is not installed)."""
    resolver = _role_object_resolvers.get(role)
    if resolver is None:
        raise LookupError(f"no role object resolver for {role!r}")
    return resolver(object_id)


def actor_roles(actor) -> list:
    """All (role, scope) pairs of the actor: role assignments plus registered providers.

    Cached on the user object for the request."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    cached = getattr(actor, "_zy_roles", None)
    if cached is not None:
        return cached
    from zhiyuan.accounts.models import RoleAssignment

    roles = [
        RoleRef(a.role, region_prefix(a.region_code) if a.region_code else None, a.object_id)
        for a in RoleAssignment.objects.filter(user=actor, active=True)
    ]
    for provider in _role_providers:
        roles.extend(provider(actor))
    token = getattr(actor, "_zy_token", None)
    if token is not None and token.region_prefix:
        roles = _narrow_to_prefix(roles, token.region_prefix)
    actor._zy_roles = roles
    return roles


def _narrow_to_prefix(roles: list, prefix: str) -> list:
    """An API token limited to a region prefix keeps only the region scope inside it."""
    narrowed = []
    for r in roles:
        if r.role == Role.PLATFORM_ADMIN:
            narrowed.append(RoleRef(Role.REGION_MANAGER, prefix))
        elif r.role == Role.REGION_MANAGER and r.region_prefix:
            if prefix.startswith(r.region_prefix):
                narrowed.append(RoleRef(Role.REGION_MANAGER, prefix))
            elif r.region_prefix.startswith(prefix):
                narrowed.append(r)
        elif r.role == Role.VOLUNTEER:
            narrowed.append(r)
    return narrowed


def actor_token_prefix(actor) -> str:
    """The region prefix of the API token the actor authenticated with ('' when none)."""
    token = getattr(actor, "_zy_token", None)
    return (token.region_prefix or "") if token is not None else ""


def actor_role_cache_clear(actor) -> None:
    """Forget the roles cached on a user object (after a grant or revoke in the same request)."""
    if actor is not None and hasattr(actor, "_zy_roles"):
        del actor._zy_roles


def actor_is_platform_admin(actor) -> bool:
    return any(r.role == Role.PLATFORM_ADMIN for r in actor_roles(actor))


def actor_region_prefixes(actor) -> list[str]:
    """Region-code prefixes (2/4/6/9/12 digits) the actor manages as region manager."""
    return sorted({r.region_prefix for r in actor_roles(actor) if r.role == Role.REGION_MANAGER and r.region_prefix})


def actor_object_ids(actor, role: str) -> set[int]:
    return {r.object_id for r in actor_roles(actor) if r.role == role and r.object_id is not None}


def actor_has_role(actor, *roles: str) -> bool:
    return any(r.role in roles for r in actor_roles(actor))


def region_q(field: str, prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


class ScopedQuerySet(models.QuerySet):
    """Subclass and set ``region_field`` (a 12-digit region code column, or a path to one)."""

    region_field: str | None = None

    def visible_to(self, actor):
        if actor is None or not getattr(actor, "is_authenticated", False):
            return self.none()
        if actor_is_platform_admin(actor):
            return self.all()
        q = Q(pk__in=[])
        if self.region_field:
            prefixes = actor_region_prefixes(actor)
            if prefixes:
                q |= region_q(self.region_field, prefixes)
        for provider in _scope_providers.get(self.model._meta.label, []):
            extra = provider(actor)
            if extra is not None:
                q |= extra
        qs = self.filter(q)
        # ACC-4: a token narrowed to a region sees nothing outside it, whatever a scope provider adds.
        token_prefix = actor_token_prefix(actor)
        if token_prefix and self.region_field:
            qs = qs.filter(**{f"{self.region_field}__startswith": token_prefix})
        return qs

"""The single scope mechanism (core design rule 1).

An *actor* is a user. Every manager query starts from ``Model.objects.visible_to(actor, action)``
(action ``view`` by default; ``manage``, ``review``, ``operate``, ``export``), and every page or
endpoint about one object fetches it with ``get_for(actor, Model, pk, action)``: 404 when the
actor cannot see it (exactly as when it does not exist), 403 when it is visible but the action
is not allowed (ARCHITECTURE rule 8). A model's queryset builds the filter from three sources:

* the region prefixes the actor manages (``actor_region_prefixes``), matched against the
  model's region-code field as a range, for the actions the model grants region managers
  (``region_actions``);
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
from zhiyuan.core.errors import NotFound, PermissionDenied
from zhiyuan.regions.codes import prefix_q, region_prefix


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


VIEW, MANAGE, REVIEW, OPERATE, EXPORT = "view", "manage", "review", "operate", "export"
ACTIONS = frozenset({VIEW, MANAGE, REVIEW, OPERATE, EXPORT})


class ScopeRule(NamedTuple):
    provider: Callable  # provider(actor) -> Q | None: the rows the actor may act on
    test: Callable | None = None  # test(actor, obj) -> bool: the same rule in Python, if it can say


_scope_providers: dict[tuple[str, str], list[ScopeRule]] = defaultdict(list)
_role_providers: list[Callable] = []
_provider_roles: dict[Callable, frozenset | None] = {}  # the roles a provider can give (None: any)
_role_object_resolvers: dict[str, Callable] = {}
_role_object_pickers: dict[str, Callable] = {}


def register_scope_provider(model_label: str, provider: Callable, *, actions=(VIEW,), test: Callable | None = None) -> None:
    """``provider(actor) -> Q | None`` adds objects of ``model_label`` the actor may ``actions``
    (default: see). ``test(actor, obj) -> bool`` states the same rule for one fetched object, so
    ``can`` needs no query; without it ``can`` asks the database."""
    for action in actions:
        if action not in ACTIONS:
            raise ValueError(f"unknown scope action {action!r}")
        rules = _scope_providers[(model_label, action)]
        if all(r.provider is not provider for r in rules):
            rules.append(ScopeRule(provider, test))


def unregister_scope_provider(model_label: str, provider: Callable) -> None:
    """Remove ``provider`` from every action of ``model_label`` (tests)."""
    for action in ACTIONS:
        rules = _scope_providers[(model_label, action)]
        rules[:] = [r for r in rules if r.provider is not provider]


def register_role_provider(provider: Callable, *, roles=None) -> None:
    """``provider(actor) -> iterable of (role, scope)`` contributes roles held elsewhere.
    ``roles``: the only roles it can give, so ``actor_has_role`` asking about others need not
    call it (the two-factor test of every request does not read the volunteer profile)."""
    if provider not in _role_providers:
        _role_providers.append(provider)
    _provider_roles[provider] = frozenset(roles) if roles is not None else None


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


class RoleHooks(NamedTuple):
    on_grant: Callable | None = None  # on_grant(assignment, actor) inside the granting transaction
    on_revoke: Callable | None = None  # on_revoke(assignment, actor) inside the revoking transaction


_role_hooks: dict[str, list[RoleHooks]] = defaultdict(list)


def register_role_hooks(role: str, *, on_grant: Callable | None = None, on_revoke: Callable | None = None) -> None:
    """A higher app keeps its own state in step with an object role, whoever grants or revokes
    it (``accounts.services.role_assignment_add`` / ``role_assignment_end`` call the hooks): the
    organizations app makes an ``org_admin`` an admin member of the organization."""
    hooks = RoleHooks(on_grant, on_revoke)
    if hooks not in _role_hooks[role]:
        _role_hooks[role].append(hooks)


def role_hooks(role: str) -> list[RoleHooks]:
    return list(_role_hooks.get(role, ()))


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
    for name in ("_zy_roles", TWO_FACTOR_HINT):
        if actor is not None and hasattr(actor, name):
            delattr(actor, name)


# Set on the user by the authentication backend, read in the same query as the user row
# (``accounts.backends``): does the user hold an active region manager / platform admin
# assignment? Lets the two-factor test of every signed-in request skip the assignments query.
TWO_FACTOR_HINT = "_zy_two_factor_assigned"


def actor_is_platform_admin(actor) -> bool:
    return any(r.role == Role.PLATFORM_ADMIN for r in actor_roles(actor))


def actor_region_scope(actor) -> list[str] | None:
    """``None`` for every region (platform admin), else the managed prefixes (maybe empty)."""
    return None if actor_is_platform_admin(actor) else actor_region_prefixes(actor)


def actor_region_prefixes(actor) -> list[str]:
    """Region-code prefixes (2/4/6/9/12 digits) the actor manages as region manager."""
    return sorted({r.region_prefix for r in actor_roles(actor) if r.role == Role.REGION_MANAGER and r.region_prefix})


def actor_object_ids(actor, role: str) -> set[int]:
    return {r.object_id for r in actor_roles(actor) if r.role == role and r.object_id is not None}


def actor_has_role(actor, *roles: str) -> bool:
    if getattr(actor, "_zy_roles", None) is None and getattr(actor, "is_authenticated", False):
        if getattr(actor, "_zy_token", None) is None:  # a token may narrow the roles: read them all
            return _has_role_from_sources(actor, frozenset(roles))
    return any(r.role in roles for r in actor_roles(actor))


def _has_role_from_sources(actor, roles: frozenset) -> bool:
    """``actor_has_role`` before the actor's roles are read: only the sources that can give one
    of ``roles`` — the assignments (skipped when the user row came with the two-factor hint and
    only two-factor roles are asked about) and the providers that can give one. Nothing cached:
    the answer is as fresh as the request's user row."""
    from zhiyuan.accounts.roles import TWO_FACTOR_ROLES

    if getattr(actor, TWO_FACTOR_HINT, None) is not False or not roles <= TWO_FACTOR_ROLES:
        return any(r.role in roles for r in actor_roles(actor))  # the full list, cached for the request
    for provider in _role_providers:
        can_give = _provider_roles.get(provider)
        if (can_give is None or can_give & roles) and any(r.role in roles for r in provider(actor)):
            return True
    return False


def region_in_scope(actor, region_code: str) -> bool:
    """Is ``region_code`` inside the actor's region scope — where they may place or move an object?
    Platform admins everywhere, region managers inside their regions; an API token narrowed to a
    region only inside it."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not region_code:
        return False
    token_prefix = actor_token_prefix(actor)
    if token_prefix and not region_code.startswith(token_prefix):
        return False
    if actor_is_platform_admin(actor):
        return True
    return any(region_code.startswith(p) for p in actor_region_prefixes(actor))


def region_q(field: str, prefixes: list[str]) -> Q:
    """Rows whose 12-digit code ``field`` lies under any of ``prefixes``: a range per prefix, so
    the scope reaches the index on SQLite and PostgreSQL alike (rule 9; no ``LIKE``)."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= prefix_q(field, prefix)
    return q


def _field_value(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class ScopedQuerySet(models.QuerySet):
    """Subclass and set ``region_field`` (a 12-digit region code column, or a path to one) and
    ``region_actions``: the actions a region manager holds over the rows inside their region.
    Platform admins hold every action everywhere; other holders are added per action by scope
    providers (``register_scope_provider(..., actions=...)``)."""

    region_field: str | None = None
    region_actions: frozenset[str] = frozenset({VIEW})

    def scope_q(self, actor, action: str = VIEW):
        """``None`` when the actor may do ``action`` on every row, ``False`` on none, else a ``Q``."""
        if action not in ACTIONS:
            raise ValueError(f"unknown scope action {action!r}")
        if actor is None or not getattr(actor, "is_authenticated", False):
            return False
        token_prefix = actor_token_prefix(actor)
        if actor_is_platform_admin(actor):
            q = None
        else:
            parts = []
            if self.region_field and action in self.region_actions:
                prefixes = actor_region_prefixes(actor)
                if prefixes:
                    parts.append(region_q(self.region_field, prefixes))
            for rule in _scope_providers.get((self.model._meta.label, action), []):
                extra = rule.provider(actor)
                if extra is not None:
                    parts.append(extra)
            if not parts:
                return False
            q = parts[0]
            for part in parts[1:]:
                q |= part
        # ACC-4: a token narrowed to a region reaches nothing outside it, whatever a provider adds.
        if token_prefix and self.region_field:
            narrow = prefix_q(self.region_field, token_prefix)
            q = narrow if q is None else q & narrow
        return q

    def visible_to(self, actor, action: str = VIEW):
        """The rows ``actor`` may ``action`` (view, manage, review, operate, export)."""
        q = self.scope_q(actor, action)
        if q is False:
            return self.none()
        return self.all() if q is None else self.filter(q)

    def allows(self, actor, obj, action: str) -> bool:
        """May ``actor`` do ``action`` to ``obj`` (a row of this model)? Decided in Python from the
        actor's cached roles where every rule can say; one query otherwise."""
        if actor is None or not getattr(actor, "is_authenticated", False):
            return False
        token_prefix = actor_token_prefix(actor)
        region = _field_value(obj, self.region_field) if self.region_field else None
        if token_prefix and self.region_field and not (region or "").startswith(token_prefix):
            return False
        if actor_is_platform_admin(actor):
            return True
        if region and action in self.region_actions and any(region.startswith(p) for p in actor_region_prefixes(actor)):
            return True
        undecided = False
        for rule in _scope_providers.get((self.model._meta.label, action), []):
            if rule.test is None:
                undecided = True
            elif rule.test(actor, obj):
                return True
        if undecided:
            return self.visible_to(actor, action).filter(pk=obj.pk).exists()
        return False


def pk_or_404(pk) -> int:
    """An object id from a URL or payload; NotFound for anything that is not one."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < value < 2**63:
        raise NotFound()
    return value


def get_for(actor, source, pk, action: str = VIEW, *, message=None, **visible_kwargs):
    """Fetch-and-authorize (ARCHITECTURE rule 8): the row ``pk`` of ``source`` (a model or a
    queryset of a ``ScopedQuerySet``) for ``action``.

    ``NotFound`` (404) when it does not exist or the actor may not see it — the two answers are
    the same; ``PermissionDenied`` (403, with ``message``) when it is visible but ``action`` is
    not allowed. ``visible_kwargs`` go to the model's ``visible_to`` (e.g. ``include_restricted``)."""
    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    obj = qs.visible_to(actor, VIEW, **visible_kwargs).filter(pk=pk_or_404(pk)).first()
    if obj is None:
        raise NotFound()
    if action != VIEW and not qs.allows(actor, obj, action):
        raise PermissionDenied(message)
    return obj


def can(actor, obj, action: str) -> bool:
    """May ``actor`` do ``action`` to the already fetched ``obj``? (For a page's buttons and a
    service's re-check; fetching goes through ``get_for``.)"""
    return type(obj)._default_manager.all().allows(actor, obj, action)

from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_roles
from zhiyuan.core.nav import nav_items


def _visible(item, *, signed_in: bool, held: set) -> bool:
    if item.audience == "anyone":
        return True
    if item.audience == "anonymous":
        return not signed_in
    if not signed_in:
        return False
    return not item.roles or bool(item.roles & held)


def _role_badges(user) -> list[dict]:
    """The actor's roles as shown on the home page: each role once, with what it is held over —
    the organization or service point by name (an organization admin's assignment also carries
    the organization's region, which said nothing), the region of a region manager — several
    joined with 、 in the order granted."""
    from django.utils.translation import gettext as _

    from zhiyuan.accounts.scopes import role_object_get
    from zhiyuan.regions.selectors import region_full_name

    scopes: dict[str, list[str]] = {}
    for ref in actor_roles(user):
        scope = ""
        if ref.object_id is not None:
            try:
                found = role_object_get(ref.role, ref.object_id)
            except LookupError:  # the app that resolves this role is not installed
                found = None
            scope = found.name if found is not None else ""
        elif ref.region_prefix:
            scope = region_full_name(ref.region_prefix.ljust(12, "0"))
        held = scopes.setdefault(ref.role, [])
        if scope and scope not in held:
            held.append(scope)
    badges = []
    for role, held in scopes.items():
        try:
            label = Role(role).label
        except ValueError:
            label = role
        badges.append({"role": role, "label": label, "scope": _("、").join(held)})
    return badges


def navigation(request):
    """``nav`` (menu entries the user may see, by role and audience), ``nav_groups`` (the groups
    that have entries, so the menu leaves out an empty list), ``user_roles`` (role codes) and
    ``role_badges`` (lazy: computed only by pages that show them)."""
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    held = {r.role for r in actor_roles(user)} if signed_in else set()
    entries = []
    for item in nav_items():
        if not _visible(item, signed_in=signed_in, held=held):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entries.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "group": item.group,
                "active": False,
            }
        )
    # The entry whose address is the longest prefix of this page is the current one: on
    # /stations/manage/5/ that is 站点管理, not also the public 服务站点 at /stations/.
    matching = [e for e in entries if request.path.startswith(e["url"]) and e["url"] != "/"]
    active_group = ""
    if matching:
        current = max(matching, key=lambda e: len(e["url"]))
        current["active"] = True
        active_group = current["group"]  # the desktop menu marks the folded group holding it
    badges = SimpleLazyObject(lambda: _role_badges(user)) if signed_in else []
    return {
        "nav": entries,
        "nav_groups": {e["group"] for e in entries},
        "user_roles": sorted(held),
        "role_badges": badges,
        "nav_active_group": active_group,
    }

"""Navigation entries registered by each app at start-up (in ``AppConfig.ready``).

The accounts context processor shows an entry when the user holds one of its roles, so each
app owns its menu items and the base template stays generic."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    key: str  # stable id, used by tests and the active-state highlight
    label: object  # lazy translated text
    url_name: str
    roles: frozenset = field(default_factory=frozenset)  # empty = every signed-in user
    order: int = 100
    group: str = "main"  # main | manage | account
    # "signed_in" (default: filtered by ``roles``), "anyone" (public pages such as the
    # organization directory) or "anonymous" (only before login, e.g. volunteer registration)
    audience: str = "signed_in"


_items: dict[str, NavItem] = {}


def register_nav(item: NavItem) -> None:
    _items[item.key] = item


def nav_items() -> list[NavItem]:
    return sorted(_items.values(), key=lambda i: (i.order, i.key))

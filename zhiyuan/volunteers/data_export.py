"""Sections that higher apps add to the person's own data download (SPEC VOL-6; PIPL 45).

"Download all my data" must hold everything the platform keeps about the person, including data
owned by apps above volunteers (organization memberships; later enrollments, hours, awards). A
lower app never imports a higher one (docs/architecture.md "Hooks instead of upward imports"), so
each higher app registers a provider in its ``AppConfig.ready()``::

    register_data_export_provider("memberships", _("组织成员身份"), membership_rows)

``rows(volunteer)`` returns a list of flat dicts (JSON-able values: str, int, bool, None, ISO
dates); the JSON download gets ``data[key] = rows``, the Excel download one sheet titled
``title``. Providers read only the person's own rows.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DataExportProvider:
    key: str
    title: object  # a lazy translated string: the Excel sheet title
    rows: Callable[..., list[dict]]


_PROVIDERS: dict[str, DataExportProvider] = {}

# keys my_data() itself fills; a provider may not replace them
RESERVED_KEYS = frozenset(
    {
        "exported_at",
        "profile",
        "skills",
        "service_categories",
        "consents",
        "guardian_consents",
        "status_history",
        "correction_requests",
    }
)


def register_data_export_provider(key: str, title, rows: Callable[..., list[dict]]) -> None:
    """Add the section ``key`` to the data download (idempotent for the same key)."""
    if key in RESERVED_KEYS:
        raise ValueError(f"data export key {key!r} is reserved")
    _PROVIDERS[key] = DataExportProvider(key, title, rows)


def data_export_providers() -> list[DataExportProvider]:
    return list(_PROVIDERS.values())

"""The code tables the profile uses, read from ``codes.py`` (GB/T 2261.1 gender, identity
document types, GB/T 4762 political status, GB/T 4658 education, GB/T 3304 ethnicity, skills,
service categories) as ``[(code, label)]``.

One place maps the profile fields to the tables so forms, services and exports agree; ``label``
looks a code up in a dict built once per table and language (labels are translated)."""

from functools import lru_cache

from django.conf import settings
from django.utils import translation


def _codes():
    from zhiyuan.volunteers import codes

    return codes


def _pairs(table) -> list[tuple[str, str]]:
    if hasattr(table, "choices"):
        return [(str(v), str(label)) for v, label in table.choices]
    if isinstance(table, dict):
        return [(str(k), str(v)) for k, v in table.items()]
    return [(str(v), str(label)) for v, label in table]


def gender_choices():
    return _pairs(_codes().Gender)


def gender_selectable_choices():
    """The genders a person chooses when the document does not encode it (not "unknown")."""
    return [(c, label) for c, label in gender_choices() if c in _codes().SELECTABLE_GENDERS]


def id_type_choices():
    return _pairs(_codes().IdType)


def political_status_choices():
    return _pairs(_codes().PoliticalStatus)


def education_choices():
    return _pairs(_codes().Education)


def ethnicity_choices():
    return _pairs(_codes().Ethnicity)


def skill_choices():
    return _pairs(_codes().Skill)


def service_category_choices():
    return _pairs(_codes().ServiceCategory)


@lru_cache(maxsize=64)
def _labels(name: str, language: str) -> dict[str, str]:
    # One dict per table and language: rebuilding a table through gettext on every call was
    # ~45 % of an export's time (one lookup per cell). The tables are code: they change on deploy.
    with translation.override(language):
        return dict(globals()[f"{name}_choices"]())


def label(table: str, code: str) -> str:
    """``label("education", "20")`` → 大学本科; unknown codes are returned as they are."""
    if not code:
        return ""
    try:
        return _labels(table, translation.get_language() or settings.LANGUAGE_CODE).get(code, code)
    except (KeyError, AttributeError, ImportError):
        return code

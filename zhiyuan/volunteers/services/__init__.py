"""Writes of the volunteers app (STYLE: ``<entity>_<verb>(*, actor, ...)``), split by sub-domain.

Import from here: ``from zhiyuan.volunteers.services import volunteer_register``.

Registration (``registration.py``; SPEC VOL-1/2/3/5/7) — also what bulk import reuses:

* ``registration_validate(*, registration, mode="self", today=None, existing_user=None) -> dict``
  validates one registration without writing; raises ``DomainError("invalid", …)`` whose
  ``fields`` map each field (``name``, ``id_type``, ``id_number``, ``gender``, ``birth_date``,
  ``region_code``, ``mobile``, ``password``, ``email``, ``accept_privacy``, ``accept_oath``,
  ``guardian``, ``guardian_name``, ``guardian_relation``, ``guardian_mobile``,
  ``guardian_consent``) to Chinese messages. The input is a ``RegistrationInput`` (``registration.py``).
* ``volunteer_register(*, actor, registration, request=None, user=None) -> Volunteer`` — one person,
  login and volunteer in one transaction.
* ``volunteer_register_many(*, actor, rows: list[RegistrationInput], request=None, mode="import") -> list[RegistrationResult]``
  — per-row validation (same rules, plus duplicates inside the batch, plus the actor's region
  scope), then bulk inserts of all valid rows in one transaction; each result has ``row``
  (1-based), ``volunteer`` (or None) and ``errors`` ({field: [messages]}).

Profile (``profile.py``; VOL-4/6/8): ``volunteer_update_profile``, ``volunteer_set_photo``,
``correction_request_create`` / ``_cancel`` / ``_resolve``.

Consent (``consent.py``; VOL-6): ``consent_accept``, ``consent_withdraw`` (restricts the
person), ``privacy_notice_publish``, ``consent_status``, ``register_restriction_listener`` (higher apps
follow restrictions in the same transaction).

Manager acts (``manage.py``; VOL-2/9): ``volunteer_reveal_id_number`` (audited
``volunteer.reveal_id``), ``volunteer_change_status``, ``volunteer_exit``.

Card (``card.py``; VOL-8): ``card_token_issue``, ``card_token_verify``, ``card_public_info``,
``register_star_level_provider``.

Data download (``export.py``; VOL-6): ``my_data``, ``my_data_xlsx``.
"""

from zhiyuan.volunteers.services.card import (
    card_public_info,
    card_token_issue,
    card_token_verify,
    register_star_level_provider,
    star_level_of,
)
from zhiyuan.volunteers.services.consent import (
    consent_accept,
    consent_status,
    consent_withdraw,
    privacy_notice_publish,
)
from zhiyuan.volunteers.services.export import excel_safe, my_data, my_data_xlsx
from zhiyuan.volunteers.services.manage import volunteer_change_status, volunteer_exit, volunteer_reveal_id_number
from zhiyuan.volunteers.services.profile import (
    ProfileChange,
    correction_request_cancel,
    correction_request_create,
    correction_request_resolve,
    profile_validate,
    volunteer_set_photo,
    volunteer_update_profile,
)
from zhiyuan.volunteers.services.registration import (
    MSG_DUPLICATE_DOCUMENT,
    RegistrationInput,
    RegistrationResult,
    registration_validate,
    volunteer_register,
    volunteer_register_many,
)

__all__ = [
    "MSG_DUPLICATE_DOCUMENT",
    "ProfileChange",
    "RegistrationInput",
    "RegistrationResult",
    "card_public_info",
    "card_token_issue",
    "card_token_verify",
    "consent_accept",
    "consent_status",
    "consent_withdraw",
    "correction_request_cancel",
    "correction_request_create",
    "correction_request_resolve",
    "excel_safe",
    "my_data",
    "my_data_xlsx",
    "privacy_notice_publish",
    "profile_validate",
    "register_star_level_provider",
    "registration_validate",
    "star_level_of",
    "volunteer_change_status",
    "volunteer_exit",
    "volunteer_register",
    "volunteer_register_many",
    "volunteer_reveal_id_number",
    "volunteer_set_photo",
    "volunteer_update_profile",
]

"""Notifications (SPEC ACT-7): one call, ``notify``, for every app that tells a user something
(enrollment result, reminder before a shift, hours confirmed, certificate ready, renewal and
expiry reminders).

``notify`` writes the in-app notice in the caller's transaction (so a rolled-back change sends
nothing) and, once that transaction commits, hands it to the user's other channels (e-mail,
SMS). A ``dedupe_key`` makes a repeated notice a no-op (a scheduled reminder that runs twice).
Callers pass the title and body already translated (gettext); ``url`` is a path on this site.
"""

from django.db import IntegrityError, transaction

from zhiyuan.core.models import Notification


def notify(*, user, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str | None = None) -> Notification | None:
    """Tell ``user``; returns the notice, or None when ``dedupe_key`` was already used for them."""
    if dedupe_key is not None and Notification.objects.filter(user=user, dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            notice = Notification.objects.create(
                user=user, kind=kind, title=str(title)[:120], body=str(body), url=url, dedupe_key=dedupe_key
            )
    except IntegrityError:  # the same dedupe key written concurrently
        return None
    return notice

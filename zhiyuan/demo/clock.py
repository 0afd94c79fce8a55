"""The demo's clock: the demo writes what already took place (sign-ups before a past shift,
check-ins during it) through the real services, which read ``django.utils.timezone.now``. Inside
``demo_clock(moment)`` that clock runs from ``moment`` (at its real pace), as the services'
tests do with ``monkeypatch.setattr(timezone, "now", …)``; the rules themselves are unchanged.

Seeding only: it swaps a module attribute, so it belongs in a single-threaded command
(``manage.py demo_seed``), never in a request or a worker."""

import contextlib
import datetime as dt

from django.utils import timezone


@contextlib.contextmanager
def demo_clock(moment: dt.datetime):
    real_now = timezone.now
    offset = moment - real_now()
    timezone.now = lambda: real_now() + offset
    try:
        yield
    finally:
        timezone.now = real_now

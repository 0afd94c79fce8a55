"""Logging filters (settings.LOGGING)."""

import logging


class QuietForbidden(logging.Filter):
    """``django.request`` logs a refused request (403, ``PermissionDenied``) with the exception's
    traceback. A refusal is ordinary, not a fault: keep the warning line, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True

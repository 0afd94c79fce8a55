"""System checks of the key and file-encryption settings (run by ``manage.py check``,
``migrate`` and ``runserver``)."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def upload_cap_fits_file_encryption(app_configs=None, **kwargs):
    """Uploaded files are encrypted whole in memory (``core.filecrypt``), up to ``MAX_BYTES``."""
    from zhiyuan.core.filecrypt import MAX_BYTES

    cap = getattr(settings, "ZHIYUAN_IMPORT_MAX_UPLOAD_MB", 0) * 1024 * 1024
    if cap > MAX_BYTES:
        return [
            Error(
                f"ZHIYUAN_IMPORT_MAX_UPLOAD_MB is {settings.ZHIYUAN_IMPORT_MAX_UPLOAD_MB}; files waiting "
                f"encrypted are limited to {MAX_BYTES // (1024 * 1024)} MB (core.filecrypt.MAX_BYTES).",
                id="core.E001",
            )
        ]
    return []

"""``manage.py volunteers_rotate_keys``: the former name of ``manage.py rotate_keys`` (core), kept
as an alias for scripts written against it. It re-seals every registered sealed column, not only
the volunteers' ones."""

from zhiyuan.core.management.commands.rotate_keys import Command as RotateKeysCommand


class Command(RotateKeysCommand):
    help = "Alias of rotate_keys. " + RotateKeysCommand.help

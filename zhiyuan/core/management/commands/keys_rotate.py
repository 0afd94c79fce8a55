"""``manage.py keys_rotate KIND [--retire]``: edit the key file for a rotation (issue #11 item 9).

* ``id``: a new AES key becomes current → restart → ``rotate_keys`` → ``keys_rotate id --retire``.
* ``blind-index``: a new HMAC key becomes current → restart → ``reindex_blind`` →
  ``keys_rotate blind-index --retire``.
* ``signing``: a new Ed25519 key signs from the next restart; the old one keeps only its public
  half, still published and still verifying.
* ``secret``: a new Django secret key; the old one stays in ``SECRET_KEY_FALLBACKS`` (sessions
  and signed links keep working) until ``keys_rotate secret --retire``.

``--retire`` refuses while anything still needs an old key. The file is rewritten atomically,
mode 0600; running processes keep the keys they loaded until restarted.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhiyuan.core import keycheck, keys, sealed
from zhiyuan.core.env import env

KINDS = ("id", "blind-index", "signing", "secret")


class Command(BaseCommand):
    help = __doc__
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--retire", action="store_true", help="drop the old keys of this kind (refused while still needed)")

    def handle(self, *args, kind, retire, **options):
        path = settings.KEYS.path
        data = keys.read_key_data(path)
        if kind == "secret" and env("ZHIYUAN_SECRET_KEY"):
            raise CommandError("ZHIYUAN_SECRET_KEY overrides the key file's secret key: rotate it where it is set.")
        if retire:
            data = self._retire(kind, data)
        else:
            data = {
                "id": keys.add_id_key,
                "blind-index": keys.add_blind_index_key,
                "signing": keys.rotate_signing_key,
                "secret": keys.rotate_secret_key,
            }[kind](data)
        keys.write_key_file(path, data)
        keys.parse_key_data(path, data)  # what the next start will read
        self.stdout.write(f"{path}: {kind} {'old keys retired' if retire else 'key rotated'}; restart every server process")

    def _retire(self, kind: str, data: dict) -> dict:
        if kind == "signing":
            raise CommandError("retired signing keys keep their public half so old signatures verify; nothing to retire")
        current = {"id": "id_key_current", "blind-index": "blind_index_key_current"}.get(kind)
        if current and data[current] != getattr(settings.KEYS, current):
            raise CommandError("the key file names another current key than this process loaded: restart first")
        if kind == "id" and (left := sealed.rows_left()):
            raise CommandError(f"{left} sealed value(s) still under old keys: run manage.py rotate_keys first")
        if kind == "blind-index" and (left := sealed.index_rows_left()):
            raise CommandError(f"{left} blind index(es) still under old keys: run manage.py reindex_blind first")
        new = keys.retire_old_keys(data, kind)
        if kind == "id":
            keycheck.keys_forget("id", set(data["id_keys"]) - set(new["id_keys"]))
        if kind == "blind-index":
            keycheck.keys_forget("blind", set(data["blind_index_keys"]) - set(new["blind_index_keys"]))
        return new

"""``manage.py demo_seed``: load the demo city, organizations, volunteers and one login per role
(idempotent), then print the logins. ``python3 run.py`` runs it before starting the server; when
this version of the demo data is already loaded it only prints the logins (one query), so a
restart takes seconds, not the minutes a full seed takes on a large database."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhiyuan.demo import data
from zhiyuan.demo.models import DemoSeed


def demo_digest(province: str | None = None) -> str:
    """The version of the demo data: its code (``demo/*.py`` and every app's ``demo.py``) and
    the regions loaded (all, or one province)."""
    root = Path(data.__file__).resolve().parents[1]
    digest = hashlib.sha256(f"regions:{province or '*'}\0".encode())
    for path in sorted([*root.glob("demo/*.py"), *root.glob("*/demo.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Load the demo data set (惠州市, organizations, ~200 volunteers, one login per role)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="print nothing")
        parser.add_argument("--province", default=None, help="load the regions of one province only (e.g. 44)")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off and a non-demo database")
        parser.add_argument("--again", action="store_true", help="seed even if this version is already loaded")

    def handle(self, *args, quiet=False, force=False, province=None, again=False, **options):
        if not (settings.DEBUG or settings.ZHIYUAN_DEMO or force):
            raise CommandError("The demo data publishes its passwords. Set ZHIYUAN_DEMO=1 (or DEBUG) or pass --force to load it.")

        def progress(message):
            if not quiet:
                self.stdout.write(f"demo: {message}")

        digest = demo_digest(province)
        if not again and DemoSeed.objects.filter(digest=digest).exists():
            progress("already loaded (this version); --again to seed anyway")
        else:
            counts = data.seed(progress=progress, province_prefix=province)
            DemoSeed.objects.get_or_create(digest=digest)
            if not quiet:
                self.stdout.write(
                    "demo: {volunteers} volunteers in 惠州市 ({volunteers_created} new), {organizations} organizations, "
                    "{service_points} service points".format(**counts)
                )
        if quiet:
            return
        self.stdout.write(
            f"\nDemo logins — password for all: {data.DEMO_PASSWORD}; managers' TOTP secret: {data.DEMO_TOTP_SECRET}"
            ' (add it to an authenticator app, or run: .venv/bin/python -c "import pyotp; print(pyotp.TOTP('
            f"'{data.DEMO_TOTP_SECRET}').now())\")"
        )
        for info in data.DEMO_LOGINS.values():
            self.stdout.write(f"  {info['mobile']}  {info['title']}{'（需两步验证码 / + TOTP）' if info['totp'] else ''}")

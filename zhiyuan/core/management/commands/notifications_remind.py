"""``manage.py notifications_remind [--only NAME ...] [--list]``: run the registered periodic
notices (``core.notifications.register_periodic_notice``: training certificate renewals,
insurance policy expiries, and whatever other apps add). Each one is idempotent (dedupe keys), so
run it as often as the most urgent reminder needs (docs/operations.md "Periodic jobs"). Exit
status 1 when any reminder failed (the others still ran)."""

from django.core.management.base import BaseCommand, CommandError

from zhiyuan.core.notifications import periodic_notices, periodic_notices_run


class Command(BaseCommand):
    help = "Run the periodic notices (reminders) and report how many notices each wrote."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="+", default=None, help="run only these reminders")
        parser.add_argument("--list", action="store_true", help="list the registered reminders")

    def handle(self, *args, only=None, list=False, **options):
        names = periodic_notices()
        if list:
            for name in names:
                self.stdout.write(name)
            return
        unknown = sorted(set(only or []) - set(names))
        if unknown:
            raise CommandError(f"unknown reminder(s): {', '.join(unknown)}; registered: {', '.join(names)}")
        failed = []
        for name, result in periodic_notices_run(only=only).items():
            if isinstance(result, Exception):
                failed.append(name)
                self.stderr.write(f"{name}\tFAILED\t{result.__class__.__name__}")
            else:
                self.stdout.write(f"{name}\t{result}")
        if failed:
            raise CommandError(f"{len(failed)} reminder(s) failed: {', '.join(failed)}")

"""``manage.py audit_verify``: the audit log's chain only; an alias of
``manage.py chain_verify --model core.auditentry`` kept for existing cron jobs."""

from zhiyuan.core.management.commands.chain_verify import Command as ChainVerify


class Command(ChainVerify):
    help = "Verify the audit log's hash chain (alias of chain_verify --model core.auditentry)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000, help="rows read per query (default 5000)")

    def handle(self, *args, batch: int, **options):
        return super().handle(*args, model=["core.auditentry"], batch=batch, **options)

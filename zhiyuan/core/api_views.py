from django.db import connection
from django.utils import timezone
from ninja import Router, Schema

router = Router(tags=["system"])


class PingOut(Schema):
    status: str
    time: str
    database: str


@router.get("/ping", response=PingOut, auth=None, operation_id="ping")
def ping(request):
    """Liveness probe; also the trivial endpoint the benchmarks compare against."""
    return {"status": "ok", "time": timezone.now().isoformat(), "database": connection.vendor}

"""Two admins confirming overlapping attendances of one volunteer at the same moment: the
volunteer's chain head is locked before the overlap check, so exactly one is credited and the
other is refused naming it (PostgreSQL: the row lock; SQLite: IMMEDIATE transactions)."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from zhiyuan.core.chain import chain_verify
from zhiyuan.core.errors import Conflict
from zhiyuan.records import services
from zhiyuan.records.models import CreditedInterval, HourEntry, HourTotal
from zhiyuan.records.tests.factories import attend, org_with_admins, past_activity


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["result"] = fn()
        except Exception as exc:
            out["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    return t, out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_overlapping_confirmations_credit_once(django_db_setup):
    from zhiyuan.accounts.roles import Role
    from zhiyuan.testing import HUICHENG, make_user
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

    manager = make_user("13900000203", "惠城区文明办", role=Role.REGION_MANAGER, region_code=HUICHENG)
    org, (a1, a2) = org_with_admins(manager, admins=2)
    volunteer = register(name="并发志愿者", region_code=HUICHENG_TOWN)
    atts = [attend(past_activity(org, start=9, end=12), volunteer), attend(past_activity(org, start=10, end=13), volunteer)]
    barrier = threading.Barrier(2)

    def confirm(user, att):
        def go():
            barrier.wait()
            for _try in range(300):
                try:
                    return services.attendance_confirm(actor=user, attendance=att)
                except OperationalError as exc:  # SQLite shared-cache memory database: wait and retry
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            raise AssertionError("never got the lock")

        return go

    runs = [_in_thread(confirm(a1, atts[0])), _in_thread(confirm(a2, atts[1]))]
    for t, _out in runs:
        t.join(60)
    ok = [o for _t, o in runs if "result" in o]
    refused = [o for _t, o in runs if isinstance(o.get("error"), Conflict) and o["error"].code == "overlap"]
    assert len(ok) == 1 and len(refused) == 1, [o.get("error") for _t, o in runs]
    assert HourEntry.objects.count() == 1 == CreditedInterval.objects.count()
    assert HourTotal.objects.get(volunteer=volunteer, year=0, organization__isnull=True).credit_minutes == 180
    assert chain_verify(HourEntry).ok
    connection.close()

"""Capacity is never exceeded (ACT-3, issue 10 item 3), on SQLite and PostgreSQL: threads sign up
and cancel at one 10-place position at the same moment; the final counts, the waitlist's order
and the kept counts must all hold, and no call fails with anything but a refusal."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from zhiyuan.activities import enrollment as svc
from zhiyuan.activities.models import Activity, Enrollment, Slot
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.core.errors import Conflict

CAPACITY = 10
KEPT = 10  # accepted before the burst
CANCELS = 5  # of those, cancelling during the burst
NEW = 17  # new sign-ups during the burst


@pytest.fixture(scope="module", autouse=True)
def _regions_back_after_the_module(django_db_setup, django_db_blocker):
    """A transactional test ends with a flush, and the serialized snapshot it restores predates
    the regions the root conftest loads: put them back after this module's last flush, so later
    transactional tests (and this module's second one, below) find them."""
    yield
    with django_db_blocker.unblock():
        _regions()


def _regions():
    from zhiyuan.regions.models import Region
    from zhiyuan.regions.services import region_import_shipped

    if not Region.objects.filter(code__startswith="4413").exists():
        region_import_shipped(province_prefix="44")


def _retrying(fn):
    """The SQLite test database is in memory with a shared cache, whose table locks answer
    SQLITE_LOCKED at once instead of waiting out busy_timeout as the file database does (see
    training's concurrency test): wait and try again, as the file database would."""
    for _try in range(400):
        try:
            return fn()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.01)
    raise AssertionError("never got the lock")


def _in_thread(fn, barrier, out):
    def run():
        try:
            barrier.wait()
            out.append(("ok", _retrying(fn)))
        except Exception as exc:
            out.append(("error", exc))
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    return t


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_signups_and_cancellations_never_exceed_capacity(django_db_setup):
    from zhiyuan.accounts.roles import Role
    from zhiyuan.organizations.tests.factories import active_org
    from zhiyuan.testing import HUICHENG, make_user
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

    _regions()
    manager = make_user("13900000113", "惠城区文明办", role=Role.REGION_MANAGER, region_code=HUICHENG)
    org = active_org(manager)
    activity = published_activity(org, positions=[{"name": "引导员", "slots": CAPACITY}], shifts=[(at(3, 9), at(3, 12))])
    slot = Slot.objects.get(shift__activity=activity)
    people = [register(name=f"并发{chr(0x4E00 + i)}", region_code=HUICHENG_TOWN) for i in range(KEPT + NEW)]
    kept = [svc.enroll(p.user, slot.pk) for p in people[:KEPT]]
    assert {e.status for e in kept} == {"accepted"}

    calls = [lambda e=e, p=p: svc.cancel(p.user, e.pk, "并发取消") for p, e in zip(people[:CANCELS], kept[:CANCELS], strict=True)]
    calls += [lambda p=p: svc.enroll(p.user, slot.pk) for p in people[KEPT:]]
    calls += [lambda p=people[-1]: svc.enroll(p.user, slot.pk)]  # the same person twice at once
    barrier = threading.Barrier(len(calls))
    out: list = []
    threads = [_in_thread(fn, barrier, out) for fn in calls]
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)

    errors = [r for kind, r in out if kind == "error"]
    assert len(errors) == 1, errors  # only the duplicate is refused, as a refusal
    assert isinstance(errors[0], Conflict) and errors[0].code == "already_enrolled"

    demand = KEPT - CANCELS + NEW
    rows = Enrollment.objects.filter(slot=slot)
    accepted = rows.filter(status="accepted").count()
    assert accepted == min(demand, CAPACITY)
    assert rows.filter(status="waitlisted").count() == demand - accepted
    assert rows.filter(status="cancelled").count() == CANCELS
    slot.refresh_from_db()
    assert (slot.accepted, slot.pending, slot.waitlisted) == (accepted, 0, demand - accepted)
    assert svc.slot_counts_check(activity.pk) == []
    activity = Activity.objects.get(pk=activity.pk)
    assert activity.slots_open == activity.slots_total - accepted

    # first come, first served: every new sign-up that got a place applied before every one still waiting
    burst = rows.filter(volunteer__in=people[KEPT:]).order_by("applied_at", "id")
    order = [e.status for e in burst if e.status in ("accepted", "waitlisted")]
    assert order == sorted(order, key=lambda s: s != "accepted"), order
    connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cancelling_the_activity_while_people_sign_up_neither_deadlocks_nor_leaves_a_live_place(django_db_setup):
    """The activity's cancellation changes its row, then cancels every sign-up (the hook) in the
    same transaction, while sign-ups arrive: each sign-up either lands before (and is cancelled)
    or is refused; no deadlock, no live enrollment left, counts at zero."""
    from django.db import transaction

    from zhiyuan.accounts.roles import Role
    from zhiyuan.organizations.tests.factories import active_org
    from zhiyuan.testing import HUICHENG, make_user
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

    _regions()
    manager = make_user("13900000114", "惠城区文明办", role=Role.REGION_MANAGER, region_code=HUICHENG)
    org = active_org(manager)
    activity = published_activity(org, positions=[{"name": "引导员", "slots": 3}], shifts=[(at(3, 9), at(3, 12))])
    slot = Slot.objects.get(shift__activity=activity)
    people = [register(name=f"取消{chr(0x4E00 + i)}", region_code=HUICHENG_TOWN) for i in range(8)]

    def cancel_activity():
        with transaction.atomic():
            Activity.objects.filter(pk=activity.pk).update(status="cancelled")
            time.sleep(0.2)  # sign-ups pile up behind the activity's row
            return svc.on_activity_cancelled(Activity.objects.get(pk=activity.pk), reason="暴雨预警")

    calls = [cancel_activity] + [lambda p=p: svc.enroll(p.user, slot.pk) for p in people]
    barrier = threading.Barrier(len(calls))
    out: list = []
    threads = [_in_thread(fn, barrier, out) for fn in calls]
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    errors = [r for kind, r in out if kind == "error"]
    assert all(isinstance(e, Conflict) and e.code in ("recruitment_closed", "activity_cancelled") for e in errors), errors
    assert not Enrollment.objects.filter(slot=slot, status__in=("accepted", "pending", "waitlisted")).exists()
    slot.refresh_from_db()
    assert (slot.accepted, slot.pending, slot.waitlisted) == (0, 0, 0)
    assert svc.slot_counts_check(activity.pk) == []
    connection.close()

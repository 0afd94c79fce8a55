"""REC-3 as properties (hypothesis): whatever sequence of confirm / adjust / void / correct /
honour decisions the organization makes — refused ones included — the kept totals equal the sum
of the ledger's entries, no two live credits of a volunteer overlap, and the chain verifies."""

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from zhiyuan.core.chain import chain_verify
from zhiyuan.core.errors import DomainError
from zhiyuan.records import services
from zhiyuan.records.models import CreditedInterval, HourEntry, HourTotal, RegionHours
from zhiyuan.records.tests.factories import attend, past_activity

pytestmark = pytest.mark.django_db
M = dt.timedelta(minutes=1)

# shifts (hours of yesterday) chosen to overlap each other in every way: nested, crossing, touching
SHIFTS = [(9, 12), (11, 14), (12, 13), (8, 10), (9, 12)]

op = st.one_of(
    st.tuples(st.just("confirm"), st.integers(0, len(SHIFTS) - 1)),
    st.tuples(st.just("adjust"), st.integers(0, len(SHIFTS) - 1), st.integers(-30, 200)),
    st.tuples(st.just("void_attendance"), st.integers(0, len(SHIFTS) - 1)),
    st.tuples(st.just("void"), st.integers(0, 6)),
    st.tuples(st.just("correct"), st.integers(0, 6), st.integers(-60, 240), st.integers(-60, 120)),
    st.tuples(st.just("honour"), st.integers(1, 600)),
)


class Rollback(Exception):
    pass


def _apply(step, *, org, admin, second_admin, volunteer, attendances):
    kind = step[0]
    roots = list(HourEntry.objects.filter(action="confirm").order_by("id"))
    if kind == "confirm":
        services.attendance_confirm(actor=admin, attendance=attendances[step[1]])
    elif kind == "adjust":
        att = attendances[step[1]]
        services.attendance_confirm(actor=admin, attendance=att, ends_at=att.check_in_at + step[2] * M, reason="核实")
    elif kind == "void_attendance":
        services.attendance_void(actor=admin, attendance=attendances[step[1]], reason="不计")
    elif kind == "void" and roots:
        services.entry_void(actor=admin, entry=roots[step[1] % len(roots)], reason="作废")
    elif kind == "correct" and roots:
        root = roots[step[1] % len(roots)]
        if root.kind == "honour":
            services.entry_correct(actor=admin, entry=root, minutes=max(1, step[2]), reason="更正")
        else:
            services.entry_correct(
                actor=admin, entry=root, starts_at=root.starts_at + step[3] * M, ends_at=root.starts_at + step[2] * M,
                reason="更正",
            )  # fmt: skip
    elif kind == "honour":
        grant = services.honour_propose(
            actor=admin, organization=org, volunteer_no=volunteer.volunteer_no, minutes=step[1],
            service_date=dt.date(2025, 6, 1), reason="表彰",
        )  # fmt: skip
        services.honour_decide(actor=second_admin, grant=grant, approve=True)


def _check_invariants(volunteer):
    entries = list(HourEntry.objects.filter(volunteer=volunteer))
    want = defaultdict(lambda: [0, 0])
    for e in entries:
        col = 0 if e.kind == "credit" else 1
        for key in ((0, None), (e.service_date.year, None), (0, e.organization_id)):
            want[key][col] += e.minutes
    kept = {
        (t.year, t.organization_id): [t.credit_minutes, t.honour_minutes] for t in HourTotal.objects.filter(volunteer=volunteer)
    }
    assert {k: v for k, v in kept.items() if v != [0, 0]} == {k: v for k, v in want.items() if v != [0, 0]}
    region = RegionHours.objects.aggregate(c=Sum("credit_minutes"), h=Sum("honour_minutes"), n=Sum("entries"))
    assert (region["c"] or 0, region["h"] or 0) == (want[(0, None)][0], want[(0, None)][1])
    assert (region["n"] or 0) == len(entries)

    # the live credit of each confirmation, rebuilt from the ledger alone
    chains = defaultdict(list)
    for e in sorted(entries, key=lambda e: e.pk):
        chains[e.refers_to_id or e.pk].append(e)
    live = []
    for root_id, chain in chains.items():
        if chain[0].action != "confirm" or chain[0].kind != "credit" or any(e.action == "void" for e in chain):
            continue
        last = [e for e in chain if e.starts_at][-1]
        live.append((last.starts_at, last.ends_at, root_id))
        assert sum(e.minutes for e in chain) >= 0
    live.sort()
    for (_s1, e1, _a), (s2, _e2, _b) in itertools.pairwise(live):
        assert e1 <= s2, "overlapping credit"
    kept_intervals = sorted((c.starts_at, c.ends_at) for c in CreditedInterval.objects.filter(volunteer=volunteer))
    assert kept_intervals == [(s, e) for s, e, _r in live]
    assert chain_verify(HourEntry).ok


@pytest.mark.parametrize("rounding,cap", [(1, 0), (15, 240)])
def test_any_sequence_keeps_totals_and_never_overlaps(rounding, cap, settings, org, admin, second_admin, volunteer):
    settings.ZHIYUAN_HOURS_ROUNDING_MINUTES = rounding
    settings.ZHIYUAN_HOURS_DAILY_CAP_MINUTES = cap
    attendances = []
    for i, (start, end) in enumerate(SHIFTS):
        act = past_activity(org, start=start, end=end)
        shift = act.shifts.get()
        flags = ["auto_closed"] if i == 4 else []
        attendances.append(attend(act, volunteer, check_in=shift.starts_at + (i * 7) * M, flags=flags))

    @hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(op, min_size=1, max_size=12))
    def run(steps):
        try:
            with transaction.atomic():
                for step in steps:
                    try:
                        _apply(
                            step, org=org, admin=admin, second_admin=second_admin, volunteer=volunteer, attendances=attendances
                        )
                    except DomainError:
                        pass  # a refusal writes nothing (checked by the invariants)
                _check_invariants(volunteer)
                raise Rollback
        except Rollback:
            pass

    run()

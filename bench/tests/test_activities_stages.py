"""The generator's activities, attendance and ledger stages at smoke size (issue 10 item 9): the
hour ledger verifies (``core.chain.chain_verify``: every partition, hashes, links, heads), the kept
totals and region rollups equal the sums of the entries, credited intervals never overlap, the
slots' kept counts equal their enrollments and never exceed capacity, no volunteer holds two live
enrollments that overlap, no minor is on a position closed to minors (never on a dangerous one), and every row passes the model's
own validation."""

import datetime as dt
from collections import Counter, defaultdict
from itertools import pairwise

import pytest

from bench.sizes import parse_size

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[1, 4], ids=["one-partition", "four-partitions"])
def generated(request, monkeypatch):
    """At smoke size one partition; again with four (as ``medium`` and ``large`` are split for the
    producer processes: ``bench.stages.activities.Partitions``), walked one after the other here."""
    from bench.generate import generate
    from bench.stages import activities

    monkeypatch.setattr(activities, "PARTITION_VOLUNTEERS", 200 // request.param)
    report = generate(size=parse_size("smoke"), seed=3, province="44", quiet=True)
    assert activities.Partitions.last_k == request.param
    return report


def test_activity_stages_fill_their_models(generated):
    statuses = {s["stage"]: s["status"] for s in generated["stages"]}
    assert statuses["activities"] == statuses["attendance"] == statuses["ledger"] == "done", generated["stages"]
    t = generated["tables"]
    assert t["activities.Activity"] == parse_size("smoke").activities
    assert t["activities.Shift"] > t["activities.Activity"]  # weekly series have many shifts
    assert t["activities.Enrollment"] > t["activities.Attendance"] > 0
    # the ledger's size is the size's (credit from attendance, plus honour, voids, corrections)
    assert 0.7 * parse_size("smoke").ledger_entries < t["records.HourEntry"] < 1.5 * parse_size("smoke").ledger_entries

    from zhiyuan.activities.models import Activity, Attendance, Enrollment, Position, Shift, Slot

    ref = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    acts = list(Activity.objects.all())
    assert {a.status for a in acts} >= {"finished", "published"}
    assert any(a.recurrence for a in acts) and any(not a.recurrence for a in acts)
    assert any(a.ends_at <= ref for a in acts) and any(a.starts_at > ref for a in acts)
    for model in (Activity, Shift, Position, Slot, Enrollment, Attendance):
        for obj in model.objects.order_by("?")[:40]:
            obj.full_clean(validate_unique=False)


def test_slot_counts_capacity_and_no_overlapping_enrollments(generated):
    from zhiyuan.activities.models import Activity, Enrollment, Slot
    from zhiyuan.volunteers.minors import age_on

    counts = Counter(Enrollment.objects.values_list("slot_id", "status"))
    for slot in Slot.objects.all():
        assert slot.accepted == counts[(slot.pk, "accepted")] <= slot.capacity
        assert slot.pending == counts[(slot.pk, "pending")]
        assert slot.waitlisted == counts[(slot.pk, "waitlisted")]
    for a in Activity.objects.all():
        slots = Slot.objects.filter(shift__activity=a, shift__cancelled=False)
        assert a.slots_total == sum(s.capacity for s in slots)
        assert a.slots_open == sum(s.capacity - s.accepted for s in slots) <= a.slots_total
    live = defaultdict(list)
    for e in Enrollment.objects.filter(status__in=("accepted", "pending", "waitlisted")).select_related("slot__position"):
        live[e.volunteer_id].append((e.starts_at, e.ends_at))
        assert e.slot.shift_id == e.shift_id and e.starts_at < e.ends_at
        if not e.slot.position.minors_allowed:  # dangerous positions never allow minors
            assert age_on(e.volunteer.birth_date, e.starts_at.date()) >= 18
    for windows in live.values():
        for (_s1, e1), (s2, _e2) in pairwise(sorted(windows)):
            assert e1 <= s2  # never two live enrollments at once


def test_ledger_chain_verifies_and_totals_equal_the_entries(generated):
    from zhiyuan.core.chain import chain_verify
    from zhiyuan.core.models import ChainHead
    from zhiyuan.records.models import CreditedInterval, HourEntry, HourTotal, RegionHours

    report = chain_verify(HourEntry)
    assert report.ok, [(p.partition, p.why) for p in report.problems]
    assert report.entries == HourEntry.objects.count() > 0
    assert report.partitions == ChainHead.objects.filter(chain="records.hourentry").count()

    entries = list(HourEntry.objects.order_by("id"))
    actions = Counter(e.action for e in entries)
    assert actions["confirm"] and actions["void"] + actions["correct"] >= 0
    assert {e.kind for e in entries} >= {"credit"}
    want: dict = defaultdict(lambda: [0, 0])
    regions: dict = defaultdict(lambda: [0, 0, 0])
    for e in entries:
        i = 0 if e.kind == "credit" else 1
        year = e.service_date.year
        for key in ((e.volunteer_id, 0, None), (e.volunteer_id, year, None), (e.volunteer_id, 0, e.organization_id)):
            want[key][i] += e.minutes
        r = regions[(e.region_code, e.service_date.year)]
        r[i] += e.minutes
        r[2] += 1
        # a credit confirmation is the attendance's interval clipped to its shift
        if e.action == "confirm" and e.kind == "credit":
            shift = e.attendance.shift
            assert shift.starts_at <= e.starts_at < e.ends_at <= shift.ends_at
            assert e.minutes == int((e.ends_at - e.starts_at).total_seconds() // 60)
    got = {(t.volunteer_id, t.year, t.organization_id): [t.credit_minutes, t.honour_minutes] for t in HourTotal.objects.all()}
    assert got == dict(want)
    got_regions = {(r.region_code, r.year): [r.credit_minutes, r.honour_minutes, r.entries] for r in RegionHours.objects.all()}
    assert got_regions == dict(regions)

    # credited intervals: one per live credit (voided ones released), never overlapping
    by_id = {e.pk: e for e in entries}
    voided = {e.refers_to_id for e in entries if e.action == "void"}
    per_volunteer = defaultdict(list)
    for ci in CreditedInterval.objects.all():
        entry = by_id[ci.entry_id]
        root = entry.refers_to_id or entry.pk
        assert root not in voided and entry.kind == "credit" and ci.volunteer_id == entry.volunteer_id
        assert (ci.starts_at, ci.ends_at) == (entry.starts_at, entry.ends_at)
        per_volunteer[ci.volunteer_id].append((ci.starts_at, ci.ends_at))
    roots = [e for e in entries if e.kind == "credit" and e.action == "confirm"]
    assert sum(len(v) for v in per_volunteer.values()) == len(roots) - len(voided)
    for windows in per_volunteer.values():
        for (_s1, e1), (s2, _e2) in pairwise(sorted(windows)):
            assert e1 <= s2


def test_attendance_hours_state_matches_the_ledger(generated):
    """An attendance is ``confirmed`` exactly when it has its credit entry; the confirmation queue
    holds the rest of the last week's (and running shifts'); older undecided ones were voided."""
    from zhiyuan.activities.models import Attendance
    from zhiyuan.records.models import HourEntry

    credited = set(HourEntry.objects.filter(action="confirm", kind="credit").values_list("attendance_id", flat=True))
    states = Counter()
    week_before = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)
    for att in Attendance.objects.select_related("shift"):
        states[att.hours_state] += 1
        assert (att.hours_state == "confirmed") == (att.pk in credited)
        if att.hours_state == "pending":
            assert att.check_out_at is None or att.shift.ends_at > week_before
        if "auto_closed" in att.flags:
            assert att.hours_state != "confirmed"
    assert states["confirmed"] > states["pending"] > 0

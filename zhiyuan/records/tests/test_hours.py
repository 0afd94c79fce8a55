"""REC-1 / REC-2 / REC-3: credit from attendance, who decides, flags, overlaps, totals."""

import datetime as dt

import pytest

from zhiyuan.activities.models import Attendance, HoursState
from zhiyuan.core.audit import AuditEntry
from zhiyuan.core.chain import chain_verify
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.models import Notification
from zhiyuan.records import services
from zhiyuan.records.models import CreditedInterval, HourEntry, HourTotal, RegionHours
from zhiyuan.records.services.hours import capped, clip, round_minutes
from zhiyuan.records.tests.factories import another_volunteer, attend, past_activity

pytestmark = pytest.mark.django_db
M = dt.timedelta(minutes=1)


def totals(volunteer):
    return {
        (t.year, t.organization_id): (t.credit_minutes, t.honour_minutes) for t in HourTotal.objects.filter(volunteer=volunteer)
    }


def test_credit_is_the_attendance_clipped_to_the_shift(admin, activity, volunteer):
    shift = activity.shifts.get()
    # arrived 40 min early (travel, waiting) and left 25 min after the shift ended
    att = attend(activity, volunteer, check_in=shift.starts_at - 40 * M, check_out=shift.ends_at + 25 * M)
    entry = services.attendance_confirm(actor=admin, attendance=att)
    assert (entry.starts_at, entry.ends_at, entry.minutes) == (shift.starts_at, shift.ends_at, 180)
    assert entry.kind == "credit" and entry.action == "confirm" and entry.attendance_id == att.pk
    year = entry.service_date.year
    assert totals(volunteer) == {(0, None): (180, 0), (year, None): (180, 0), (0, activity.organization_id): (180, 0)}
    region = RegionHours.objects.get(region_code=activity.region_code, year=year)
    assert (region.credit_minutes, region.entries) == (180, 1)
    assert Attendance.objects.get(pk=att.pk).hours_state == HoursState.CONFIRMED
    assert CreditedInterval.objects.get(entry=entry).starts_at == shift.starts_at
    assert AuditEntry.objects.filter(action="records.hours.confirm").count() == 1
    assert Notification.objects.filter(user=volunteer.user, kind="records.hours").count() == 1
    assert chain_verify(HourEntry).ok


def test_a_late_arrival_counts_from_check_in_and_late_alone_needs_no_decision(admin, activity, volunteer):
    shift = activity.shifts.get()
    att = attend(activity, volunteer, check_in=shift.starts_at + 17 * M, check_out=shift.ends_at - 30 * M, flags=["late"])
    assert services.attendance_confirm(actor=admin, attendance=att).minutes == 180 - 17 - 30


@pytest.mark.parametrize(
    "unit,mode,raw,expected",
    [(1, "down", 133, 133), (15, "down", 133, 120), (15, "nearest", 133, 135), (15, "up", 121, 135), (30, "down", 29, 0)],
)
def test_rounding_policy(unit, mode, raw, expected):
    assert round_minutes(raw, unit=unit, mode=mode) == expected


def test_daily_cap_and_clip_arithmetic():
    assert capped(300, already=0, cap=480) == 300
    assert capped(300, already=300, cap=480) == 180
    assert capped(300, already=500, cap=480) == 0
    assert capped(300, already=900, cap=0) == 300  # 0: no cap
    t = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    assert clip(starts_at=t, ends_at=t + 60 * M, window_start=t + 60 * M, window_end=t + 120 * M) is None


def test_rounding_and_daily_cap_come_from_settings(settings, org, admin, volunteer):
    settings.ZHIYUAN_HOURS_ROUNDING_MINUTES = 15
    settings.ZHIYUAN_HOURS_DAILY_CAP_MINUTES = 240
    morning = past_activity(org, start=8, end=11)
    afternoon = past_activity(org, start=13, end=17)
    a1 = attend(morning, volunteer, check_out=morning.shifts.get().ends_at - 7 * M)  # 173 min → 165
    a2 = attend(afternoon, volunteer)  # 240 min, but only 75 left of the day's 240
    assert services.attendance_confirm(actor=admin, attendance=a1).minutes == 165
    assert services.attendance_confirm(actor=admin, attendance=a2).minutes == 75
    assert totals(volunteer)[(0, None)] == (240, 0)


@pytest.mark.parametrize("flag", ["auto_closed", "manual", "offline", "outside_geofence"])
def test_a_flagged_attendance_is_never_credited_silently(flag, admin, activity, volunteer):
    att = attend(activity, volunteer, flags=[flag])
    with pytest.raises(DomainError) as e:
        services.attendance_confirm(actor=admin, attendance=att)
    assert e.value.code == "needs_decision" and flag in e.value.fields["flags"]
    result = services.attendances_confirm_bulk(actor=admin, organization=activity.organization, ids=[att.pk])
    assert result.confirmed == [] and result.skipped[0]["code"] == "needs_decision"
    assert not HourEntry.objects.exists()
    assert Attendance.objects.get(pk=att.pk).hours_state == HoursState.PENDING


def test_flagged_attendance_confirmed_with_adjusted_end_and_reason(admin, activity, volunteer):
    shift = activity.shifts.get()
    att = attend(activity, volunteer, flags=["auto_closed"])
    with pytest.raises(DomainError) as e:  # an adjusted end needs a reason
        services.attendance_confirm(actor=admin, attendance=att, ends_at=shift.starts_at + 90 * M)
    assert e.value.status == 422 and "reason" in e.value.fields
    with pytest.raises(DomainError) as e:  # and must lie after the check-in
        services.attendance_confirm(actor=admin, attendance=att, ends_at=shift.starts_at - M, reason="核实")
    assert e.value.status == 422 and not HourEntry.objects.exists()
    entry = services.attendance_confirm(
        actor=admin, attendance=att, ends_at=shift.starts_at + 90 * M, reason="电话核实 10:30 离开"
    )
    assert entry.minutes == 90 and entry.reason == "电话核实 10:30 离开"


def test_an_attendance_without_check_out_needs_an_adjusted_end(admin, activity, volunteer):
    att = attend(activity, volunteer, check_out=False)
    with pytest.raises(DomainError) as e:
        services.attendance_confirm(actor=admin, attendance=att)
    assert e.value.code == "needs_decision"


def test_void_an_attendance_needs_a_reason_and_is_in_the_ledger(admin, activity, volunteer):
    att = attend(activity, volunteer, flags=["outside_geofence"])
    with pytest.raises(DomainError) as e:
        services.attendance_void(actor=admin, attendance=att, reason="  ")
    assert e.value.status == 422
    entry = services.attendance_void(actor=admin, attendance=att, reason="未到岗")
    assert (entry.action, entry.minutes, entry.attendance_id) == ("void", 0, att.pk)
    assert Attendance.objects.get(pk=att.pk).hours_state == HoursState.VOIDED
    with pytest.raises(DomainError) as e:  # decided once
        services.attendance_confirm(actor=admin, attendance=att, ends_at=att.check_in_at + 30 * M, reason="x")
    assert e.value.code == "decided"
    assert totals(volunteer) == {}


def test_only_the_organizing_body_records(other_org_admin, county_manager, platform_admin, activity, volunteer):
    """谁组织谁记录 (REC-2): another organization's admin, the region manager and the platform
    admin are all refused; nothing is written."""
    att = attend(activity, volunteer)
    for actor in (other_org_admin, county_manager, platform_admin):
        with pytest.raises(PermissionDenied):
            services.attendance_confirm(actor=actor, attendance=att)
        with pytest.raises(PermissionDenied):
            services.attendance_void(actor=actor, attendance=att, reason="x")
        with pytest.raises(PermissionDenied):
            services.attendances_confirm_bulk(actor=actor, organization=activity.organization, ids=[att.pk])
    assert not HourEntry.objects.exists()


def test_the_shift_must_be_over_or_checked_out(org, admin, volunteer):
    from django.utils import timezone

    from zhiyuan.activities.tests.factories import published_activity

    now = timezone.now().replace(second=0, microsecond=0)
    running = published_activity(org, shifts=[(now - 60 * M, now + 60 * M)])
    att = attend(running, volunteer, check_in=now - 50 * M, check_out=False)
    with pytest.raises(DomainError) as e:
        services.attendance_confirm(actor=admin, attendance=att, ends_at=now - 10 * M, reason="x")
    assert e.value.code == "not_finished" and not HourEntry.objects.exists()


def test_overlapping_credit_is_refused_naming_the_activity(org, admin, volunteer):
    first = past_activity(org, start=9, end=12, title="敬老院探访")
    second = past_activity(org, start=11, end=14, title="社区清洁")
    services.attendance_confirm(actor=admin, attendance=attend(first, volunteer))
    att = attend(second, volunteer)
    with pytest.raises(DomainError) as e:
        services.attendance_confirm(actor=admin, attendance=att)
    assert e.value.status == 409 and e.value.code == "overlap"
    assert "敬老院探访" in str(e.value.message) and "09:00" in str(e.value.message) and "12:00" in str(e.value.message)
    assert HourEntry.objects.count() == 1 and Attendance.objects.get(pk=att.pk).hours_state == HoursState.PENDING
    # touching intervals do not overlap
    third = past_activity(org, start=12, end=13)
    assert services.attendance_confirm(actor=admin, attendance=attend(third, volunteer)).minutes == 60


def test_bulk_confirm_confirms_the_clean_and_reports_the_rest(org, admin, activity, volunteer):
    others = [another_volunteer() for _ in range(3)]
    clean = [attend(activity, v) for v in [volunteer, *others[:2]]]
    flagged = attend(activity, others[2], flags=["manual"])
    result = services.attendances_confirm_bulk(actor=admin, organization=org, ids=[a.pk for a in clean] + [flagged.pk, 999999])
    assert sorted(result.confirmed) == sorted(a.pk for a in clean)
    assert {s["attendance_id"]: s["code"] for s in result.skipped} == {flagged.pk: "needs_decision", 999999: "not_found"}
    assert HourEntry.objects.count() == 3
    assert chain_verify(HourEntry).ok


def test_bulk_confirm_bad_input(settings, org, admin):
    with pytest.raises(DomainError) as e:
        services.attendances_confirm_bulk(actor=admin, organization=org, ids=[])
    assert e.value.status == 422
    settings.ZHIYUAN_HOURS_BULK_MAX = 2
    with pytest.raises(DomainError) as e:
        services.attendances_confirm_bulk(actor=admin, organization=org, ids=[1, 2, 3])
    assert e.value.status == 422


def test_void_entry_compensates_and_releases_the_interval(org, admin, activity, volunteer):
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    void = services.entry_void(actor=admin, entry=entry, reason="重复记录")
    assert (void.action, void.minutes, void.refers_to_id) == ("void", -180, entry.pk)
    assert totals(volunteer)[(0, None)] == (0, 0)
    assert not CreditedInterval.objects.exists()
    assert RegionHours.objects.get().credit_minutes == 0
    with pytest.raises(DomainError) as e:
        services.entry_void(actor=admin, entry=entry, reason="again")
    assert e.value.code == "voided"
    # the interval is free again: another activity at that time may be credited
    again = past_activity(org)
    assert services.attendance_confirm(actor=admin, attendance=attend(again, volunteer)).minutes == 180
    assert chain_verify(HourEntry).ok


def test_correct_entry_writes_the_difference(org, admin, activity, volunteer):
    shift = activity.shifts.get()
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    fix = services.entry_correct(actor=admin, entry=entry, ends_at=shift.starts_at + 120 * M, reason="提前离开")
    assert (fix.action, fix.minutes, fix.refers_to_id) == ("correct", -60, entry.pk)
    assert totals(volunteer)[(0, org.pk)] == (120, 0)
    ci = CreditedInterval.objects.get()
    assert (ci.entry_id, ci.ends_at) == (fix.pk, shift.starts_at + 120 * M)
    # correcting through the correction entry corrects the same confirmation
    fix2 = services.entry_correct(actor=admin, entry=fix, ends_at=shift.ends_at, reason="核实后恢复")
    assert (fix2.minutes, fix2.refers_to_id) == (60, entry.pk)
    void = services.entry_void(actor=admin, entry=fix2, reason="作废")
    assert void.minutes == -180 and totals(volunteer)[(0, None)] == (0, 0)
    with pytest.raises(DomainError):
        services.entry_correct(actor=admin, entry=entry, ends_at=shift.ends_at, reason="x")


def test_a_correction_may_not_move_onto_other_credit(org, admin, volunteer):
    a = past_activity(org, start=9, end=12, title="上午活动")
    b = past_activity(org, start=12, end=15, title="下午活动")
    ea = services.attendance_confirm(actor=admin, attendance=attend(a, volunteer, check_out=a.shifts.get().ends_at - 60 * M))
    services.attendance_confirm(actor=admin, attendance=attend(b, volunteer))
    # widening the morning is fine up to its own shift; the shift clips it, so no overlap
    fix = services.entry_correct(actor=admin, entry=ea, ends_at=a.shifts.get().ends_at + 60 * M, reason="核实")
    assert fix.minutes == 60


def test_entry_changes_only_by_the_organizing_body(other_org_admin, county_manager, activity, admin, volunteer):
    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    for actor in (other_org_admin, county_manager):
        with pytest.raises(PermissionDenied):
            services.entry_void(actor=actor, entry=entry, reason="x")
        with pytest.raises(PermissionDenied):
            services.entry_correct(actor=actor, entry=entry, ends_at=entry.ends_at - M, reason="x")
    assert HourEntry.objects.count() == 1


def test_honour_hours_need_a_second_person(org, admin, second_admin, county_manager, volunteer, activity):
    attend(activity, volunteer)  # took part in the organization's activity
    grant = services.honour_propose(
        actor=admin, organization=org, volunteer_no=volunteer.volunteer_no, minutes=120, service_date=dt.date(2026, 3, 5),
        reason="抗洪抢险突出贡献",
    )  # fmt: skip
    assert not HourEntry.objects.exists()
    with pytest.raises(PermissionDenied):
        services.honour_decide(actor=admin, grant=grant, approve=True)  # the proposer is not the second person
    services.honour_decide(actor=second_admin, grant=grant, approve=True)
    entry = HourEntry.objects.get()
    assert (entry.kind, entry.minutes, entry.recorded_by_id, entry.approved_by_id) == ("honour", 120, admin.pk, second_admin.pk)
    assert entry.honour_grant_id == grant.pk and entry.reason == "抗洪抢险突出贡献"
    assert totals(volunteer) == {(0, None): (0, 120), (2026, None): (0, 120), (0, org.pk): (0, 120)}
    with pytest.raises(DomainError) as e:
        services.honour_decide(actor=county_manager, grant=grant, approve=True)
    assert e.value.code == "decided"
    # a region manager of the organization's region may be the second person too
    g2 = services.honour_propose(
        actor=admin, organization=org, volunteer_no=volunteer.volunteer_no, minutes=30, service_date=dt.date(2026, 3, 6),
        reason="宣传",
    )  # fmt: skip
    services.honour_decide(actor=county_manager, grant=g2, approve=False, note="材料不足")
    assert HourEntry.objects.count() == 1
    assert chain_verify(HourEntry).ok


def test_honour_bad_input_and_wrong_scope(org, admin, other_org_admin, volunteer):
    with pytest.raises(DomainError) as e:
        services.honour_propose(
            actor=admin, organization=org, volunteer_no=volunteer.volunteer_no, minutes=0, service_date="2026-13-01", reason=""
        )
    assert e.value.status == 422
    assert set(e.value.fields) == {"volunteer_no", "minutes", "service_date", "reason"}  # not a member, nor enrolled
    with pytest.raises(PermissionDenied):
        services.honour_propose(
            actor=other_org_admin, organization=org, volunteer_no=volunteer.volunteer_no, minutes=10,
            service_date=dt.date(2026, 1, 1), reason="x",
        )  # fmt: skip
    assert not HourEntry.objects.exists()


def test_chain_verify_command_is_green_after_decisions(org, admin, activity, volunteer):
    from io import StringIO

    from django.core.management import call_command

    entry = services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    services.entry_correct(actor=admin, entry=entry, ends_at=entry.ends_at - 30 * M, reason="核实")
    services.entry_void(actor=admin, entry=entry, reason="作废")
    out = StringIO()
    call_command("chain_verify", "--model", "records.hourentry", stdout=out)
    assert "chain OK" in out.getvalue() and "3 entries" in out.getvalue()

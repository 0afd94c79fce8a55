"""Weekly series → shifts (ACT-2): the expansion is exact and bounded (pure functions)."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyuan.activities.schedule import MAX_SHIFTS, Recurrence, describe, recurrence_clean, windows_clean
from zhiyuan.core.errors import DomainError

START = dt.date(2027, 3, 1)  # a Monday
DAY = dt.timedelta(days=1)


@settings(max_examples=80, deadline=None)
@given(
    weekdays=st.sets(st.integers(0, 6), min_size=1),
    days=st.integers(0, 200),
    skip=st.sets(st.integers(0, 200), max_size=20),
)
def test_every_shift_is_on_a_chosen_weekday_inside_the_range_and_not_an_exception(weekdays, days, skip):
    until = START + dt.timedelta(days=days)
    exceptions = [START + dt.timedelta(days=d) for d in skip]
    expected = [
        START + dt.timedelta(days=d)
        for d in range(days + 1)
        if (START + dt.timedelta(days=d)).weekday() in weekdays and d not in skip
    ]
    rec = Recurrence(weekdays=sorted(weekdays), start="09:00", end="11:30", first=START, until=until, exceptions=exceptions)
    if not expected:
        with pytest.raises(DomainError):
            recurrence_clean(rec)
        return
    data, windows = recurrence_clean(rec)
    assert [timezone.localtime(s).date() for s, _e in windows] == expected
    assert all(timezone.localtime(s).time() == dt.time(9) and e - s == dt.timedelta(hours=2, minutes=30) for s, e in windows)
    assert data["weekdays"] == sorted(weekdays) and data["until"] == until.isoformat()


def test_the_stored_rule_expands_to_the_same_shifts():
    data, windows = recurrence_clean(
        Recurrence(weekdays=[0, 2], start="19:00", end="21:00", first="2027-03-01", until="2027-03-31", exceptions=["2027-03-10"])
    )
    assert recurrence_clean(data)[1] == windows
    assert len(windows) == 9  # 5 Mondays + 5 Wednesdays − 1 exception
    assert describe(data) == "每周一、周三 19:00–21:00（2027-03-01 至 2027-03-31），除 2027-03-10"


@pytest.mark.parametrize(
    "rec, message",
    [
        (dict(weekdays=[], start="09:00", end="10:00", first=START, until=START), "请至少选择每周的一天。"),
        (dict(weekdays=[7], start="09:00", end="10:00", first=START, until=START), "星期须为0（周一）至6（周日）。"),
        (dict(weekdays=[0], start="10:00", end="10:00", first=START, until=START), "每次的结束时间须晚于开始时间（不跨天）。"),
        (dict(weekdays=[0], start="9点", end="10:00", first=START, until=START), "请填写时间（HH:MM）。"),
        (dict(weekdays=[1], start="09:00", end="10:00", first=START, until=START),
         "按此规则没有任何班次，请检查星期、日期范围和例外日期。"),
        (dict(weekdays=[0], start="09:00", end="10:00", first=START, until=START - DAY), "重复的截止日期不能早于起始日期。"),
        (dict(weekdays=list(range(7)), start="09:00", end="10:00", first=START, until=START + dt.timedelta(days=400)),
         f"重复活动最多 {MAX_SHIFTS} 个班次，请缩短时间范围。"),
        (dict(weekdays=[0], start="09:00", end="10:00", first=START, until=START + 800 * DAY),
         "重复活动的时间跨度不能超过 731 天。"),
    ],
)  # fmt: skip
def test_a_bad_series_is_refused_with_its_reason(rec, message):
    with pytest.raises(DomainError) as e:
        recurrence_clean(Recurrence(**rec))
    assert e.value.status == 422 and e.value.fields == {"recurrence": [message]}


def test_explicit_shifts_are_checked():
    a = timezone.make_aware(dt.datetime(2027, 3, 1, 9))
    assert (
        windows_clean([(a + dt.timedelta(days=1), a + dt.timedelta(days=1, hours=2)), (a, a + dt.timedelta(hours=1))])[0][0] == a
    )
    for windows, message in (
        ([], "请至少安排一个班次。"),
        ([(a, a)], "班次的结束时间须晚于开始时间。"),
        ([(a, a + dt.timedelta(hours=25))], "一个班次不能超过 24 小时；更长的活动请分成多个班次。"),
        ([(a, a + dt.timedelta(hours=1)), (a, a + dt.timedelta(hours=2))], "两个班次不能在同一时间开始。"),
        (
            [(a + dt.timedelta(days=i), a + dt.timedelta(days=i, hours=1)) for i in range(MAX_SHIFTS + 1)],
            "一个活动最多 366 个班次。",
        ),
        ([("2027-03-01 9点", "2027-03-01 10:00")], "请填写时间（YYYY-MM-DD HH:MM）。"),
    ):
        with pytest.raises(DomainError) as e:
            windows_clean(windows)
        assert e.value.fields == {"shifts": [message]}


def test_dates_off_the_calendar_are_refused_not_a_server_error():
    message = "活动日期须在2000年至2100年之间。"
    with pytest.raises(DomainError) as e:
        recurrence_clean(Recurrence(weekdays=list(range(7)), start="09:00", end="10:00", first="9999-12-30", until="9999-12-31"))
    assert e.value.fields == {"recurrence": [message]}
    with pytest.raises(DomainError) as e:
        windows_clean([("0001-01-01T00:30", "0001-01-01T02:00")])
    assert e.value.fields == {"shifts": [message]}

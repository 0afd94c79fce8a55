"""Age and minors (SPEC VOL-5; PIPL 31; China Registered Volunteer rules).

Ages are counted on the calendar of Asia/Shanghai, whatever the server's time zone: a person
born on 2008-03-01 is 18 from 2026-03-01 00:00 Beijing time. A birthday on 29 February falls on
1 March in common years (the day after 28 February), as Chinese civil practice counts it.
"""

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADULT_AGE = 18  # 民法典 Art. 17
CHILD_AGE = 14  # PIPL 28/31: all data of a child under 14 are sensitive


def today_shanghai(now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(SHANGHAI).date()


def age_on(birth_date: dt.date | None, on: dt.date | None = None) -> int | None:
    """Completed years on the day ``on`` (default: today in Asia/Shanghai); None if unknown."""
    if birth_date is None:
        return None
    on = on or today_shanghai()
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def is_minor_birth(birth_date: dt.date | None, on: dt.date | None = None) -> bool:
    """Under 18 on ``on``. A birth date after ``on`` is not a minor's but an invalid date (its
    own error), so it never asks for a guardian."""
    age = age_on(birth_date, on)
    return age is not None and 0 <= age < ADULT_AGE


def is_child_birth(birth_date: dt.date | None, on: dt.date | None = None) -> bool:
    age = age_on(birth_date, on)
    return age is not None and 0 <= age < CHILD_AGE


def volunteer_is_minor(volunteer, on: dt.date | None = None) -> bool:
    """Under 18 on ``on``. Later rules use it: minors never join dangerous activities (VOL-5)."""
    return is_minor_birth(volunteer.birth_date, on)


def volunteer_is_child(volunteer, on: dt.date | None = None) -> bool:
    """Under 14 on ``on`` (PIPL 31)."""
    return is_child_birth(volunteer.birth_date, on)

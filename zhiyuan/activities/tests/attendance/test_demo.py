"""The demo attendance seed: past shifts get check-ins with every kind of flag, forgotten
check-outs are closed and flagged, a second run adds nothing, and no enrollments means no-op."""

import pytest

from zhiyuan.activities.models import Attendance, CheckMethod
from zhiyuan.activities.tests.attendance.conftest import accepted, running_activity
from zhiyuan.demo.attendance import seed_attendance
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db
NAMES = ["张一", "王二", "李三", "赵四", "钱五", "孙六", "周七", "吴八", "郑九", "冯十", "陈一", "褚二", "卫三", "蒋四", "沈五",
         "韩六", "杨七", "朱八", "秦九", "尤十", "许一"]  # fmt: skip


def test_without_past_enrollments_nothing_happens(org):
    assert seed_attendance(progress=lambda m: None, region_prefix="") == 0


def test_past_shifts_get_attendance_once_with_flags(org):
    past = running_activity(org, started_minutes_ago=300, hours=3).shifts.get()
    slot = past.slots.get()
    slot.capacity = len(NAMES)
    slot.save(update_fields=["capacity"])
    for name in NAMES:
        accepted(slot, register(name=name))
    assert seed_attendance(progress=lambda m: None, region_prefix="") == len(NAMES)
    rows = list(Attendance.objects.all())
    assert len(rows) == len(NAMES)
    assert all(a.check_out_at is not None for a in rows)  # the forgotten ones were closed
    closed = [a for a in rows if a.check_out_method == CheckMethod.AUTO_CLOSE]
    assert closed and all(a.flags[-1] == "auto_closed" and a.check_out_at == past.ends_at for a in closed)
    assert any(a.check_in_method == CheckMethod.MANUAL and a.reason for a in rows)
    assert any("late" in a.flags for a in rows)
    assert seed_attendance(progress=lambda m: None, region_prefix="") == 0

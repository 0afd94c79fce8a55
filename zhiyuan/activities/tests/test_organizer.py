"""Activities, the organizer's side (ACT-2): create and edit with positions and a schedule,
slots and kept counts consistent, publish only a complete recruitment notice (GB/T 40143),
close, reopen, cancel, finish — each by the organization's admins only, in their scope."""

import datetime as dt

import pytest
from django.db.models import Sum

from zhiyuan.activities import services
from zhiyuan.activities.models import Activity, Enrollment, Position, Shift, Slot
from zhiyuan.activities.schedule import Recurrence
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.activities.tests.support_projects import (
    HUIYANG_TOWN,
    active_org,
    activity_values,
    admin_of,
    approved_project,
    draft_activity,
    draft_project,
)
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import AuditEntry

pytestmark = pytest.mark.django_db
P = services.PositionInput


@pytest.fixture
def org(county_manager):
    return active_org(county_manager)


@pytest.fixture
def admin(org):
    return admin_of(org)


@pytest.fixture
def other_admin(other_county_manager):
    return admin_of(active_org(other_county_manager, region_code=HUIYANG_TOWN))


def assert_consistent(activity: Activity) -> None:
    """The kept figures equal what the rows say (ARCHITECTURE rule 9)."""
    a = Activity.objects.get(pk=activity.pk)
    shifts = list(Shift.objects.filter(activity=a, cancelled=False))
    positions = list(Position.objects.filter(activity=a))
    slots = Slot.objects.filter(shift__activity=a)
    assert slots.count() == len(shifts) * len(positions)
    assert all(s.capacity == s.position.slots for s in slots.select_related("position"))
    sums = slots.aggregate(total=Sum("capacity"), accepted=Sum("accepted"))
    assert a.slots_total == (sums["total"] or 0)
    assert a.slots_open == (sums["total"] or 0) - (sums["accepted"] or 0)
    assert a.starts_at == min(s.starts_at for s in shifts) and a.ends_at == max(s.ends_at for s in shifts)


def _enroll(activity, volunteer, *, accepted_in_slot: int = 1, slot=None):
    """An accepted enrollment on a slot, written as the enrollment service must (its counts)."""
    slot = slot or Slot.objects.filter(shift__activity=activity).order_by("shift__starts_at", "position_id").first()
    Slot.objects.filter(pk=slot.pk).update(accepted=accepted_in_slot)
    shift = slot.shift
    Enrollment.objects.create(
        slot=slot, volunteer=volunteer, shift=shift, activity=activity, organization=activity.organization,
        region_code=activity.region_code, starts_at=shift.starts_at, ends_at=shift.ends_at, status="accepted",
    )  # fmt: skip
    services.activity_counts_refresh(activity)
    return slot


def test_a_single_event_gets_one_slot_per_position_and_kept_counts(org, admin):
    a = draft_activity(admin, org)
    assert a.status == "draft" and a.region_code == org.region_code
    assert (a.slots_total, a.slots_open) == (7, 7)
    assert_consistent(a)
    assert AuditEntry.objects.filter(action="activities.activity.create", object_id=str(a.pk)).exists()


def test_a_weekly_series_becomes_its_shifts(org, admin):
    first = dt.date.today() + dt.timedelta(days=7)
    rec = Recurrence(weekdays=[5, 6], start="08:30", end="11:00", first=first, until=first + dt.timedelta(days=27),
                     exceptions=[first + dt.timedelta(days=(5 - first.weekday()) % 7)])  # fmt: skip
    a = draft_activity(admin, org, recurrence=rec)
    shifts = list(Shift.objects.filter(activity=a))
    assert len(shifts) == 7  # 4 weekends × 2 days, one Saturday left out
    assert a.recurrence["except"] and a.recurrence["weekdays"] == [5, 6]
    assert a.slots_total == 7 * 7
    assert_consistent(a)


def test_requirements_are_kept_on_the_position(org, admin, county_manager):
    from zhiyuan.training.models import QualificationType, TrainingCourse

    course = TrainingCourse.objects.create(name="急救基础", category="health", hours=4, region_code=org.region_code)
    qual = QualificationType.objects.filter(active=True).first()
    a = draft_activity(admin, org, positions=[
        P(name="救护员", slots=2, skills=["first_aid"], min_age=18, max_age=60, insurance_required=True, dangerous=True,
          required_course_ids=[course.pk], required_qualification_ids=[qual.pk]),
        P(name="小小讲解员", slots=3, minors_allowed=True, min_age=14),
    ])  # fmt: skip
    rescue, guide = a.positions.order_by("id")
    assert rescue.skills == ["first_aid"] and rescue.dangerous and not rescue.minors_allowed
    assert list(rescue.required_courses.all()) == [course] and list(rescue.required_qualifications.all()) == [qual]
    assert guide.minors_allowed and guide.min_age == 14


@pytest.mark.parametrize(
    "position, field, message",
    [
        (P(name="抢险", slots=3, dangerous=True, minors_allowed=True), "minors_allowed",
         "危险岗位不得招募未成年人（如抢险救灾），请取消“允许未成年人”。"),
        (P(name="引导", slots=3, min_age=16), "min_age", "不允许未成年人时，最低年龄不能低于18岁。"),
        (P(name="引导", slots=3, min_age=40, max_age=30), "max_age", "最高年龄不能低于最低年龄。"),
        (P(name="引导", slots=0), "slots", "每班次名额须为1至10000的整数。"),
        (P(name="", slots=2), "name", "请填写岗位名称。"),
        (P(name="引导", slots=2, skills=["flying"]), "skills", "请从列表中选择所需技能。"),
        (P(name="引导", slots=2, required_course_ids=[999999]), "required_course_ids", "所选培训课程不存在或已停用。"),
        (P(name="引导", slots=2, required_qualification_ids=["x"]), "required_qualification_ids", "须具备的资格格式错误。"),
        (P(name="引导", slots=2, required_course_ids=[2**70]), "required_course_ids", "须完成的培训格式错误。"),
    ],
)  # fmt: skip
def test_a_bad_position_is_refused_and_nothing_is_saved(org, admin, position, field, message):
    with pytest.raises(DomainError) as e:
        draft_activity(admin, org, positions=[P(name="清洁员", slots=5), position])
    assert e.value.status == 422 and e.value.fields[f"positions.1.{field}"] == [message]
    assert not (Activity.objects.exists() or Position.objects.exists() or Shift.objects.exists() or Slot.objects.exists())


def test_every_bad_field_is_named_at_once_and_nothing_is_saved(org, admin):
    with pytest.raises(DomainError) as e:
        draft_activity(
            admin, org, title="", category="x", contact_phone="123", latitude="91", geofence_m=5, visibility="secret",
            shifts=[(at(2, 10), at(2, 9))], positions=[P(name="甲", slots=1), P(name="甲", slots=1)],
        )  # fmt: skip
    assert {"title", "category", "contact_phone", "latitude", "geofence_m", "visibility", "shifts", "positions.1.name"} <= set(
        e.value.fields
    )
    assert not Activity.objects.exists() and not Shift.objects.exists()
    with pytest.raises(DomainError) as e:
        draft_activity(admin, org, latitude="23.1", longitude=None)
    assert e.value.fields == {"latitude": ["经纬度须同时填写，或同时留空。"]}
    with pytest.raises(DomainError) as e:
        draft_activity(admin, org, recurrence=Recurrence(weekdays=[0], start="9:00", end="10:00", first="2027-01-01",
                                                         until="2027-01-02"), shifts=[(at(2, 9), at(2, 10))])  # fmt: skip
    assert "shifts" in e.value.fields


def test_who_may_create_and_edit(org, admin, county_manager, other_admin, plain_user):
    with pytest.raises(PermissionDenied):  # a region manager supervises, does not organize
        draft_activity(county_manager, org)
    assert AuditEntry.objects.filter(action="activities.activity.create", result="denied").exists()
    for actor in (other_admin, plain_user):
        with pytest.raises(NotFound):
            draft_activity(actor, org)
    a = draft_activity(admin, org)
    assert services.activity_get(actor=county_manager, id=a.pk) == a  # inside 惠城区: visible
    with pytest.raises(PermissionDenied):
        services.activity_get(actor=county_manager, id=a.pk, action="manage")
    with pytest.raises(PermissionDenied):
        services.activity_update(actor=county_manager, activity=a, change=services.ActivityInput(title="改"))
    with pytest.raises(NotFound):
        services.activity_get(actor=other_admin, id=a.pk)


def test_publish_needs_the_complete_recruitment_notice(org, admin):
    a = draft_activity(admin, org, risks="", safeguards="", latitude=None, longitude=None, positions=[])
    with pytest.raises(DomainError) as e:
        services.activity_publish(actor=admin, activity=a)
    assert e.value.status == 422
    assert set(e.value.fields) == {"risks", "safeguards", "latitude", "positions"}
    assert Activity.objects.get(pk=a.pk).status == "draft"
    a = services.activity_update(
        actor=admin, activity=a,
        change=services.ActivityInput(risks="高温", safeguards="饮水", latitude="23.1", longitude="114.4",
                                      positions=[P(name="清洁员", slots=3)]),
    )  # fmt: skip
    a = services.activity_publish(actor=admin, activity=a)
    assert a.status == "published" and a.published_at is not None
    with pytest.raises(Conflict):
        services.activity_publish(actor=admin, activity=a)


def test_an_activity_in_the_past_is_not_published(org, admin):
    a = draft_activity(admin, org, shifts=[(at(-2, 9), at(-2, 12))])
    with pytest.raises(DomainError) as e:
        services.activity_publish(actor=admin, activity=a)
    assert e.value.fields == {"shifts": ["活动时间已过，请调整班次后再发布。"]}


def test_a_published_activity_keeps_a_complete_notice(org, admin):
    a = published_activity(org)
    with pytest.raises(DomainError) as e:
        services.activity_update(actor=admin, activity=a, change=services.ActivityInput(risks=""))
    assert "risks" in e.value.fields
    assert Activity.objects.get(pk=a.pk).risks


def test_a_slot_never_drops_below_its_accepted_enrollments(org, admin, volunteer):
    a = published_activity(org, positions=[{"name": "引导员", "slots": 5}])
    position = a.positions.get()
    _enroll(a, volunteer, accepted_in_slot=4)
    with pytest.raises(Conflict) as e:
        services.activity_update(
            actor=admin, activity=a, change=services.ActivityInput(positions=[P(id=position.pk, name="引导员", slots=3)])
        )
    assert "岗位「引导员」" in str(e.value.message) and "已录用 4 人，每班次名额不能少于 4" in str(e.value.message)
    assert Position.objects.get(pk=position.pk).slots == 5 and Slot.objects.get(shift__activity=a).capacity == 5
    a = services.activity_update(
        actor=admin, activity=a, change=services.ActivityInput(positions=[P(id=position.pk, name="引导员", slots=4)])
    )
    assert (a.slots_total, a.slots_open) == (4, 0)
    assert_consistent(a)


def test_shifts_and_positions_with_enrollments_are_not_removed(org, admin, volunteer):
    a = published_activity(org, shifts=[(at(2, 9), at(2, 12)), (at(3, 9), at(3, 12))],
                           positions=[{"name": "引导员", "slots": 5}, {"name": "摄影", "slots": 1}])  # fmt: skip
    guide = a.positions.get(name="引导员")
    slot = Slot.objects.get(shift__starts_at=at(2, 9), position=guide)
    _enroll(a, volunteer, slot=slot)
    before = (Shift.objects.count(), Slot.objects.count(), Position.objects.count())
    for change, fragment in (
        (services.ActivityInput(shifts=[(at(3, 9), at(3, 12))]), "的班次已有报名记录，不能删除。"),
        (services.ActivityInput(shifts=[(at(2, 9), at(2, 11)), (at(3, 9), at(3, 12))]), "的班次已有报名记录，不能修改时间。"),
        (
            services.ActivityInput(positions=[P(name="摄影", slots=1, id=a.positions.get(name="摄影").pk)]),
            "岗位「引导员」已有报名记录，不能删除。",
        ),
    ):
        with pytest.raises(Conflict) as e:
            services.activity_update(actor=admin, activity=a, change=change)
        assert fragment in str(e.value.message)
    assert (Shift.objects.count(), Slot.objects.count(), Position.objects.count()) == before


def test_a_published_activity_grows_and_sheds_empty_parts_consistently(org, admin, volunteer):
    a = published_activity(org, shifts=[(at(2, 9), at(2, 12)), (at(3, 9), at(3, 12))])
    guide = a.positions.get()
    _enroll(a, volunteer, accepted_in_slot=2)
    change = services.ActivityInput(
        shifts=[(at(2, 9), at(2, 12)), (at(4, 14), at(4, 17)), (at(5, 14), at(5, 17))],  # day 3 (empty) goes
        positions=[P(id=guide.pk, name="引导员", slots=6), P(name="后勤", slots=2)],
    )
    a = services.activity_update(actor=admin, activity=a, change=change)
    assert Shift.objects.filter(activity=a).count() == 3
    assert (a.slots_total, a.slots_open) == (3 * 8, 3 * 8 - 2)
    assert a.ends_at == at(5, 17)
    assert_consistent(a)


def test_close_reopen_finish_and_cancel(org, admin, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "on_activity_cancelled", lambda **kw: calls.append(kw))
    a = published_activity(org)
    a = services.activity_close_recruitment(actor=admin, activity=a)
    assert a.status == "closed"
    a = services.activity_reopen_recruitment(actor=admin, activity=a)
    assert a.status == "published"
    with pytest.raises(Conflict) as e:
        services.activity_finish(actor=admin, activity=a)
    assert "尚未开始" in str(e.value.message)
    with pytest.raises(DomainError) as e:
        services.activity_cancel(actor=admin, activity=a, reason="  ")
    assert "reason" in e.value.fields and not calls
    a = services.activity_cancel(actor=admin, activity=a, reason="台风预警")
    assert a.status == "cancelled" and calls[0]["reason"] == "台风预警" and calls[0]["activity"].pk == a.pk
    for fn in (services.activity_publish, services.activity_close_recruitment, services.activity_finish):
        with pytest.raises(Conflict):
            fn(actor=admin, activity=a)
    with pytest.raises(Conflict):
        services.activity_update(actor=admin, activity=a, change=services.ActivityInput(title="改"))
    b = published_activity(org, shifts=[(at(0, 0, 1), at(0, 23, 59))])
    assert services.activity_finish(actor=admin, activity=b).status == "finished"


def test_transitions_by_the_wrong_people(org, admin, county_manager, other_admin):
    a = published_activity(org)
    for actor in (county_manager, other_admin):
        with pytest.raises(PermissionDenied):
            services.activity_close_recruitment(actor=actor, activity=a)
    assert Activity.objects.get(pk=a.pk).status == "published"
    assert AuditEntry.objects.filter(action="activities.activity.close", result="denied").count() == 2


def test_an_activity_under_a_project(org, admin, county_manager, other_admin):
    draft = draft_project(admin, org)
    with pytest.raises(DomainError) as e:
        draft_activity(admin, org, project_id=draft.pk)
    assert e.value.fields == {"project_id": ["只有已立项或实施中的项目可以开展活动。"]}
    p = approved_project(admin, org, county_manager, name="另一个项目")
    a = draft_activity(admin, org, project_id=p.pk)
    assert a.project == p
    other_org = active_org(county_manager)
    with pytest.raises(DomainError) as e:
        draft_activity(admin_of(other_org), other_org, project_id=p.pk)
    assert e.value.fields == {"project_id": ["所属项目不存在，或不是本组织的项目。"]}


def test_the_factory_goes_through_the_services(org):
    a = published_activity(org, shifts=[(at(-1, 9), at(-1, 12))], positions=[{"name": "引导员", "slots": 2}], status="finished")
    assert a.status == "finished" and (a.slots_total, a.slots_open) == (2, 2)
    assert AuditEntry.objects.filter(action="activities.activity.publish", object_id=str(a.pk)).exists()
    assert published_activity(org, status="draft").status == "draft"
    assert published_activity(org, status="closed").status == "closed"
    assert published_activity(org, status="cancelled").status == "cancelled"
    assert activity_values().title  # the helper stays in step with the notice fields

"""Enrollment (ACT-3): each rule of ``activities.enrollment`` — eligibility with its precise
Chinese reason, auto-accept, waitlist and its promotion order, review mode, the cancellation
deadline, members-only activities, wrong scope and bad input, the kept counts."""

import datetime as dt

import pytest
from django.utils import timezone

from zhiyuan.activities import enrollment as svc
from zhiyuan.activities.models import Activity, Enrollment, Shift, Slot
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import AuditEntry, Notification
from zhiyuan.core.notifications import topic_for
from zhiyuan.organizations.tests.factories import active_org, applicant, member
from zhiyuan.volunteers.models import Volunteer, VolunteerSkill
from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register, years_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin(db):
    return applicant("组织管理员")


@pytest.fixture
def org(county_manager, org_admin):
    return active_org(county_manager, actor=org_admin)


def act(org, **values):
    """A published activity three days ahead (well before its 24-hour cancellation deadline)."""
    values.setdefault("shifts", [(at(3, 9), at(3, 12))])
    return published_activity(org, **values)


def people(n, prefix="志愿者"):
    return [register(name=f"{prefix}{chr(0x4E00 + i)}", region_code=HUICHENG_TOWN) for i in range(n)]


def slot_of(activity, position_index=0, shift_index=0) -> Slot:
    shifts = list(activity.shifts.order_by("starts_at"))
    positions = list(activity.positions.order_by("id"))
    return Slot.objects.get(shift=shifts[shift_index], position=positions[position_index])


def counts(slot) -> tuple:
    slot.refresh_from_db()
    return slot.accepted, slot.pending, slot.waitlisted


def reason_codes(e: DomainError) -> str:
    return e.code


# --- accepting, waitlist, promotion ----------------------------------------------------------


def test_auto_mode_accepts_until_full_then_waitlists_and_keeps_counts(org):
    a = act(org, positions=[{"name": "引导员", "slots": 2}])
    slot = slot_of(a)
    vs = people(4)
    results = [svc.enroll(v.user, slot) for v in vs]
    assert [e.status for e in results] == ["accepted", "accepted", "waitlisted", "waitlisted"]
    assert counts(slot) == (2, 0, 2)
    a.refresh_from_db()
    assert (a.slots_total, a.slots_open) == (2, 0)
    assert svc.slot_counts_check(a.pk) == []
    titles = list(Notification.objects.filter(user=vs[0].user).values_list("title", flat=True))
    assert titles == [f"报名成功：{a.title}"]
    assert Notification.objects.get(user=vs[2].user).title == f"已进入候补：{a.title}"
    # filed under 报名结果, so the person's preferences for that topic apply (not 其他通知)
    assert topic_for(Notification.objects.get(user=vs[2].user).kind).key == "activities.enrollment"


def test_a_cancelled_place_goes_to_the_first_waitlisted_in_signup_order(org):
    a = act(org, positions=[{"name": "引导员", "slots": 1}])
    slot = slot_of(a)
    first, second, third = people(3)
    e1 = svc.enroll(first.user, slot)
    e2 = svc.enroll(second.user, slot)
    e3 = svc.enroll(third.user, slot)
    svc.cancel(first.user, e1, "临时有事")
    statuses = dict(Enrollment.objects.filter(pk__in=[e1.pk, e2.pk, e3.pk]).values_list("pk", "status"))
    assert statuses == {e1.pk: "cancelled", e2.pk: "accepted", e3.pk: "waitlisted"}
    assert counts(slot) == (1, 0, 1)
    assert Notification.objects.filter(user=second.user, title=f"候补转为录用：{a.title}").exists()
    assert AuditEntry.objects.filter(action="activities.enrollment.promote", object_id=str(e2.pk)).exists()
    # the next freed place goes to the third, not to someone who signs up now
    late = people(1, "迟到")[0]
    assert svc.enroll(late.user, slot).status == "waitlisted"
    svc.cancel(second.user, e2)
    assert Enrollment.objects.get(pk=e3.pk).status == "accepted"
    assert svc.slot_counts_check(a.pk) == []


def test_promotion_skips_a_waitlisted_person_who_was_suspended(org):
    a = act(org, positions=[{"name": "引导员", "slots": 1}])
    slot = slot_of(a)
    first, second, third = people(3)
    e1 = svc.enroll(first.user, slot)
    e2 = svc.enroll(second.user, slot)
    e3 = svc.enroll(third.user, slot)
    Volunteer.objects.filter(pk=second.pk).update(status=Volunteer.Status.SUSPENDED)
    svc.cancel(first.user, e1)
    assert Enrollment.objects.get(pk=e2.pk).status == "waitlisted"
    assert Enrollment.objects.get(pk=e3.pk).status == "accepted"


def test_one_live_enrollment_per_shift_and_no_overlapping_shifts(org, county_manager, volunteer):
    a = act(org, positions=[{"name": "引导员", "slots": 5}, {"name": "摄影", "slots": 2}])
    svc.enroll(volunteer.user, slot_of(a, 0))
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(a, 1))
    assert e.value.code == "already_enrolled" and "您已报名该班次" in e.value.message
    other = act(active_org(county_manager), title="敬老院探访", shifts=[(at(3, 11), at(3, 14))])
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(other))
    assert e.value.code == "overlap"
    assert f"「{a.title}」" in e.value.message
    later = act(active_org(county_manager), shifts=[(at(3, 12), at(3, 15))])  # touches, no overlap
    assert svc.enroll(volunteer.user, slot_of(later)).status == "accepted"


def test_after_cancelling_one_may_sign_up_for_the_shift_again(org, volunteer):
    a = act(org)
    e = svc.enroll(volunteer.user, slot_of(a))
    svc.cancel(volunteer.user, e, "")
    again = svc.enroll(volunteer.user, slot_of(a))
    assert again.pk != e.pk and again.status == "accepted"
    assert counts(slot_of(a)) == (1, 0, 0)


# --- eligibility: each reason ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        (Volunteer.Status.SUSPENDED, "volunteer_suspended", "暂停"),
        (Volunteer.Status.EXITED, "volunteer_exited", "退出"),
    ],
)
def test_suspended_or_exited_volunteers_are_refused(org, volunteer, status, code, text):
    a = act(org)
    Volunteer.objects.filter(pk=volunteer.pk).update(status=status)
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(a))
    assert e.value.code == code and text in e.value.message
    assert not Enrollment.objects.exists() and counts(slot_of(a)) == (0, 0, 0)


def test_a_restricted_volunteer_is_refused(org, volunteer):
    from zhiyuan.volunteers.services.consent import consent_withdraw

    a = act(org)
    consent_withdraw(actor=volunteer.user)
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(a))
    assert e.value.code == "volunteer_restricted"


def test_age_range_is_counted_on_the_shift_day(org):
    # turns 60 the day after the shift: still 59 on the day
    a = act(org, positions=[{"name": "引导员", "slots": 5, "min_age": 18, "max_age": 59}])
    shift_day = svc.shift_day(a.shifts.get())
    born = shift_day.replace(year=shift_day.year - 60) + dt.timedelta(days=1)
    old = register(name="老张", birth=born, region_code=HUICHENG_TOWN)
    assert svc.enroll(old.user, slot_of(a)).status == "accepted"
    b = act(org, positions=[{"name": "引导员", "slots": 5, "max_age": 59}], shifts=[(at(4, 9), at(4, 12))])
    older = register(name="老李", birth=years_ago(61), region_code=HUICHENG_TOWN)
    with pytest.raises(Conflict) as e:
        svc.enroll(older.user, slot_of(b))
    assert e.value.code == "age" and "59岁以下" in e.value.message and "61岁" in e.value.message


def test_minors_never_on_dangerous_positions_nor_where_minors_are_not_allowed(org, minor_volunteer):
    a = act(
        org,
        positions=[
            {"name": "水域救援", "slots": 2, "dangerous": True},
            {"name": "发放物资", "slots": 2},
            {"name": "小小讲解员", "slots": 2, "minors_allowed": True},
        ],
    )
    with pytest.raises(Conflict) as e:
        svc.enroll(minor_volunteer.user, slot_of(a, 0))
    assert e.value.code == "minor_dangerous" and "危险岗位，未成年人不能参加" in e.value.message
    with pytest.raises(Conflict) as e:
        svc.enroll(minor_volunteer.user, slot_of(a, 1))
    assert e.value.code == "minors_not_allowed"
    assert svc.enroll(minor_volunteer.user, slot_of(a, 2)).status == "accepted"


def test_missing_skills_are_named(org, volunteer):
    a = act(org, positions=[{"name": "医疗保障", "slots": 2, "skills": ["medical", "first_aid"]}])
    VolunteerSkill.objects.create(volunteer=volunteer, code="first_aid")
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(a))
    assert e.value.code == "skills" and "医疗护理" in e.value.message and "急救" not in e.value.message
    VolunteerSkill.objects.create(volunteer=volunteer, code="medical")
    assert svc.enroll(volunteer.user, slot_of(a)).status == "accepted"


def test_required_training_through_the_training_service(org, county_manager, volunteer):
    from zhiyuan.training.services.records import record_create
    from zhiyuan.training.tests import factories as tf

    course = tf.course(county_manager, name="防溺水救援")
    qtype = tf.qualification_type()
    a = act(
        org,
        positions=[{"name": "水上巡查", "slots": 2, "required_courses": [course], "required_qualifications": [qtype]}],
    )
    answer = svc.eligibility(volunteer, slot_of(a))
    assert not answer.ok
    assert [r.message for r in answer.reasons] == ["未完成「防溺水救援」培训", f"未取得「{qtype.name}」资格"]
    record_create(actor=county_manager, volunteer=volunteer, course=course, source="import", completed_on=timezone.localdate())
    answer = svc.eligibility(volunteer, slot_of(a))
    assert [r.code for r in answer.reasons] == ["training"] and qtype.name in answer.message


def test_insurance_required_through_the_insurance_service(org, org_admin, volunteer):
    from zhiyuan.insurance.tests import factories as inf

    today = timezone.localdate()
    a = act(org, positions=[{"name": "清淤", "slots": 2, "insurance_required": True}])
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(a))
    assert e.value.code == "insurance" and "未参加任何有效保险" in e.value.message
    inf.listed_policy(org_admin, org, volunteer, starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=300))
    assert svc.enroll(volunteer.user, slot_of(a)).status == "accepted"


def test_members_only_activity_admits_active_members_only(org, org_admin, volunteer, huiyang_volunteer):
    a = act(org, visibility="members")
    member(org, volunteer, admin=org_admin)
    with pytest.raises(Conflict) as e:
        svc.enroll(huiyang_volunteer.user, slot_of(a))
    assert e.value.code == "members_only" and org.name in e.value.message
    assert svc.enroll(volunteer.user, slot_of(a)).status == "accepted"


def test_started_shift_closed_recruitment_and_cancelled_shift(org, volunteer):
    a = act(org, shifts=[(at(3, 9), at(3, 12)), (at(4, 9), at(4, 12))])
    Shift.objects.filter(pk=slot_of(a).shift_id).update(starts_at=timezone.now() - dt.timedelta(minutes=5))
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(a, shift_index=0))
    assert e.value.code == "shift_started"
    Shift.objects.filter(pk=slot_of(a, shift_index=1).shift_id).update(cancelled=True)
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(a, shift_index=1))
    assert e.value.code == "shift_cancelled"
    closed = act(org, status="closed")
    with pytest.raises(Conflict) as e:
        svc.enroll(volunteer.user, slot_of(closed))
    assert e.value.code == "recruitment_closed" and "停止招募" in e.value.message
    draft = act(org, status="draft")
    with pytest.raises(NotFound):
        svc.enroll(volunteer.user, slot_of(draft))


def test_every_reason_is_listed_together(org, minor_volunteer):
    a = act(org, positions=[{"name": "高空作业", "slots": 1, "dangerous": True, "skills": ["rescue"]}])
    Volunteer.objects.filter(pk=minor_volunteer.pk).update(status=Volunteer.Status.SUSPENDED)
    minor_volunteer.refresh_from_db()
    answer = svc.eligibility(minor_volunteer, slot_of(a))
    assert [r.code for r in answer.reasons] == ["volunteer_suspended", "minor_dangerous", "skills", "insurance"]


def test_eligibility_of_a_whole_shift_takes_a_constant_number_of_queries(
    org, county_manager, volunteer, django_assert_num_queries
):
    from zhiyuan.training.tests import factories as tf

    course = tf.course(county_manager)

    def shift_with(n):
        positions = [{"name": f"岗位{i}", "slots": 2, "skills": ["medical"], "insurance_required": True,
                      "required_courses": [course]} for i in range(n)]  # fmt: skip
        return act(org, visibility="members", positions=positions, shifts=[(at(5 + n, 9), at(5 + n, 12))])

    for n in (1, 4):
        shift = Shift.objects.select_related("activity__organization", "activity__insurance_policy").get(activity=shift_with(n))
        # slots, membership, requirements, training, skills, insurance, overlap
        with django_assert_num_queries(7):
            answers = svc.eligibility_for_shift(volunteer, shift)
        assert len(answers) == n and all(not e.ok for _s, e in answers)


# --- cancelling --------------------------------------------------------------------------------


def test_cancel_after_the_deadline_is_refused_with_the_deadline_and_contact(org, volunteer):
    a = act(org, shifts=[(timezone.now() + dt.timedelta(hours=10), timezone.now() + dt.timedelta(hours=13))])
    assert a.cancel_deadline_hours == 24
    e = svc.enroll(volunteer.user, slot_of(a))
    with pytest.raises(Conflict) as err:
        svc.cancel(volunteer.user, e, "不想去了")
    assert err.value.code == "cancel_deadline_passed"
    assert "已过取消截止时间" in err.value.message and a.contact_phone in err.value.message
    assert Enrollment.objects.get(pk=e.pk).status == "accepted" and counts(slot_of(a)) == (1, 0, 0)


def test_a_waitlisted_sign_up_may_be_withdrawn_after_the_deadline(org):
    a = act(
        org,
        positions=[{"name": "引导员", "slots": 1}],
        shifts=[(timezone.now() + dt.timedelta(hours=10), timezone.now() + dt.timedelta(hours=13))],
    )
    first, second = people(2)
    svc.enroll(first.user, slot_of(a))
    e = svc.enroll(second.user, slot_of(a))
    svc.cancel(second.user, e)
    assert counts(slot_of(a)) == (1, 0, 0)


def test_only_the_volunteer_cancels_their_enrollment_and_only_once(org, volunteer, huiyang_volunteer):
    a = act(org)
    e = svc.enroll(volunteer.user, slot_of(a))
    with pytest.raises(NotFound):
        svc.cancel(huiyang_volunteer.user, e)
    svc.cancel(volunteer.user, e)
    with pytest.raises(Conflict) as err:
        svc.cancel(volunteer.user, e)
    assert err.value.code == "not_live"
    a.refresh_from_db()
    assert a.slots_open == a.slots_total


def test_bad_input_is_refused_and_nothing_is_saved(org, volunteer):
    a = act(org)
    with pytest.raises(DomainError) as e:
        svc.enroll(volunteer.user, slot_of(a), note="长" * 201)
    assert e.value.status == 422 and "note" in e.value.fields
    with pytest.raises(DomainError) as e:
        svc.enroll(volunteer.user, slot_of(a), note="bad\x00text")
    assert e.value.status == 422
    with pytest.raises(NotFound):
        svc.enroll(volunteer.user, 10**9)
    with pytest.raises(NotFound):
        svc.enroll(volunteer.user, "abc")
    assert not Enrollment.objects.exists() and counts(slot_of(a)) == (0, 0, 0)


def test_a_user_without_a_volunteer_record_cannot_sign_up(org, plain_user):
    a = act(org)
    with pytest.raises(DomainError) as e:
        svc.enroll(plain_user, slot_of(a))
    assert e.value.code == "not_registered"


# --- review mode and the organizer's decisions ---------------------------------------------


def test_review_mode_holds_sign_ups_until_the_organizer_decides(org, org_admin):
    a = act(org, enrollment_mode="review", positions=[{"name": "引导员", "slots": 1}])
    slot = slot_of(a)
    first, second, third = people(3)
    e1, e2, e3 = (svc.enroll(v.user, slot) for v in (first, second, third))
    assert {e1.status, e2.status, e3.status} == {"pending"} and counts(slot) == (0, 3, 0)
    assert Notification.objects.get(user=first.user).title == f"报名待审核：{a.title}"
    assert svc.decide(org_admin, e1, "accept").status == "accepted"
    assert svc.decide(org_admin, e2, "accept").status == "waitlisted"  # full: approved onto the waitlist
    assert svc.decide(org_admin, e3, "reject", "人数已满").status == "rejected"
    assert counts(slot) == (1, 0, 1)
    assert Notification.objects.filter(user=third.user, body__contains="原因：人数已满").exists()
    # rejecting the accepted one promotes the approved waitlisted person
    svc.decide(org_admin, e1, "reject", "未按要求提交材料")
    assert Enrollment.objects.get(pk=e2.pk).status == "accepted" and counts(slot) == (1, 0, 0)
    actions = set(AuditEntry.objects.filter(action__startswith="activities.enrollment.").values_list("action", flat=True))
    assert actions == {"activities.enrollment.accept", "activities.enrollment.reject", "activities.enrollment.promote"}
    a.refresh_from_db()
    assert a.slots_open == 0


def test_only_the_organizing_organizations_admins_decide(org, county_manager, other_county_manager, volunteer):
    a = act(org, enrollment_mode="review")
    e = svc.enroll(volunteer.user, slot_of(a))
    other_admin = applicant("别的组织管理员")
    active_org(county_manager, actor=other_admin)
    with pytest.raises(NotFound):  # another organization's admin: not even visible
        svc.decide(other_admin, e, "accept")
    with pytest.raises(NotFound):  # a region manager elsewhere
        svc.decide(other_county_manager, e, "accept")
    with pytest.raises(PermissionDenied):  # the region's manager sees it but does not run the activity
        svc.decide(county_manager, e, "accept")
    with pytest.raises(PermissionDenied):  # the volunteer sees their own sign-up, decides nothing
        svc.decide(volunteer.user, e, "accept")
    assert Enrollment.objects.get(pk=e.pk).status == "pending"


def test_decisions_need_a_known_decision_and_a_reason_to_reject(org, org_admin, volunteer):
    a = act(org, enrollment_mode="review")
    e = svc.enroll(volunteer.user, slot_of(a))
    with pytest.raises(DomainError) as err:
        svc.decide(org_admin, e, "maybe")
    assert err.value.status == 422 and "decision" in err.value.fields
    with pytest.raises(DomainError) as err:
        svc.decide(org_admin, e, "reject", "  ")
    assert err.value.status == 422 and "reason" in err.value.fields
    svc.decide(org_admin, e, "accept")
    with pytest.raises(Conflict):
        svc.decide(org_admin, e, "accept")


# --- the activity is cancelled ---------------------------------------------------------------


def test_cancelling_the_activity_cancels_and_tells_everyone(org, org_admin):
    a = act(org, positions=[{"name": "引导员", "slots": 1}])
    vs = people(3)
    for v in vs:
        svc.enroll(v.user, slot_of(a))
    Activity.objects.filter(pk=a.pk).update(status="cancelled")
    assert svc.on_activity_cancelled(a, reason="台风预警", actor=org_admin) == 3
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"cancelled"}
    assert counts(slot_of(a)) == (0, 0, 0)
    a.refresh_from_db()
    assert a.slots_open == a.slots_total
    for v in vs:
        assert Notification.objects.filter(user=v.user, title=f"活动已取消：{a.title}", body__contains="台风预警").exists()
    assert svc.slot_counts_check(a.pk) == []


def test_the_organizer_cancelling_the_activity_ends_every_sign_up_and_tells_each_person(org, org_admin):
    """The organizer's ``activity_cancel`` (services) reaches the enrollment area in its own
    transaction: live sign-ups cancelled with the organizer's reason, places open again, each
    person notified."""
    from zhiyuan.activities import services

    a = act(org, positions=[{"name": "引导员", "slots": 1}])
    first, second = people(2, prefix="取消")
    slot = slot_of(a)
    svc.enroll(first.user, slot)
    svc.enroll(second.user, slot)  # waitlisted
    a.refresh_from_db()
    assert a.slots_open == 0
    services.activity_cancel(actor=org_admin, activity=a, reason="台风预警")
    a.refresh_from_db()
    assert a.status == "cancelled" and a.slots_open == a.slots_total == 1
    assert counts(slot) == (0, 0, 0)
    assert set(Enrollment.objects.filter(activity=a).values_list("status", flat=True)) == {"cancelled"}
    assert set(Enrollment.objects.filter(activity=a).values_list("reason", flat=True)) == {"台风预警"}
    for v in (first, second):
        assert Notification.objects.filter(user=v.user, body__contains="台风预警").exists()

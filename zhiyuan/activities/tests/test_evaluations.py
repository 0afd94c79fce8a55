"""Evaluation (ACT-6): only after the shift ended, only people who took part, one rating per pair
(editable 7 days), the kept average on the activity, the organizer's scope, and the public
beneficiary form (honeypot, rate limit, window)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from zhiyuan.activities.evaluation_models import ActivityRating, BeneficiaryFeedback, VolunteerRating
from zhiyuan.activities.models import Activity, Attendance, CheckMethod, Enrollment, EnrollmentStatus, Slot
from zhiyuan.activities.tests.factories import at, published_activity
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations.tests.factories import active_org, applicant
from zhiyuan.testing import PASSWORD

pytestmark = pytest.mark.django_db

PAST = [(at(-2, 9), at(-2, 12))]


@pytest.fixture
def org_admin_user(db):
    return applicant("组织管理员")


@pytest.fixture
def org(county_manager, org_admin_user):
    return active_org(county_manager, actor=org_admin_user)


@pytest.fixture
def past(org):
    return published_activity(org, shifts=PAST)


def served(activity, volunteer, *, status=EnrollmentStatus.ACCEPTED, checked_out=True) -> Attendance:
    """An enrollment and its attendance written directly (the enrollment and check-in services
    belong to other areas)."""
    slot = Slot.objects.filter(shift__activity=activity).select_related("shift").first()
    shift = slot.shift
    e = Enrollment.objects.create(
        slot=slot, volunteer=volunteer, shift=shift, activity=activity, organization_id=activity.organization_id,
        region_code=activity.region_code, starts_at=shift.starts_at, ends_at=shift.ends_at, status=status,
    )  # fmt: skip
    return Attendance.objects.create(
        enrollment=e, volunteer=volunteer, activity=activity, shift=shift, organization_id=activity.organization_id,
        region_code=activity.region_code, check_in_at=shift.starts_at, check_in_method=CheckMethod.QR,
        check_out_at=shift.ends_at if checked_out else None, check_out_method=CheckMethod.QR if checked_out else "",
    )  # fmt: skip


def login(client, user):
    assert client.login(username=user.mobile, password=PASSWORD)


def rate(client, activity, stars, comment=""):
    return client.put(
        f"/api/v1/activities/{activity.pk}/my-rating", {"stars": stars, "comment": comment}, content_type="application/json"
    )


# --- the volunteer rates the activity --------------------------------------------------------------


def test_a_participant_rates_once_and_the_activity_keeps_the_average(client, past, volunteer, huiyang_volunteer):
    served(past, volunteer)
    served(past, huiyang_volunteer)
    login(client, volunteer.user)
    assert rate(client, past, 4, "组织有序").status_code == 200
    assert rate(client, past, 5, "改为五星").status_code == 200  # the same pair: an edit
    client.logout()
    login(client, huiyang_volunteer.user)
    assert rate(client, past, 2).status_code == 200
    past.refresh_from_db()
    assert ActivityRating.objects.filter(activity=past).count() == 2
    assert (past.rating_count, past.rating_sum, past.rating_average) == (2, 7, 3.5)
    detail = client.get(reverse("activities:square_detail", args=[past.pk])).content.decode()
    assert "★ 3.5" in detail


@pytest.mark.parametrize(
    "case",
    ["not_checked_out", "not_accepted", "shift_not_ended", "never_enrolled"],
)
def test_only_who_took_part_after_the_shift_may_rate(client, org, volunteer, case):
    a = published_activity(
        org,
        shifts=[(timezone.now() - dt.timedelta(hours=2), timezone.now() + dt.timedelta(hours=1))]
        if case == "shift_not_ended"
        else PAST,
    )
    if case == "not_checked_out":
        served(a, volunteer, checked_out=False)
    elif case == "not_accepted":
        served(a, volunteer, status=EnrollmentStatus.CANCELLED)
    elif case == "shift_not_ended":
        served(a, volunteer)
    login(client, volunteer.user)
    r = rate(client, a, 5)
    assert r.status_code == 403, r.content
    assert "签退" in r.json()["message"]
    assert not ActivityRating.objects.exists()
    a.refresh_from_db()
    assert a.rating_count == 0


def test_a_rating_is_locked_after_seven_days(client, past, volunteer):
    served(past, volunteer)
    login(client, volunteer.user)
    assert rate(client, past, 3).status_code == 200
    ActivityRating.objects.update(created_at=timezone.now() - dt.timedelta(days=8))
    r = rate(client, past, 5)
    assert r.status_code == 409 and "7天" in r.json()["message"]
    past.refresh_from_db()
    assert (past.rating_count, past.rating_sum) == (1, 3)


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_stars_outside_one_to_five_are_refused_and_nothing_saved(client, past, volunteer, stars):
    served(past, volunteer)
    login(client, volunteer.user)
    r = rate(client, past, stars)
    assert r.status_code == 422 and r.json()["fields"]["stars"] == ["评分须为1至5星。"]
    assert not ActivityRating.objects.exists()


def test_the_rating_page_saves_and_shows_form_errors(client, past, volunteer):
    served(past, volunteer)
    login(client, volunteer.user)
    url = reverse("activities:rate", args=[past.pk])
    r = client.post(url, {"comment": "无星"})
    assert r.status_code == 200 and "请选择1至5星。" in r.content.decode()
    assert client.post(url, {"stars": "4", "comment": "很好"}).status_code == 302
    assert ActivityRating.objects.get().stars == 4


def test_a_members_only_activity_is_404_to_an_outsider_who_tries_to_rate(client, org, huiyang_volunteer):
    a = published_activity(org, shifts=PAST, visibility="members")
    login(client, huiyang_volunteer.user)
    assert rate(client, a, 5).status_code == 404
    assert client.get(reverse("activities:rate", args=[a.pk])).status_code == 404


# --- the organizer rates volunteers ----------------------------------------------------------------


def rate_volunteer(client, activity, volunteer, stars, comment=""):
    return client.put(
        f"/api/v1/activities/{activity.pk}/participants/{volunteer.pk}/rating", {"stars": stars, "comment": comment},
        content_type="application/json",
    )  # fmt: skip


def test_the_organizer_rates_each_participant_once_and_it_is_audited(client, past, org_admin_user, volunteer, huiyang_volunteer):
    served(past, volunteer)
    served(past, huiyang_volunteer, checked_out=False)
    login(client, org_admin_user)
    people = client.get(f"/api/v1/activities/{past.pk}/participants").json()
    assert [p["volunteer_id"] for p in people] == [volunteer.pk]
    assert rate_volunteer(client, past, volunteer, 5, "认真负责").status_code == 200
    assert rate_volunteer(client, past, volunteer, 4).status_code == 200
    assert VolunteerRating.objects.get().stars == 4
    assert rate_volunteer(client, past, huiyang_volunteer, 5).status_code == 404  # did not check out
    audited = AuditEntry.objects.filter(action__startswith="activities.rating.").order_by("id")
    assert list(audited.values_list("action", flat=True)) == [
        "activities.rating.volunteer_create",
        "activities.rating.volunteer_update",
    ]
    page = client.get(reverse("activities:evaluations", args=[past.pk]))
    assert page.status_code == 200 and volunteer.name in page.content.decode()


def test_the_organizer_page_rates_through_a_form(client, past, org_admin_user, volunteer):
    served(past, volunteer)
    login(client, org_admin_user)
    url = reverse("activities:evaluations", args=[past.pk])
    r = client.post(url, {"volunteer": volunteer.pk, "stars": "9"})
    assert r.status_code == 422 and "评分须为1至5星。" in r.content.decode()
    assert client.post(url, {"volunteer": volunteer.pk, "stars": "3", "comment": "准时"}).status_code == 302
    assert VolunteerRating.objects.get().comment == "准时"


def test_a_region_manager_sees_but_may_not_rate_and_another_org_admin_gets_404(
    client, past, county_manager, other_county_manager, volunteer
):
    served(past, volunteer)
    login(client, county_manager)  # the activity is in their region: visible, not theirs to rate
    assert rate_volunteer(client, past, volunteer, 5).status_code == 403
    assert client.get(reverse("activities:evaluations", args=[past.pk])).status_code == 403
    client.logout()
    other_admin = applicant("别的组织管理员")
    active_org(county_manager, actor=other_admin)
    login(client, other_admin)
    assert rate_volunteer(client, past, volunteer, 5).status_code == 404
    assert client.get(f"/api/v1/activities/{past.pk}/participants").status_code == 404
    assert client.get(f"/api/v1/activities/{past.pk}/feedback").status_code == 404
    assert not VolunteerRating.objects.exists()


# --- beneficiary feedback --------------------------------------------------------------------------


def feedback(client, activity, **data):
    return client.post(f"/api/v1/activities/{activity.pk}/feedback", {"stars": 5, **data}, content_type="application/json")


def test_anyone_leaves_feedback_without_an_account_and_the_organizer_reads_it(client, past, org_admin_user):
    assert feedback(client, past, comment="志愿者很耐心").status_code == 201
    login(client, org_admin_user)
    assert [f["comment"] for f in client.get(f"/api/v1/activities/{past.pk}/feedback").json()] == ["志愿者很耐心"]


def test_a_filled_honeypot_is_thanked_and_nothing_is_saved(client, past):
    assert feedback(client, past, website="http://spam.example").status_code == 201
    r = client.post(reverse("activities:feedback", args=[past.pk]), {"stars": "5", "website": "x"})
    assert r.status_code == 200 and "data-thanks" in r.content.decode()
    assert not BeneficiaryFeedback.objects.exists()


def test_feedback_is_rate_limited_per_address(client, past):
    for _ in range(10):
        assert feedback(client, past).status_code == 201
    r = feedback(client, past)
    assert r.status_code == 429 and r.json()["message"] == "提交过于频繁，请稍后再试。"
    assert BeneficiaryFeedback.objects.count() == 10


def test_feedback_is_open_from_the_start_until_thirty_days_after(client, org):
    upcoming = published_activity(org)
    assert feedback(client, upcoming).status_code == 409
    old = published_activity(org, shifts=[(at(-40, 9), at(-40, 12))])
    assert feedback(client, old).status_code == 409
    assert client.get(reverse("activities:feedback", args=[old.pk])).content.decode().count("不接受反馈") == 1
    draft = published_activity(org, shifts=PAST, status="draft")
    assert feedback(client, draft).status_code == 404
    assert not BeneficiaryFeedback.objects.exists()


def test_the_feedback_page_works_without_login(client, past):
    client.enforce_csrf_checks = True
    page = client.get(reverse("activities:feedback", args=[past.pk]))
    token = page.cookies["csrftoken"].value
    r = client.post(reverse("activities:feedback", args=[past.pk]), {"stars": "4", "comment": "好", "csrfmiddlewaretoken": token})
    assert r.status_code == 200 and "data-thanks" in r.content.decode()
    assert BeneficiaryFeedback.objects.get().stars == 4
    assert Activity.objects.get(pk=past.pk).rating_count == 0  # the volunteers' average only


@pytest.mark.parametrize("people", [1, 3])
def test_the_participants_list_reads_a_constant_number_of_queries(
    client, past, org_admin_user, people, django_assert_num_queries
):
    from zhiyuan.volunteers.tests.factories import register

    for i in range(people):
        served(past, register(name=["张三", "李四", "王五"][i]))
    login(client, org_admin_user)
    # session, user, roles, volunteer (role provider), the activity, the participants with their
    # volunteers, the ratings, and the session's refresh in its savepoint (3) — none per person
    with django_assert_num_queries(10):
        r = client.get(f"/api/v1/activities/{past.pk}/participants")
    assert len(r.json()) == people

"""The training pages: a volunteer passes an online course through the page and sees the
certificate; the page scores only what the server drew; managers' lists are scoped and keep
their query count; evidence is streamed only to holder and reviewer."""

import datetime as dt

import pytest
from django.urls import reverse

from zhiyuan.training.models import Question, QuizAttempt, TrainingCertificate
from zhiyuan.training.services import courses, records
from zhiyuan.training.tests import factories as f


def as_user(client, u):
    client.force_login(u)
    return client


def test_volunteer_passes_an_online_course_on_the_pages(client, county_manager, volunteer):
    c = f.online_course(county_manager, name="应急救护线上课")
    as_user(client, volunteer.user)
    page = client.get(reverse("training:my"))
    assert page.status_code == 200 and "应急救护线上课" in page.content.decode()
    assert client.get(reverse("training:course", args=[c.pk])).status_code == 200
    r = client.post(reverse("training:quiz_start", args=[c.pk]))
    attempt = QuizAttempt.objects.get(volunteer=volunteer)
    assert r.url == reverse("training:quiz", args=[attempt.pk])
    html = client.get(r.url).content.decode()
    for q in Question.objects.filter(pk__in=attempt.question_ids):
        assert q.text in html
    assert '"answer"' not in html
    answers = {f"q_{q.pk}": [str(a) for a in q.answer] for q in Question.objects.filter(pk__in=attempt.question_ids)}
    client.post(r.url, {**answers, "score": "0", "passed": "false"})
    done = client.get(r.url).content.decode()
    assert "data-quiz-passed" in done
    cert = TrainingCertificate.objects.get(volunteer=volunteer, course=c)
    detail = client.get(reverse("training:certificate", args=[cert.pk])).content.decode()
    assert cert.certificate_no in detail


def test_someone_elses_quiz_and_certificate_are_404(client, county_manager, volunteer, huiyang_volunteer):
    c = f.online_course(county_manager)
    as_user(client, volunteer.user)
    client.post(reverse("training:quiz_start", args=[c.pk]))
    attempt = QuizAttempt.objects.get(volunteer=volunteer)
    cert = records.record_create(
        actor=county_manager, volunteer=volunteer, course=c, source="import", completed_on=dt.date(2026, 1, 1)
    ).certificate
    as_user(client, huiyang_volunteer.user)
    assert client.get(reverse("training:quiz", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("training:certificate", args=[cert.pk])).status_code == 404


def test_enroll_from_the_page(client, county_manager, volunteer):
    s = f.session(county_manager, f.course(county_manager), capacity=1)
    as_user(client, volunteer.user)
    client.post(reverse("training:session_enroll", args=[s.pk]))
    s.refresh_from_db()
    assert s.enrolled_count == 1
    client.post(reverse("training:session_enroll", args=[s.pk]))  # twice: a message, no second seat
    s.refresh_from_db()
    assert s.enrolled_count == 1


def test_manager_lists_are_scoped(client, county_manager, other_county_manager, volunteer):
    f.course(county_manager, name="惠城岗前培训")
    f.course(other_county_manager, name="惠阳岗前培训", region_code="441303000000")
    html = as_user(client, county_manager).get(reverse("training:manage")).content.decode()
    assert "惠城岗前培训" in html and "惠阳岗前培训" not in html
    assert as_user(client, volunteer.user).get(reverse("training:manage")).status_code == 403


@pytest.mark.parametrize("rows", [1, 4])
def test_records_page_query_count_does_not_grow(client, county_manager, volunteer, rows, django_assert_num_queries):
    c = f.course(county_manager)
    for i in range(rows):
        records.record_create(
            actor=county_manager, volunteer=volunteer, course=c, source="import", completed_on=dt.date(2026, 1, 1 + i)
        )
    as_user(client, county_manager)
    client.get(reverse("training:manage_records"))  # warm the session and role caches
    with django_assert_num_queries(6):  # + the unread-notice badge (core.context_processors.notifications)
        r = client.get(reverse("training:manage_records"))
    assert r.status_code == 200


def test_qualification_upload_review_and_evidence(client, county_manager, other_county_manager, volunteer):
    as_user(client, volunteer.user)
    r = client.post(
        reverse("training:qualification_create"),
        {
            "qualification_type": f.qualification_type("water_rescue").pk,
            "certificate_no": "SS-1",
            "issuer": "惠州市游泳协会",
            "issued_on": "2025-07-01",
            "evidence": f.evidence(),
        },
    )
    assert r.status_code == 302
    q = volunteer.qualifications.get()
    assert client.get(reverse("training:qualification_evidence", args=[q.pk])).content == f.PDF
    assert as_user(client, other_county_manager).get(reverse("training:qualification_evidence", args=[q.pk])).status_code == 404
    assert as_user(client, other_county_manager).get(reverse("training:qualification_review", args=[q.pk])).status_code == 404
    as_user(client, county_manager)
    assert "惠州市游泳协会" in client.get(reverse("training:manage_qualifications")).content.decode()
    r = client.post(reverse("training:qualification_review", args=[q.pk]), {"decision": "reject", "reason": ""})
    assert r.status_code == 200  # a rejection needs a reason
    client.post(reverse("training:qualification_review", args=[q.pk]), {"decision": "approve", "reason": ""})
    q.refresh_from_db()
    assert q.status == "approved"


def test_attendance_page(client, county_manager, volunteer):
    from django.utils import timezone

    from zhiyuan.training.models import TrainingSession

    s = f.session(county_manager, f.course(county_manager))
    e = courses.session_enroll(actor=volunteer.user, session_id=s.pk)
    TrainingSession.objects.filter(pk=s.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=3), ends_at=timezone.now() - dt.timedelta(hours=1)
    )
    as_user(client, county_manager)
    assert volunteer.name in client.get(reverse("training:session_manage", args=[s.pk])).content.decode()
    client.post(reverse("training:session_manage", args=[s.pk]), {"enrollment_id": e.pk, "present": "1", "score": "95"})
    assert TrainingCertificate.objects.filter(volunteer=volunteer, course=s.course).exists()

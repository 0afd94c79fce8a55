"""Issue 9: on a 390-px phone the demo volunteer opens 「我的培训」, takes the online course's quiz,
passes it (answers checked on the server) and sees the certificate, with its number, on the
page and in 「我的证书」."""

import pytest
from e2e_support import login, no_horizontal_overflow, small_targets, watch_console
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_volunteer_passes_an_online_course_and_sees_the_certificate(phone, demo):
    from zhiyuan.training.demo import GENERAL
    from zhiyuan.training.models import Question, QuizAttempt, TrainingCertificate

    page = phone
    errors = watch_console(page)
    login(page, demo["volunteer"])
    page.goto("/training/my/")
    assert no_horizontal_overflow(page), "「我的培训」 scrolls sideways"
    page.get_by_role("link", name=GENERAL).click()
    page.click("[data-quiz-start]")
    expect(page.locator("[data-quiz-form]")).to_be_visible()
    assert no_horizontal_overflow(page), "the quiz scrolls sideways"
    attempt = QuizAttempt.objects.get(volunteer__user__mobile=demo["volunteer"]["mobile"], course__name=GENERAL)
    for q in Question.objects.filter(pk__in=attempt.question_ids):
        for index in q.answer:  # what a volunteer who studied the materials would pick
            page.locator(f"[data-question='{q.pk}'] input[value='{index}']").check()
    page.click("[data-quiz-submit]")
    expect(page.locator("[data-quiz-passed]")).to_be_visible()
    cert = TrainingCertificate.objects.get(volunteer=attempt.volunteer, course=attempt.course)
    page.click("[data-certificate-link]")
    expect(page.locator("[data-certificate-no]")).to_have_text(cert.certificate_no)
    assert no_horizontal_overflow(page)
    page.goto("/training/my/")
    expect(page.locator(f"[data-certificate='{cert.certificate_no}'] [data-state]")).to_have_text("有效")
    assert small_targets(page) == []
    assert errors == []

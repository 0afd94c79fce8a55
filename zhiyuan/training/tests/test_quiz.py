"""Online courses: questions drawn and kept on the server, answers scored from the bank only (the
client's score and "correct" flags are ignored), attempts limited, passing issues a certificate."""

import pytest

from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.training.models import Question, QuizAttempt, TrainingCertificate, TrainingRecord
from zhiyuan.training.services import quiz
from zhiyuan.training.tests import factories as f


def _right(attempt) -> dict:
    answers = dict(Question.objects.filter(pk__in=attempt.question_ids).values_list("pk", "answer"))
    return {str(k): v for k, v in answers.items()}


def _wrong(attempt) -> dict:
    return {k: [(v[0] + 1) % 4] for k, v in _right(attempt).items()}


def test_passing_writes_a_record_and_certificate(county_manager, volunteer):
    c = f.online_course(county_manager)
    attempt = quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk)
    assert len(attempt.question_ids) == 5 and len(set(attempt.question_ids)) == 5
    assert quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk).pk == attempt.pk  # resumed, not redrawn
    done = quiz.quiz_attempt_submit(actor=volunteer.user, attempt_id=attempt.pk, answers=_right(attempt))
    assert done.passed and done.score == 100
    record = TrainingRecord.objects.get(volunteer=volunteer, course=c)
    assert record.source == "online" and record.score == 100
    assert TrainingCertificate.objects.filter(record=record, volunteer=volunteer).exists()
    with pytest.raises(Conflict):
        quiz.quiz_attempt_submit(actor=volunteer.user, attempt_id=attempt.pk, answers=_right(attempt))
    with pytest.raises(Conflict):
        quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk)  # already passed


def test_client_scores_flags_and_foreign_questions_are_ignored(county_manager, volunteer):
    c = f.online_course(county_manager, questions=10)
    attempt = quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk)
    not_drawn = Question.objects.filter(course=c).exclude(pk__in=attempt.question_ids)
    tampered = {
        **_wrong(attempt),
        "score": 100,
        "passed": True,
        "correct": {str(q): True for q in attempt.question_ids},
        **{str(q.pk): q.answer for q in not_drawn},  # right answers to questions not asked
    }
    done = quiz.quiz_attempt_submit(actor=volunteer.user, attempt_id=attempt.pk, answers=tampered)
    assert done.score == 0 and not done.passed
    assert set(done.answers) == {str(q) for q in attempt.question_ids}
    assert not TrainingRecord.objects.filter(volunteer=volunteer).exists()


def test_partial_and_multiple_choice_scoring(county_manager, volunteer):
    c = f.online_course(county_manager, questions=0)
    c.questions_per_attempt = 2
    c.save()
    q1 = quiz.question_add(actor=county_manager, course=c, text="多选", options=["a", "b", "c"], answer=[2, 0], kind="multiple")
    quiz.question_add(actor=county_manager, course=c, text="单选", options=["a", "b"], answer=[1])
    attempt = quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk)
    done = quiz.quiz_attempt_submit(actor=volunteer.user, attempt_id=attempt.pk, answers={str(q1.pk): ["0", 2, 2]})
    assert done.score == 50 and not done.passed  # pass mark 60


def test_attempts_beyond_the_limit_are_refused(county_manager, volunteer):
    c = f.online_course(county_manager)  # two attempts
    for _ in range(2):
        a = quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk)
        quiz.quiz_attempt_submit(actor=volunteer.user, attempt_id=a.pk, answers=_wrong(a))
    with pytest.raises(Conflict) as e:
        quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk)
    assert e.value.code == "attempts_exhausted"
    assert QuizAttempt.objects.filter(volunteer=volunteer, course=c).count() == 2


def test_someone_elses_attempt_is_not_found(county_manager, volunteer, huiyang_volunteer):
    c = f.online_course(county_manager)
    a = quiz.quiz_attempt_start(actor=volunteer.user, course_id=c.pk)
    with pytest.raises(NotFound):
        quiz.quiz_attempt_submit(actor=huiyang_volunteer.user, attempt_id=a.pk, answers=_right(a))


def test_question_bank_rules(county_manager, other_county_manager):
    c = f.online_course(county_manager, questions=0)
    with pytest.raises(PermissionDenied):
        quiz.question_add(actor=other_county_manager, course=c, text="题", options=["a", "b"], answer=[0])
    with pytest.raises(DomainError):
        quiz.question_add(actor=county_manager, course=c, text="题", options=["a"], answer=[0])
    with pytest.raises(DomainError):
        quiz.question_add(actor=county_manager, course=c, text="题", options=["a", "b"], answer=[0, 1])  # single, two answers
    with pytest.raises(DomainError):
        quiz.question_add(actor=county_manager, course=f.course(county_manager), text="题", options=["a", "b"], answer=[0])

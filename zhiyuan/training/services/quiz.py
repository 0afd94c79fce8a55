"""Online courses: a question bank, questions drawn at random for each attempt and stored on the
server, a pass mark, a limited number of attempts. Answers are scored on the server from the
bank only: whatever else the client posts (a score, "correct" flags, questions it was not asked)
is ignored. Passing writes a training record and its certificate (SPEC TRN-1, TRN-2)."""

import random

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, can, pk_or_404
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.training.models import CourseStatus, Question, QuestionKind, QuizAttempt, RecordSource, TrainingCourse
from zhiyuan.training.services.common import clean_text, invalid
from zhiyuan.training.services.records import record_create
from zhiyuan.volunteers.minors import today_shanghai
from zhiyuan.volunteers.selectors import volunteer_for

_rng = random.SystemRandom()


@transaction.atomic
def question_add(
    *, actor, course: TrainingCourse, text: str, options: list, answer: list, kind: str = QuestionKind.SINGLE
) -> Question:
    if not can(actor, course, MANAGE):
        raise PermissionDenied()
    errors: dict = {}
    text = clean_text(errors, "text", text, limit=500)
    if not course.online:
        errors["course_id"] = [_("只有线上课程有题库。")]
    if kind not in QuestionKind.values:
        errors["kind"] = [_("请选择题型。")]
    if not isinstance(options, list) or not 2 <= len(options) <= 8:
        errors["options"] = [_("选项应为 2 到 8 个。")]
        options = []
    options = [str(o).strip()[:200] for o in options]
    if any(not o for o in options):
        errors["options"] = [_("选项不能为空。")]
    try:
        answer = sorted({int(a) for a in answer})
    except (TypeError, ValueError):
        answer = []
    if not answer or any(not 0 <= a < len(options) for a in answer) or (kind == QuestionKind.SINGLE and len(answer) != 1):
        errors["answer"] = [_("请正确设置答案。")]
    if errors:
        raise invalid(errors)
    question = Question.objects.create(course=course, text=text, kind=kind, options=options, answer=answer)
    audit_record(actor=actor, action="training.question.add", obj=course, detail={"question": question.pk})
    return question


def _online_course(course_id) -> TrainingCourse:
    course = TrainingCourse.objects.filter(pk=pk_or_404(course_id), online=True, status=CourseStatus.ACTIVE).first()
    if course is None:
        raise NotFound()
    return course


@transaction.atomic
def quiz_attempt_start(*, actor, course_id: int) -> QuizAttempt:
    """Start (or resume) an attempt: the questions are drawn now and kept with the attempt, so
    reloading the page cannot redraw easier ones. Refused once the attempts allowed are used or
    the course has been passed."""
    volunteer = volunteer_for(actor, for_update=True)  # one start per person at a time
    course = _online_course(course_id)
    attempts = list(QuizAttempt.objects.filter(volunteer=volunteer, course=course).order_by("attempt_no"))
    if any(a.passed for a in attempts):
        raise Conflict("already_passed", _("您已通过该课程测验。"))
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    if open_attempt is not None:
        return open_attempt
    if len(attempts) >= course.max_attempts:
        raise Conflict("attempts_exhausted", _("测验次数已用完（共%(n)s次）。") % {"n": course.max_attempts})
    bank = list(Question.objects.filter(course=course, active=True).values_list("pk", flat=True))
    if not bank:
        raise DomainError("no_questions", _("该课程暂未设置测验题目。"))
    drawn = _rng.sample(bank, min(course.questions_per_attempt, len(bank)))
    try:
        with transaction.atomic():
            attempt = QuizAttempt.objects.create(
                course=course, volunteer=volunteer, attempt_no=len(attempts) + 1, question_ids=drawn
            )
    except IntegrityError:
        raise Conflict("attempt_started", _("测验已在其他页面开始，请刷新。")) from None
    audit_record(actor=actor, action="training.quiz.start", obj=course, detail={"attempt": attempt.attempt_no})
    return attempt


def quiz_questions(attempt: QuizAttempt) -> list[Question]:
    """The attempt's questions in the order drawn (text and options only are shown)."""
    by_id = Question.objects.in_bulk(attempt.question_ids)
    return [by_id[i] for i in attempt.question_ids if i in by_id]


def _chosen(value) -> list[int]:
    if isinstance(value, int | str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    out = set()
    for v in value[:8]:
        try:
            out.add(int(v))
        except (TypeError, ValueError):
            continue
    return sorted(out)


@transaction.atomic
def quiz_attempt_submit(*, actor, attempt_id: int, answers: dict) -> QuizAttempt:
    """Score an attempt from the bank: one point per question whose chosen options equal the
    answer exactly; the score is the percentage, rounded down. ``answers`` maps question ids to
    chosen option indexes; keys for questions not drawn for this attempt are ignored. A passed
    attempt writes the record and certificate in the same transaction."""
    volunteer = volunteer_for(actor)
    attempt = (
        QuizAttempt.objects.select_for_update()
        .select_related("course")
        .filter(pk=pk_or_404(attempt_id), volunteer=volunteer)
        .first()
    )
    if attempt is None:
        raise NotFound()
    if attempt.submitted_at is not None:
        raise Conflict("already_submitted", _("本次测验已提交。"))
    answers = answers if isinstance(answers, dict) else {}
    given = {str(k): _chosen(v) for k, v in answers.items()}
    questions = quiz_questions(attempt)
    kept = {str(q.pk): given.get(str(q.pk), []) for q in questions}
    correct = sum(1 for q in questions if kept[str(q.pk)] == sorted(q.answer))
    score = (100 * correct) // len(questions) if questions else 0
    course = attempt.course
    attempt.answers = kept
    attempt.score = score
    attempt.passed = score >= course.pass_mark
    attempt.submitted_at = timezone.now()
    attempt.save(update_fields=["answers", "score", "passed", "submitted_at"])
    if attempt.passed:
        record_create(
            actor=actor,
            volunteer=volunteer,
            course=course,
            source=RecordSource.ONLINE,
            completed_on=today_shanghai(),
            score=score,
            organization=course.organization,
            issuer=course.organization.name if course.organization_id else "",
        )
    audit_record(actor=actor, action="training.quiz.submit", obj=course, detail={"attempt": attempt.attempt_no, "score": score})
    return attempt

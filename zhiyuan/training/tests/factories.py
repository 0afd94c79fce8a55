"""Training test data, built through the real services (STYLE.md)."""

import datetime as dt
import io
import itertools

from django.utils import timezone

from zhiyuan.testing import HUICHENG
from zhiyuan.training.models import QualificationType
from zhiyuan.training.services import courses, quiz

_n = itertools.count(1)

PDF = b"%PDF-1.4\n% test evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def course(actor, **values):
    data = {
        "name": f"岗前通识培训{next(_n)}",
        "category": "emergency",
        "hours": "4",
        "region_code": HUICHENG,
        "validity_months": 24,
    }
    data.update(values)
    return courses.course_create(actor=actor, **data)


def online_course(actor, *, questions=6, **values):
    c = course(actor, online=True, pass_mark=60, questions_per_attempt=5, max_attempts=2, **values)
    for i in range(questions):
        quiz.question_add(actor=actor, course=c, text=f"第{i + 1}题", options=["甲", "乙", "丙", "丁"], answer=[i % 4])
    return c


def session(actor, course, *, capacity=10, starts_in=dt.timedelta(days=3), **values):
    start = timezone.now() + starts_in
    return courses.session_create(
        actor=actor,
        course=course,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        capacity=capacity,
        place="惠城区文明实践中心",
        **values,
    )


def qualification_type(code="first_aid") -> QualificationType:
    return QualificationType.objects.get(code=code)


def evidence(data: bytes = PDF, name: str = "证书.pdf"):
    f = io.BytesIO(data)
    f.name = name
    return f

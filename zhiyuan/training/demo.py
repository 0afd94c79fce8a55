"""Demo training data in 惠城区 (called by ``zhiyuan.demo.data.seed``): an online general course
with a quiz, a 红十字救护员 course that earns the 急救员 qualification, a water-rescue course, a
certified trainer and base, an upcoming session open for enrollment and a finished one with
attendance, imported records for about 30 % of the volunteers (some certificates expired, some
about to expire) and a qualification waiting for review. Through the real services (audited);
idempotent: a course that exists (same name) means the set is there."""

import datetime as dt
import io
import random

from django.utils import timezone

from zhiyuan.training.models import QualificationType, RecordSource, TrainingCourse, TrainingSession
from zhiyuan.training.services import courses, qualifications, quiz, records

HUICHENG = "441302000000"
GENERAL = "志愿服务通识（线上）"

QUESTIONS = [
    ("志愿服务应当遵循的原则不包括哪一项？", ["自愿", "无偿", "平等", "营利"], [3]),
    ("《志愿服务条例》规定，志愿者年满多少周岁可以独立参加志愿服务？", ["14", "16", "18", "20"], [2]),
    ("发现有人溺水，不会游泳的志愿者首先应当：", ["立即下水", "大声呼救并报警", "离开现场", "拍照"], [1]),
    ("成人心肺复苏胸外按压的频率是每分钟：", ["60–80次", "80–100次", "100–120次", "140次以上"], [2]),
    ("志愿服务记录应当包括哪些内容？（多选）", ["服务时间", "服务内容", "服务评价", "个人存款"], [0, 1, 2]),
    ("志愿者在服务中知悉的个人信息应当：", ["公开分享", "依法保护", "出售", "发到群里"], [1]),
    ("需要专门技能的志愿服务，志愿者应当：", ["直接上岗", "先经培训", "自行决定", "不必参加"], [1]),
    (
        "志愿服务组织安排志愿者参与可能危害人身安全的活动前应当：",
        ["购买相应的人身意外保险", "收取押金", "签订免责书", "无需准备"],
        [0],
    ),
]


def qualification_types_ensure() -> None:
    """The registry seeded by migration 0002, again where a flush emptied it (the browser tests'
    live server flushes between tests): the same list, created where missing."""
    from importlib import import_module

    for code, name, months, description in import_module("zhiyuan.training.migrations.0002_qualification_types").TYPES:
        QualificationType.objects.get_or_create(
            code=code, defaults={"name": name, "validity_months": months, "description": description}
        )


def seed(*, manager_user, volunteers: list, applicant_volunteer=None) -> list:
    qualification_types_ensure()
    if TrainingCourse.objects.filter(name=GENERAL).exists():
        return list(TrainingCourse.objects.filter(region_code=HUICHENG))
    first_aid = QualificationType.objects.get(code="first_aid")
    water = QualificationType.objects.get(code="water_rescue")
    general = courses.course_create(
        actor=manager_user,
        name=GENERAL,
        category="community",
        hours="2",
        syllabus="一、志愿服务的概念与原则\n二、《志愿服务条例》要点\n三、志愿者的权利与义务\n四、安全与个人信息保护",
        materials="《志愿服务条例》全文；惠州市志愿服务工作指引",
        validity_months=36,
        online=True,
        pass_mark=60,
        questions_per_attempt=5,
        max_attempts=3,
        region_code=HUICHENG,
    )
    for text, options, answer in QUESTIONS:
        quiz.question_add(
            actor=manager_user,
            course=general,
            text=text,
            options=options,
            answer=answer,
            kind="multiple" if len(answer) > 1 else "single",
        )
    aid = courses.course_create(
        actor=manager_user,
        name="红十字救护员培训",
        category="health",
        hours="16",
        syllabus="心肺复苏、AED使用、创伤救护、常见急症处置",
        qualification_type=first_aid,
        region_code=HUICHENG,
        level="intermediate",
    )
    swim = courses.course_create(
        actor=manager_user,
        name="防溺水与水上救援",
        category="emergency",
        hours="8",
        qualification_type=water,
        region_code=HUICHENG,
    )
    today = timezone.localdate()
    trainer = courses.trainer_create(
        actor=manager_user,
        name="周红梅",
        certification_no="HZPXS-2024-018",
        certified_on=today - dt.timedelta(days=400),
        expires_on=today + dt.timedelta(days=700),
        specialty="应急救护",
        region_code=HUICHENG,
    )
    base = courses.training_base_create(
        actor=manager_user,
        name="惠城区志愿服务培训基地",
        address="惠州市惠城区江北文明一路8号",
        certification_no="HZJD-2023-003",
        certified_on=today - dt.timedelta(days=600),
        expires_on=today + dt.timedelta(days=500),
        region_code=HUICHENG,
    )
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=7)
    courses.session_create(
        actor=manager_user,
        course=aid,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=8),
        capacity=40,
        trainer=trainer,
        base=base,
    )
    rng = random.Random(9)
    trained = [v for v in volunteers if rng.random() < 0.3]
    # a finished session: created in the future (the service refuses the past), then moved back
    past = courses.session_create(
        actor=manager_user,
        course=swim,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
        capacity=30,
        trainer=trainer,
        base=base,
    )
    attendees = trained[:12]
    for v in attendees:
        courses.session_enroll(actor=v.user, session_id=past.pk)
    TrainingSession.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=20, hours=4),
        ends_at=timezone.now() - dt.timedelta(days=20),
        status="completed",
    )
    past.refresh_from_db()
    for e in past.enrollments.all():
        courses.session_attendance_mark(
            actor=manager_user, session=past, enrollment_id=e.pk, present=rng.random() < 0.9, score=rng.randint(70, 100)
        )
    for v in trained:
        # imported offline records: some long ago (expired certificates), some expiring soon
        completed = today - dt.timedelta(days=rng.choice([40, 200, 700, 1060, 1200]))
        records.record_create(
            actor=manager_user,
            volunteer=v,
            course=general,
            source=RecordSource.IMPORT,
            completed_on=completed,
            issuer="惠城区文明办",
        )
        if rng.random() < 0.3:
            records.record_create(
                actor=manager_user,
                volunteer=v,
                course=aid,
                source=RecordSource.IMPORT,
                completed_on=today - dt.timedelta(days=rng.choice([100, 1080])),
                issuer="惠州市红十字会",
            )
    if applicant_volunteer is not None:
        evidence = io.BytesIO(b"%PDF-1.4\n% demo evidence\n%%EOF\n")
        evidence.name = "救护员证.pdf"
        qualifications.qualification_submit(
            actor=applicant_volunteer.user,
            qualification_type=first_aid,
            certificate_no="HSH-2025-1024",
            issuer="惠州市红十字会",
            issued_on=today - dt.timedelta(days=90),
            evidence=evidence,
        )
    return [general, aid, swim]

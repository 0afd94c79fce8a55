"""Demo projects and activities (ACT-1, ACT-2), called by ``zhiyuan.demo.data.seed`` after the
organizations and training: for the organization the demo org admin runs (桥东街道长者关爱志愿服务中心,
惠城区), projects in every state of the library — draft, waiting for review, rejected with a note,
approved, running (a demonstration project), closed and evaluated (a brand project) — reviewed by
the city's manager; and activities in the demo city: two that took place (signed up for,
attended and finished by ``demo/attendance.py``; one recruited by review), one
running now, upcoming single events (one with a dangerous position that admits no minors, one
needing a training course), a weekly series that began two weeks ago, a weekly after-school
series with a place for older minors, a draft and a cancelled one.

Everything goes through the real services (validated, audited, kept counts). Idempotent: a
project or an activity of the organization with the same name is left alone."""

import datetime as dt

from django.utils import timezone

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.activities import projects, services
from zhiyuan.activities.models import Activity, Project
from zhiyuan.activities.schedule import Recurrence
from zhiyuan.organizations.models import Organization

P = services.PositionInput
NOTICE = {
    "conditions": "年满18周岁，身体健康，有耐心和责任心。",
    "signup_method": "在本平台“活动广场”在线报名，录用结果以平台通知为准。",
    "risks": "户外活动注意防暑防晒；上门服务注意交通安全。",
    "safeguards": "为参与志愿者购买团体意外伤害保险，提供饮用水、防暑药品和志愿者马甲。",
    "contact_name": "王联络",
    "contact_phone": "0752-2288000",
    "geofence_m": 300,
}
# places in 惠城区 (latitude, longitude)
JIANGBEI = ("惠州市惠城区江北街道文明一路市民乐园", "23.112300", "114.413500")
QIAODONG = ("惠州市惠城区桥东街道东新街社区服务中心", "23.083900", "114.424100")
XIZHIJIANG = ("惠州市惠城区西枝江东岸绿道（东江大桥段）", "23.078600", "114.430800")

PROJECTS = [
    # name, category, final state, extra
    ("银龄相伴·关爱空巢老人", "empty_nest_elderly", "running", {"is_demonstration": True}),
    ("护河行动·节水护河志愿服务", "water", "evaluated", {"is_brand": True}),
    ("四点半课堂·困境儿童陪伴", "children_in_difficulty", "submitted", {}),
    ("长者智能手机课堂", "smart_elderly", "draft", {}),
    ("文明交通劝导岗", "civilized_traffic", "rejected", {}),
    ("社区应急救护普及", "emergency", "approved", {}),
    ("社区助餐送餐", "empty_nest_elderly", "closed", {}),
]


def _day(days: int, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(hour, minute)))


def _organization(org_admin_user) -> Organization | None:
    ids = RoleAssignment.objects.filter(user=org_admin_user, role=Role.ORG_ADMIN, active=True).values_list("object_id", flat=True)
    return Organization.objects.filter(pk__in=list(ids), status="active", parent__isnull=True).order_by("id").first()


def _project(org, admin, reviewer, name, category, state, extra) -> Project:
    found = Project.objects.filter(organization=org, name=name).first()
    if found is not None:
        return found
    today = timezone.localdate()
    p = projects.project_create(
        actor=admin,
        organization_id=org.pk,
        values=projects.ProjectInput(
            name=name, category=category, target_group="桥东街道辖区居民",
            summary=f"{name}：由桥东街道长者关爱志愿服务中心组织实施，依托社区新时代文明实践站开展常态化服务。",
            goals="全年开展服务不少于48次，服务对象满意度不低于95%。", budget="30000",
            starts_on=today - dt.timedelta(days=120), ends_on=today + dt.timedelta(days=245),
        ),
    )  # fmt: skip
    if state == "draft":
        return p
    p = projects.project_submit(actor=admin, project=p)
    if state == "submitted":
        return p
    if state == "rejected":
        return projects.project_review(
            actor=reviewer, project=p, decision="reject", note="请补充劝导岗位的交警部门配合意见后再申报。"
        )
    p = projects.project_review(actor=reviewer, project=p, decision="approve", note="同意立项。", **extra)
    if state == "approved":
        return p
    p = projects.project_start(actor=admin, project=p)
    if state == "running":
        return p
    p = projects.project_close(actor=admin, project=p, note="项目按期完成，资料已归档。")
    if state == "closed":
        return p
    return projects.project_evaluate(actor=reviewer, project=p, outcome="巡河52次，清理垃圾1.2吨，沿岸居民满意度97%。", score=92)


def _activity(org, admin, *, title, place, publish_now=None, status="published", **values) -> Activity:
    found = Activity.objects.filter(organization=org, title=title).first()
    if found is not None:
        return found
    address, lat, lon = place
    data = {**NOTICE, "address": address, "latitude": lat, "longitude": lon, **values}
    a = services.activity_create(actor=admin, organization_id=org.pk, values=services.ActivityInput(title=title, **data))
    if status == "draft":
        return a
    a = services.activity_publish(actor=admin, activity=a, now=publish_now)
    if status == "finished":
        return services.activity_finish(actor=admin, activity=a)
    if status == "cancelled":
        return services.activity_cancel(actor=admin, activity=a, reason="气象台发布台风橙色预警，活动取消，感谢大家的支持。")
    return a


def seed(*, org_admin_user, reviewer_user) -> list:
    """Projects and activities of the demo org admin's organization; returns what it made or found."""
    from zhiyuan.training.models import TrainingCourse

    org = _organization(org_admin_user)
    if org is None:
        return []
    made: list = [_project(org, org_admin_user, reviewer_user, *row) for row in PROJECTS]
    elderly, first_aid = made[0], made[5]  # running, approved: activities may belong to them
    today = timezone.localdate()
    course = TrainingCourse.objects.filter(status="active").order_by("id").first()
    guide = P(name="引导员", slots=6, duties="现场秩序引导、签到协助。")
    made += [
        _activity(
            org, org_admin_user, title="重阳节敬老探访", place=QIAODONG, category="empty_nest_elderly", project_id=elderly.pk,
            content="走访辖区空巢、独居老人，送上节日慰问，陪伴聊天并检查居家安全隐患。",
            shifts=[(_day(-10, 9), _day(-10, 11, 30))], publish_now=_day(-14, 9),
            positions=[P(name="探访志愿者", slots=10, duties="两人一组上门探访。"), guide],
        ),  # took place: demo/attendance.py signs people up, checks them in and out, then finishes it
        _activity(
            org, org_admin_user, title="社区长者探访·冬季送暖", place=QIAODONG, category="empty_nest_elderly",
            project_id=elderly.pk, enrollment_mode="review",
            content="为辖区独居长者送去冬季御寒物资，陪伴聊天，协助整理居家环境。",
            shifts=[(_day(-17, 14), _day(-17, 17, 30))], publish_now=_day(-24, 9),
            positions=[P(name="探访志愿者", slots=8, duties="两人一组上门探访。")],
        ),
        _activity(
            org, org_admin_user, title="西枝江护河巡查（今日）", place=XIZHIJIANG, category="water",
            content="沿西枝江绿道巡查河岸垃圾和违规排放，劝导文明垂钓。",
            shifts=[(timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1),
                     timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=2))],
            publish_now=timezone.now() - dt.timedelta(days=3),
            positions=[P(name="巡河员", slots=8, min_age=18), P(name="记录员", slots=2, skills=["photography"])],
        ),
        _activity(
            org, org_admin_user, title="社区义诊与健康讲座", place=QIAODONG, category="health", project_id=elderly.pk,
            content="联合社区卫生服务中心开展血压血糖测量、用药咨询和健康讲座。",
            shifts=[(_day(5, 8, 30), _day(5, 11, 30))],
            positions=[
                P(name="医疗志愿者", slots=4, skills=["medical"], min_age=18, insurance_required=True),
                P(name="导诊员", slots=6, duties="引导居民排队、登记。"),
            ],
        ),
        _activity(
            org, org_admin_user, title="防汛应急抢险演练", place=XIZHIJIANG, category="emergency", project_id=first_aid.pk,
            content="配合街道开展防汛应急演练：沙袋搬运、人员转移引导。",
            risks="演练涉及涉水和重物搬运，存在落水、扭伤等风险；严禁未成年人参加抢险岗位。",
            shifts=[(_day(9, 14), _day(9, 17))],
            positions=[
                P(name="抢险队员", slots=12, min_age=18, max_age=55, dangerous=True, insurance_required=True,
                  required_course_ids=[course.pk] if course else []),
                P(name="后勤保障", slots=4),
            ],
        ),
        _activity(
            org, org_admin_user, title="周末护河行动", place=XIZHIJIANG, category="water",
            content="每周六上午沿江捡拾垃圾，宣传节水护河。",
            recurrence=Recurrence(weekdays=[5], start="08:00", end="10:30", first=today - dt.timedelta(days=14),
                                  until=today + dt.timedelta(days=42)),
            publish_now=timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=15), dt.time(9))),
            positions=[P(name="护河志愿者", slots=15)],
        ),
        _activity(
            org, org_admin_user, title="四点半课堂·周三周五陪读", place=QIAODONG, category="education_support",
            content="为辖区困境儿童提供课后作业辅导和阅读陪伴。",
            conditions="辅导员须年满18周岁；助教可由14周岁以上、经监护人同意的青少年志愿者担任。",
            recurrence=Recurrence(weekdays=[2, 4], start="16:30", end="18:00", first=today + dt.timedelta(days=1),
                                  until=today + dt.timedelta(days=56), exceptions=[today + dt.timedelta(days=29)]),
            positions=[
                P(name="作业辅导员", slots=4, skills=["teaching"], min_age=18),
                P(name="阅读助教", slots=2, minors_allowed=True, min_age=14),
            ],
        ),
        _activity(
            org, org_admin_user, title="元旦游园活动秩序引导", place=JIANGBEI, category="events", status="draft",
            content="元旦游园会现场秩序维护和游客引导。", shifts=[(_day(28, 9), _day(28, 17))], positions=[guide],
        ),
        _activity(
            org, org_admin_user, title="海滩清洁日", place=JIANGBEI, category="environment", status="cancelled",
            content="组织志愿者清理海滩垃圾。", shifts=[(_day(3, 8), _day(3, 11))], positions=[P(name="清洁志愿者", slots=20)],
        ),
    ]  # fmt: skip
    return made

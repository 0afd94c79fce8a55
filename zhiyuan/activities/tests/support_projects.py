"""Helpers of the projects and organizer tests (no fixtures here, so no other area's conftest
is needed): organizations with their admins, and a project or activity built through the real
services."""

import datetime as dt

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.activities import projects, services
from zhiyuan.activities.tests.factories import LAT, LON, at
from zhiyuan.organizations.tests.factories import HUIYANG_TOWN, active_org  # noqa: F401


def admin_of(org):
    """The applicant of ``org``: its admin (RoleAssignment org_admin)."""
    return RoleAssignment.objects.get(role=Role.ORG_ADMIN, object_id=org.pk, active=True).user


def project_values(**values) -> projects.ProjectInput:
    data = {
        "name": "关爱空巢老人“银龄相伴”",
        "category": "empty_nest_elderly",
        "target_group": "辖区80岁以上独居老人",
        "summary": "每周上门陪伴、代购、健康监测。",
        "goals": "覆盖辖区独居老人200人，每人每月至少2次探访。",
        "budget": "50000",
        "starts_on": dt.date(2027, 1, 1),
        "ends_on": dt.date(2027, 12, 31),
    }
    data.update(values)
    return projects.ProjectInput(**data)


def draft_project(admin, org, **values):
    return projects.project_create(actor=admin, organization_id=org.pk, values=project_values(**values))


def approved_project(admin, org, reviewer, **values):
    p = projects.project_submit(actor=admin, project=draft_project(admin, org, **values))
    return projects.project_review(actor=reviewer, project=p, decision="approve", note="同意立项")


NOTICE = {
    "title": "江北街道周末环境清洁",
    "category": "environment",
    "content": "清理公园垃圾，劝导文明游园。",
    "conditions": "年满18周岁，身体健康。",
    "signup_method": "在本平台在线报名。",
    "risks": "户外高温，注意防暑。",
    "safeguards": "提供饮用水、手套和意外伤害保险。",
    "contact_name": "王队长",
    "contact_phone": "13800001234",
    "address": "惠州市惠城区江北街道文明路1号",
    "latitude": LAT,
    "longitude": LON,
}


def activity_values(**values) -> services.ActivityInput:
    data = dict(NOTICE)
    if "recurrence" not in values:
        data["shifts"] = [(at(3, 9), at(3, 12))]
    data["positions"] = [services.PositionInput(name="清洁员", slots=5), services.PositionInput(name="引导员", slots=2)]
    data.update(values)
    return services.ActivityInput(**data)


def draft_activity(admin, org, **values):
    return services.activity_create(actor=admin, organization_id=org.pk, values=activity_values(**values))

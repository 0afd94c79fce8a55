"""Demo insurance policies (called by ``zhiyuan.demo.data.seed`` after the organizations): for
the organization the demo org admin runs, a listed accident policy with some of its members on
the insurer's list (imported through the real import service) and a blanket members policy
ending within the alert window; a platform liability policy for 惠州市. Idempotent: a policy
that exists (same insurer and number) is left alone."""

import datetime as dt
import io

from django.utils import timezone
from openpyxl import Workbook

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.insurance import services
from zhiyuan.insurance.models import InsurancePolicy
from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.volunteers.documents import document_unseal

INSURER = "中国人民财产保险股份有限公司惠州市分公司"
CITY = "441300000000"


def _list_file(volunteers) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "被保险人"
    ws.append(["姓名", "证件号码"])
    for v in volunteers:
        ws.append([v.name, document_unseal(v.id_number_sealed)])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name, buf.size = "demo-insured.xlsx", len(buf.getvalue())
    return buf


def _ensure(actor, **data) -> tuple[InsurancePolicy, bool]:
    found = InsurancePolicy.objects.filter(insurer=data["insurer"], policy_no=data["policy_no"]).first()
    if found:
        return found, False
    return services.policy_create(actor=actor, data=data), True


def seed(*, org_admin_user, region_manager_user) -> list[InsurancePolicy]:
    today = timezone.localdate()
    roles = RoleAssignment.objects.filter(user=org_admin_user, role=Role.ORG_ADMIN, active=True)
    org_ids = roles.values_list("object_id", flat=True)
    org = Organization.objects.filter(pk__in=list(org_ids), status="active").order_by("id").first()
    policies = []
    if org is not None:
        listed, created = _ensure(
            org_admin_user,
            holder_id=org.pk,
            insurer=INSURER,
            policy_no=f"PEAC{today.year}4413{org.pk:06d}",
            kind="accident",
            cover="listed",
            starts_on=today - dt.timedelta(days=180),
            ends_on=today + dt.timedelta(days=185),
            sum_insured="500000",
            note="志愿者团体意外伤害保险（名单制）",
        )
        if created:
            members = [
                m.volunteer
                for m in Membership.objects.filter(organization=org, status="active")
                .exclude(volunteer__user=org_admin_user)
                .select_related("volunteer")
                .order_by("id")[:5]
            ]
            if members:
                services.insured_import(actor=org_admin_user, policy=listed, upload=_list_file(members))
        blanket, _c = _ensure(
            org_admin_user,
            holder_id=org.pk,
            insurer="中国平安财产保险股份有限公司惠州中心支公司",
            policy_no=f"PAHZ{today.year}{org.pk:06d}",
            kind="accident",
            cover="members",
            starts_on=today - dt.timedelta(days=345),
            ends_on=today + dt.timedelta(days=20),
            sum_insured="300000",
            note="组织成员统保，即将到期",
        )
        policies += [listed, blanket]
    platform, _c = _ensure(
        region_manager_user,
        holder_id=None,
        region_code=CITY,
        insurer=INSURER,
        policy_no=f"PZHZ{today.year}4413000001",
        kind="liability",
        cover="members",
        starts_on=dt.date(today.year, 1, 1),
        ends_on=dt.date(today.year, 12, 31),
        sum_insured="1000000",
        note="惠州市志愿服务责任保险（平台统保）",
    )
    policies.append(platform)
    return policies

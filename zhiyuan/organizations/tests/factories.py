"""Test data for the organizations app, built through the real services (STYLE.md)."""

import itertools

from stdnum.cn import uscc as stdnum_uscc

from zhiyuan.organizations import services
from zhiyuan.organizations.services import OrganizationInput
from zhiyuan.testing import make_user

HUICHENG_TOWN = "441302001000"  # 桥东街道, 惠城区
HUIYANG_TOWN = "441303001000"  # 淡水街道, 惠阳区

_n = itertools.count(1)
_mobiles = itertools.count(13600000100)


def next_mobile() -> str:
    return str(next(_mobiles))


def make_uscc(serial: int, *, region6: str = "441302", prefix: str = "52") -> str:
    """A checksum-valid USCC: 52 = 民政 registered 民办非企业单位 (社会服务机构)."""
    body = f"{prefix}{region6}{serial:09d}"
    return body + stdnum_uscc.calc_check_digit(body)


def org_data(**values) -> dict:
    n = next(_n)
    data = {
        "name": f"测试志愿服务中心{n}",
        "kind": "service",
        "intro": "为社区长者提供陪伴服务。",
        "region_code": HUICHENG_TOWN,
        "address": "测试路1号",
        "contact_name": "李联系",
        "contact_phone": "13912340000",
        "uscc": make_uscc(n + 5000),
    }
    data.update(values)
    return data


def team_data(**values) -> dict:
    data = org_data(
        name=f"测试志愿服务队{next(_n)}",
        kind="team",
        uscc="",
        sponsor_type="community",
        sponsor_name="东湖社区居委会",
        team_category="practice",
    )
    data.update(values)
    return data


def applicant(name="申请人"):
    return make_user(next_mobile(), name)


def apply(actor=None, **values):
    return services.organization_apply(actor=actor or applicant(), application=OrganizationInput(**org_data(**values)))


def active_org(reviewer, actor=None, **values):
    """An approved organization (its applicant is its admin)."""
    org = apply(actor, **values)
    return services.organization_review(actor=reviewer, org=org, decision="approve")


def active_team(reviewer, actor=None, **values):
    org = services.organization_apply(actor=actor or applicant(), application=OrganizationInput(**team_data(**values)))
    return services.organization_review(actor=reviewer, org=org, decision="approve")


def member(org, volunteer, *, admin, role="member"):
    """``volunteer`` applies and ``admin`` approves."""
    m = services.membership_apply(actor=volunteer.user, org=org)
    return services.membership_approve(actor=admin, membership=m, role=role)

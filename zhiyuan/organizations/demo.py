"""Demo organizations in 惠州 (called by ``zhiyuan.demo.data.seed``): one active organization of
each kind — 惠州市志愿服务联合会 (federation), a hub, a support and a service organization — teams
under a 机关, a school and a community (one of them a sub-team of the service organization), one
pending application for the review queue, and ~30 of the given volunteers as members.

Everything goes through the real services (audited, validated): applications are filed by a
volunteer (who becomes the organization's admin on approval) and approved by
``region_manager_user``; ``org_admin_user`` applies for the service organization and so becomes its
admin. USCCs are generated with a valid check character (``stdnum.cn.uscc``).

Idempotent: an organization that exists (same USCC, or same region and name for teams, not
rejected) is left alone, and a volunteer with an open membership is not asked again.
"""

from django.db import transaction
from stdnum.cn import uscc as stdnum_uscc

from zhiyuan.accounts.scopes import actor_role_cache_clear
from zhiyuan.organizations import services
from zhiyuan.organizations.models import Kind, Membership, Organization, Status
from zhiyuan.organizations.services import OrganizationInput

CITY = "441300000000"  # 惠州市
HUICHENG = "441302000000"  # 惠城区
HUIYANG = "441303000000"  # 惠阳区
QIAODONG = "441302001000"  # 惠城区桥东街道
DANSHUI = "441303001000"  # 惠阳区淡水街道


def demo_uscc(prefix: str, region6: str, serial: int) -> str:
    """``prefix`` 51 = 民政登记社会团体, 52 = 民办非企业单位 (社会服务机构); the 9-character organization
    code is ``MJ`` + 7 digits; the 18th character is computed."""
    body = f"{prefix}{region6}MJ{serial:07d}"
    return body + stdnum_uscc.calc_check_digit(body)


CONTACT = {"contact_name": "王联络", "contact_phone": "0752-2288000"}

# key, applicant ("org_admin" or a volunteer index), parent key, values
ORGANIZATIONS = [
    (
        "federation",
        0,
        None,
        {
            "name": "惠州市志愿服务联合会",
            "kind": Kind.FEDERATION,
            "region_code": CITY,
            "address": "惠州市惠城区江北市民乐园西路",
            "uscc": demo_uscc("51", "441300", 1),
            "intro": "全市志愿服务组织的联合性、枢纽性社会团体，统筹协调全市志愿服务工作。",
            "categories": ["community", "events", "emergency"],
        },
    ),
    (
        "hub",
        1,
        None,
        {
            "name": "惠城区志愿服务组织孵化中心",
            "kind": Kind.HUB,
            "region_code": HUICHENG,
            "address": "惠州市惠城区江北文明一路",
            "uscc": demo_uscc("52", "441302", 2),
            "intro": "为区内志愿服务组织提供登记指导、孵化培育和资源对接。",
            "categories": ["community", "education_support"],
        },
    ),
    (
        "support",
        2,
        None,
        {
            "name": "惠州市志愿服务发展研究与培训中心",
            "kind": Kind.SUPPORT,
            "region_code": HUICHENG,
            "address": "惠州市惠城区演达一路",
            "uscc": demo_uscc("52", "441302", 3),
            "intro": "开展志愿者培训、项目设计辅导和志愿服务研究。",
            "categories": ["education_support", "science"],
        },
    ),
    (
        "service",
        "org_admin",
        None,
        {
            "name": "桥东街道长者关爱志愿服务中心",
            "kind": Kind.SERVICE,
            "region_code": QIAODONG,
            "address": "惠州市惠城区桥东街道东新街",
            "uscc": demo_uscc("52", "441302", 4),
            "intro": "为辖区独居、空巢长者提供探访陪伴、助餐助洁和健康讲座。",
            "categories": ["empty_nest_elderly", "smart_elderly", "health"],
        },
    ),
    (
        "party_team",
        3,
        None,
        {
            "name": "惠城区机关党员志愿服务队",
            "kind": Kind.TEAM,
            "region_code": HUICHENG,
            "address": "惠州市惠城区政府大院",
            "sponsor_type": "organ",
            "sponsor_name": "中共惠州市惠城区委直属机关工作委员会",
            "team_category": "party",
            "intro": "区直机关党员干部下沉社区开展志愿服务。",
            "categories": ["party_member", "community"],
        },
    ),
    (
        "school_team",
        4,
        None,
        {
            "name": "淡水中学青年志愿者服务队",
            "kind": Kind.TEAM,
            "region_code": DANSHUI,
            "address": "惠州市惠阳区淡水街道",
            "sponsor_type": "school",
            "sponsor_name": "惠阳区淡水中学",
            "team_category": "other",
            "intro": "在校学生参与交通文明劝导、图书馆服务和环保宣传。",
            "categories": ["civilized_traffic", "environment", "education_support"],
        },
    ),
    (
        "practice_team",
        5,
        None,
        {
            "name": "桥东街道新时代文明实践理论宣讲志愿服务队",
            "kind": Kind.TEAM,
            "region_code": QIAODONG,
            "address": "惠州市惠城区桥东街道新时代文明实践所",
            "sponsor_type": "community",
            "sponsor_name": "桥东街道东湖社区居民委员会",
            "team_category": "practice",
            "intro": "“8+N”志愿服务队之一，开展政策宣讲和移风易俗宣传。",
            "categories": ["party_member", "culture_arts"],
        },
    ),
    (
        "sub_team",
        "org_admin",
        "service",
        {
            "name": "桥东街道长者关爱志愿服务中心助餐分队",
            "kind": Kind.TEAM,
            "region_code": QIAODONG,
            "address": "惠州市惠城区桥东街道长者饭堂",
            "sponsor_type": "community",
            "sponsor_name": "桥东街道东湖社区居民委员会",
            "team_category": "other",
            "intro": "长者饭堂助餐、送餐上门。",
            "categories": ["empty_nest_elderly"],
        },
    ),
]

PENDING = (
    6,
    {
        "name": "惠城区电力行业志愿服务队",
        "kind": Kind.TEAM,
        "region_code": HUICHENG,
        "address": "惠州市惠城区麦地路",
        "sponsor_type": "enterprise",
        "sponsor_name": "惠州供电局惠城分局",
        "team_category": "industry",
        "intro": "电力行业职工开展用电安全进社区服务。",
        "categories": ["fire_safety", "community"],
    },
)

# How many of the given volunteers join each organization (after the applicants, in list order).
MEMBERS = {
    "service": 10,
    "federation": 4,
    "hub": 3,
    "support": 3,
    "party_team": 4,
    "school_team": 4,
    "practice_team": 3,
    "sub_team": 2,
}


def _existing(values: dict) -> Organization | None:
    qs = Organization.objects.exclude(status=Status.REJECTED)
    if values.get("uscc"):
        return qs.filter(uscc=values["uscc"]).first()
    return qs.filter(region_code=values["region_code"], name=values["name"]).first()


def _ensure(*, applicant, reviewer, values: dict, parent: Organization | None, approve: bool) -> Organization:
    org = _existing(values)
    if org is None:
        data = {**CONTACT, **values, "parent_id": parent.pk if parent else None}
        actor_role_cache_clear(applicant)
        org = services.organization_apply(actor=applicant, application=OrganizationInput(**data))
    elif values.get("categories") and not services.category_codes(org):
        # seeded before organizations had service categories: fill them in, as a manager would
        org = services.organization_update(actor=reviewer, org=org, change=OrganizationInput(categories=values["categories"]))
    if approve and org.status == Status.PENDING:
        org = services.organization_review(actor=reviewer, org=org, decision="approve", reason="材料齐全，同意成立。")
    return org


def _join(*, org: Organization, volunteer, reviewer, role: str = Membership.Role.MEMBER, approve: bool = True) -> None:
    if Membership.objects.filter(organization=org, volunteer=volunteer, status__in=Membership.OPEN).exists():
        return
    m = services.membership_apply(actor=volunteer.user, org=org)
    if approve:
        services.membership_approve(actor=reviewer, membership=m, role=role)


def seed(*, org_admin_user, region_manager_user, volunteers: list) -> list[Organization]:
    """Create (or find) the demo organizations; returns them, the pending application last."""
    volunteers = [v for v in volunteers if v.user_id != org_admin_user.pk]
    applicants = volunteers[:7]
    pool = volunteers[7:]
    orgs: dict[str, Organization] = {}
    with transaction.atomic():
        for key, who, parent_key, values in ORGANIZATIONS:
            applicant = applicants[who].user if who != "org_admin" and who < len(applicants) else org_admin_user
            orgs[key] = _ensure(
                applicant=applicant,
                reviewer=region_manager_user,
                values=values,
                parent=orgs.get(parent_key) if parent_key else None,
                approve=True,
            )
        who, values = PENDING
        applicant = applicants[who].user if who < len(applicants) else org_admin_user
        pending = _ensure(applicant=applicant, reviewer=region_manager_user, values=values, parent=None, approve=False)

        # ~30 members across the organizations; two backbones in the service organization, and two
        # applications left for its admin to decide. The last given volunteer (the demo volunteer
        # login) joins the practice team.
        cursor = 0
        for key, count in MEMBERS.items():
            for i, v in enumerate(pool[cursor : cursor + count]):
                if v is volunteers[-1]:
                    continue
                role = Membership.Role.BACKBONE if key == "service" and i < 2 else Membership.Role.MEMBER
                _join(
                    org=orgs[key],
                    volunteer=v,
                    reviewer=region_manager_user,
                    role=role,
                    approve=not (key == "service" and i >= count - 2),
                )
            cursor += count
        if volunteers:
            _join(org=orgs["practice_team"], volunteer=volunteers[-1], reviewer=region_manager_user)
    return [*orgs.values(), pending]

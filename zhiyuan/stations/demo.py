"""Demo service points in 惠州 (called by ``zhiyuan.demo.data.seed``): the 惠城区 practice
network centre → institute (桥东街道) → station, a few 站/岗/点/室 points, and a 惠阳区 centre
so the scope of the two county offices can be seen. Two points are run by demo organizations
(``zhiyuan.organizations.demo``, seeded first) when those exist. Created through the real services
(audited); idempotent: a point that exists (same region and name) is left alone, except that a
missing operator is filled in."""

from decimal import Decimal

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.organizations.models import Organization
from zhiyuan.organizations.models import Status as OrganizationStatus
from zhiyuan.stations import services
from zhiyuan.stations.models import ServicePoint
from zhiyuan.stations.services import ServicePointInput

QIAODONG = "441302001000"  # 桥东街道
CHECKLIST_ALL = {f: True for f in services.CHECKLIST_FIELDS}

POINTS = [
    # key, parent key, values
    (
        "centre",
        None,
        {
            "name": "惠城区新时代文明实践中心",
            "network_level": "centre",
            "kind": "station",
            "region_code": "441302000000",
            "address": "惠州市惠城区江北文明一路",
            "latitude": Decimal("23.110500"),
            "longitude": Decimal("114.415800"),
            "opening_hours": "周一至周五 9:00–17:30",
            "service_phone": "0752-2800001",
            "functions": ["needs", "projects", "recruitment", "activities", "records", "publicity"],
            **CHECKLIST_ALL,
        },
    ),
    (
        "institute",
        "centre",
        {
            "name": "桥东街道新时代文明实践所",
            "network_level": "institute",
            "kind": "station",
            "region_code": QIAODONG,
            "address": "惠州市惠城区桥东街道东新街",
            "latitude": Decimal("23.087300"),
            "longitude": Decimal("114.420100"),
            "opening_hours": "周一至周六 9:00–17:00",
            "service_phone": "0752-2800002",
            "functions": ["needs", "projects", "activities", "records"],
            **CHECKLIST_ALL,
        },
    ),
    (
        "station",
        "institute",
        {
            "name": "桥东街道东湖社区新时代文明实践站",
            "network_level": "station",
            "kind": "station",
            "region_code": QIAODONG,
            "address": "惠州市惠城区桥东街道东湖社区党群服务中心",
            "latitude": Decimal("23.084900"),
            "longitude": Decimal("114.424600"),
            "opening_hours": "每日 8:30–20:00",
            "service_phone": "0752-2800003",
            "contact_name": "黄站长",
            "contact_phone": "13900001006",
            "functions": ["needs", "activities", "records"],
            "has_place": True,
            "has_team": True,
            "has_projects": True,
            "has_signage": True,
        },
    ),
    (
        "post",
        "station",
        {
            "name": "西湖景区志愿服务岗",
            "kind": "post",
            "region_code": QIAODONG,
            "address": "惠州市惠城区西湖景区东门",
            "latitude": Decimal("23.090800"),
            "longitude": Decimal("114.405300"),
            "opening_hours": "周末及节假日 9:00–17:00",
            "functions": ["activities", "publicity"],
            "has_place": True,
            "has_team": True,
            "has_signage": True,
        },
    ),
    (
        "room",
        "institute",
        {
            "name": "桥东街道长者饭堂志愿服务室",
            "kind": "room",
            "region_code": QIAODONG,
            "address": "惠州市惠城区桥东街道水东街",
            "opening_hours": "每日 10:30–13:00",
            "service_phone": "0752-2800004",
            "functions": ["needs", "activities"],
            "has_place": True,
            "has_team": True,
            "has_projects": True,
            "has_rules": True,
        },
    ),
    (
        "huiyang_centre",
        None,
        {
            "name": "惠阳区新时代文明实践中心",
            "network_level": "centre",
            "kind": "station",
            "region_code": "441303000000",
            "address": "惠州市惠阳区淡水街道开城大道",
            "latitude": Decimal("22.789400"),
            "longitude": Decimal("114.456700"),
            "opening_hours": "周一至周五 9:00–17:30",
            "service_phone": "0752-3800001",
            "functions": ["needs", "projects", "activities"],
            **CHECKLIST_ALL,
        },
    ),
]


# point key → the name of the demo organization that runs it (organizations/demo.py)
OPERATORS = {
    "room": "桥东街道长者关爱志愿服务中心",
    "post": "惠城区机关党员志愿服务队",
}


def _operator(key: str) -> Organization | None:
    name = OPERATORS.get(key)
    if not name:
        return None
    return Organization.objects.filter(name=name, status=OrganizationStatus.ACTIVE).order_by("id").first()


def _platform_admin():
    a = (
        RoleAssignment.objects.filter(role=Role.PLATFORM_ADMIN, active=True, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if a is None:
        raise RuntimeError("stations demo seed needs a platform admin (create one first)")
    return a.user


def seed(*, station_admin_user) -> list[ServicePoint]:
    """Create the demo points (once) and make ``station_admin_user`` admin of the 东湖社区 station."""
    actor = _platform_admin()
    points: dict[str, ServicePoint] = {}
    for key, parent_key, values in POINTS:
        operator = _operator(key)
        point = ServicePoint.objects.filter(region_code=values["region_code"], name=values["name"]).first()
        if point is None:
            data = {
                **values,
                "parent_id": points[parent_key].pk if parent_key else None,
                "operator_organization_id": operator.pk if operator else None,
            }
            point = services.service_point_create(actor=actor, values=ServicePointInput(**data))
        elif operator is not None and point.operator_organization_id is None:
            point = services.service_point_update(
                actor=actor, point=point, change=ServicePointInput(operator_organization_id=operator.pk)
            )
        points[key] = point
    station = points["station"]
    if (
        station_admin_user is not None
        and not RoleAssignment.objects.filter(
            user=station_admin_user, role=Role.STATION_ADMIN, object_id=station.pk, active=True
        ).exists()
    ):
        services.station_admin_assign(actor=actor, point=station, mobile=station_admin_user.mobile)
    return list(points.values())

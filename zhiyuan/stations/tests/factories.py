"""Test data for the stations app, built through the real services (STYLE.md)."""

import itertools

from zhiyuan.accounts.roles import Role
from zhiyuan.stations import services
from zhiyuan.stations.services import ServicePointInput
from zhiyuan.testing import HUICHENG, HUIYANG, make_user

HUICHENG_TOWN = "441302001000"  # 桥东街道, 惠城区
HUIYANG_TOWN = "441303001000"  # 淡水街道, 惠阳区

_n = itertools.count(1)
_mobiles = itertools.count(13700000100)


def next_mobile() -> str:
    return str(next(_mobiles))


def point(actor, **values):
    """A standalone 站/岗/点/室 point (inside 惠城区 unless told otherwise)."""
    data = {
        "name": f"测试志愿服务站{next(_n)}",
        "kind": "station",
        "region_code": HUICHENG_TOWN,
        "address": "测试路1号",
        **values,
    }
    return services.service_point_create(actor=actor, values=ServicePointInput(**data))


def network(actor, *, county: str = HUICHENG, town: str = HUICHENG_TOWN):
    """centre → institute → station in one county."""
    centre = point(actor, name=f"实践中心{next(_n)}", network_level="centre", region_code=county)
    institute = point(actor, name=f"实践所{next(_n)}", network_level="institute", region_code=town, parent_id=centre.pk)
    station = point(actor, name=f"实践站{next(_n)}", network_level="station", region_code=town, parent_id=institute.pk)
    return centre, institute, station


def station_admin_of(actor, p, *, name="黄站长"):
    """A registered user made station admin of ``p`` through the service."""
    u = make_user(next_mobile(), name)
    services.station_admin_assign(actor=actor, point=p, mobile=u.mobile)
    return u


__all__ = ["HUICHENG", "HUICHENG_TOWN", "HUIYANG", "HUIYANG_TOWN", "Role", "network", "point", "station_admin_of"]

"""Services and selectors of the stations app against the real database: scope, structure,
bad input, audit."""

from decimal import Decimal

import pytest

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.core.audit import audit_verify
from zhiyuan.core.errors import DomainError, NotFound, PermissionDenied
from zhiyuan.core.lists import list_query
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations.picker import organization_options
from zhiyuan.stations import selectors, services
from zhiyuan.stations.lists import MY_POINTS, POINTS, PUBLIC_POINTS
from zhiyuan.stations.models import ServicePoint, Status
from zhiyuan.stations.services import ServicePointInput
from zhiyuan.stations.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, network, point, station_admin_of
from zhiyuan.testing import HUICHENG, HUIYANG


def listed(actor, spec=POINTS, **data):
    """The rows of a list (``lists.py``) as its page, API and export read them."""
    return list(list_query(actor=actor, spec=spec, data=data or None).queryset)


pytestmark = pytest.mark.django_db


@pytest.fixture
def huicheng_point(county_manager):
    return point(county_manager, name="桥东志愿服务站")


@pytest.fixture
def huiyang_point(other_county_manager):
    return point(other_county_manager, name="淡水志愿服务站", region_code=HUIYANG_TOWN)


def fields_of(exc) -> dict:
    return {k: [str(m) for m in v] for k, v in exc.value.fields.items()}


# --- scope ------------------------------------------------------------------------------------------


def test_county_manager_sees_only_their_county(county_manager, huicheng_point, huiyang_point):
    visible = set(listed(county_manager))
    assert visible == {huicheng_point}
    with pytest.raises(NotFound):
        selectors.service_point_get(actor=county_manager, id=huiyang_point.pk)


def test_city_manager_and_platform_admin_see_both(city_manager, platform_admin, huicheng_point, huiyang_point):
    assert set(listed(city_manager)) == {huicheng_point, huiyang_point}
    assert set(listed(platform_admin)) == {huicheng_point, huiyang_point}


def test_plain_user_and_volunteer_see_nothing(plain_user, huicheng_point):
    assert not listed(plain_user)
    with pytest.raises(NotFound):
        selectors.service_point_get(actor=plain_user, id=huicheng_point.pk)


def test_station_admin_sees_own_point_only_and_edits_only_its_operations(county_manager, huicheng_point):
    other = point(county_manager, name="另一个站")
    admin = station_admin_of(county_manager, huicheng_point)
    assert list(listed(admin)) == [huicheng_point]
    assert listed(admin, MY_POINTS) == [huicheng_point]
    with pytest.raises(NotFound):
        selectors.service_point_get(actor=admin, id=other.pk)
    # Own point: operations yes, manager fields no (403, audited as denied).
    services.service_point_operations_update(
        actor=admin, point=huicheng_point, change=ServicePointInput(opening_hours="每日 9:00–18:00")
    )
    with pytest.raises(PermissionDenied):
        selectors.service_point_get_for_manage(actor=admin, id=huicheng_point.pk)
    with pytest.raises(PermissionDenied):
        services.service_point_update(actor=admin, point=huicheng_point, change=ServicePointInput(name="改名"))
    with pytest.raises(PermissionDenied):
        services.service_point_operations_update(actor=admin, point=other, change=ServicePointInput(opening_hours="x"))
    huicheng_point.refresh_from_db()
    other.refresh_from_db()
    assert huicheng_point.opening_hours == "每日 9:00–18:00" and huicheng_point.name == "桥东志愿服务站"
    assert other.opening_hours == ""
    assert AuditEntry.objects.filter(action="stations.point.update", result=AuditEntry.Result.DENIED, actor=admin).exists()


def test_county_manager_cannot_create_or_move_a_point_outside_their_county(county_manager, huicheng_point):
    with pytest.raises(DomainError) as exc:
        point(county_manager, name="越界站", region_code=HUIYANG_TOWN)
    assert exc.value.status == 403 and "region_code" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.service_point_update(
            actor=county_manager, point=huicheng_point, change=ServicePointInput(region_code=HUIYANG_TOWN)
        )
    assert exc.value.status == 403
    huicheng_point.refresh_from_db()
    assert huicheng_point.region_code == HUICHENG_TOWN
    assert not ServicePoint.objects.filter(name="越界站").exists()


def test_county_manager_cannot_manage_another_countys_point(county_manager, huiyang_point):
    with pytest.raises(NotFound):
        selectors.service_point_get_for_manage(actor=county_manager, id=huiyang_point.pk)
    # Even when handed the object directly, the service re-checks.
    with pytest.raises(PermissionDenied):
        services.service_point_close(actor=county_manager, point=huiyang_point)
    with pytest.raises(PermissionDenied):
        services.station_admin_assign(actor=county_manager, point=huiyang_point, mobile="13900000009")


def test_plain_user_cannot_create(plain_user):
    with pytest.raises(PermissionDenied):
        point(plain_user)


# --- structure (REG-4) --------------------------------------------------------------------------------


def test_practice_network_centre_institute_station(county_manager):
    centre, institute, station = network(county_manager)
    assert institute.parent == centre and station.parent == institute
    assert centre.type_label == "新时代文明实践中心" and station.type_label == "新时代文明实践站"
    post = point(county_manager, kind="post", parent_id=station.pk)
    assert post.type_label == "志愿服务岗"


def test_structure_errors(county_manager):
    centre, institute, _station = network(county_manager)
    cases = [
        ({"network_level": "institute"}, "parent_id"),  # an institute needs a centre
        ({"network_level": "station", "parent_id": centre.pk}, "parent_id"),  # a station's parent is an institute
        ({"network_level": "centre", "region_code": HUICHENG_TOWN}, "region_code"),  # a centre sits at a county
        ({"network_level": "centre", "region_code": HUICHENG, "parent_id": centre.pk}, "parent_id"),
        ({"network_level": "institute", "region_code": HUICHENG, "parent_id": centre.pk}, "region_code"),
        ({"parent_id": 999999}, "parent_id"),
    ]
    for values, field in cases:
        with pytest.raises(DomainError) as exc:
            point(county_manager, **values)
        assert field in exc.value.fields, (values, exc.value.fields)
    with pytest.raises(DomainError) as exc:
        services.service_point_update(
            actor=county_manager, point=institute, change=ServicePointInput(network_level="station", parent_id=institute.pk)
        )
    assert "parent_id" in exc.value.fields or "network_level" in exc.value.fields


def test_parent_in_another_county_is_refused(city_manager, county_manager):
    huiyang_centre = point(city_manager, name="惠阳中心", network_level="centre", region_code=HUIYANG)
    with pytest.raises(DomainError) as exc:
        point(city_manager, name="桥东所", network_level="institute", region_code=HUICHENG_TOWN, parent_id=huiyang_centre.pk)
    assert "区划范围" in fields_of(exc)["parent_id"][0]
    # The county manager cannot even see it as a parent.
    with pytest.raises(DomainError) as exc:
        point(county_manager, parent_id=huiyang_centre.pk)
    assert fields_of(exc)["parent_id"] == ["上级阵地不存在或无权访问。"]


def test_close_needs_children_closed_and_reopen_needs_parent_active(county_manager):
    _centre, institute, station = network(county_manager)
    with pytest.raises(DomainError) as exc:
        services.service_point_close(actor=county_manager, point=institute)
    assert exc.value.code == "has_active_children"
    services.service_point_close(actor=county_manager, point=station, reason="搬迁")
    services.service_point_close(actor=county_manager, point=institute)
    with pytest.raises(DomainError) as exc:
        services.service_point_reopen(actor=county_manager, point=station)
    assert exc.value.code == "parent_closed"
    services.service_point_reopen(actor=county_manager, point=institute)
    station = services.service_point_reopen(actor=county_manager, point=station)
    assert station.status == Status.ACTIVE and station.closed_at is None


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写站点名称。"),
        ({"address": ""}, "address", "请填写地址。"),
        ({"name": "长" * 101}, "name", "不能超过 100 个字符。"),
        ({"latitude": "95", "longitude": "114"}, "latitude", "纬度应在 -90 到 90 之间。"),
        ({"latitude": "23", "longitude": "-181"}, "longitude", "经度应在 -180 到 180 之间。"),
        ({"latitude": "abc", "longitude": "114"}, "latitude", "纬度须为数字，例如 23.111530。"),
        ({"latitude": "NaN", "longitude": "114"}, "latitude", "纬度应在 -90 到 90 之间。"),
        ({"latitude": "23.1"}, "longitude", "经度和纬度须同时填写，或同时留空。"),
        ({"region_code": "12345"}, "region_code", "请输入有效的区划代码（2、4、6、9或12位数字）。"),
        ({"region_code": "441399999000"}, "region_code", "该区划不存在。"),
        ({"region_code": ""}, "region_code", "请选择所在区划。"),
        ({"region_code": "441300000000"}, "region_code", "该层级的站点应位于县级、乡级、村级区划。"),
        ({"kind": "kiosk"}, "kind", "请选择有效的站点类型（站、岗、点、室）。"),
        ({"network_level": "province"}, "network_level", "请选择有效的阵地层级。"),
        ({"contact_phone": "12345", "contact_name": "李"}, "contact_phone", None),
        ({"contact_phone": "13800000000"}, "contact_name", "填写联系人电话时请同时填写联系人。"),
        ({"functions": ["needs", "bogus"]}, "functions", "请选择有效的站点功能。"),
        ({"operator_organization_id": "x"}, "operator_organization_id", "请填写有效的组织编号。"),
    ],
)
def test_bad_input_gives_chinese_field_errors_and_saves_nothing(county_manager, values, field, message):
    before = ServicePoint.objects.count()
    audits = AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        point(county_manager, **values)
    assert exc.value.status == 400
    errors = fields_of(exc)
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert ServicePoint.objects.count() == before and AuditEntry.objects.count() == audits


def test_several_errors_are_reported_at_once(county_manager):
    with pytest.raises(DomainError) as exc:
        point(county_manager, name="", address="", latitude="100", longitude="200")
    assert set(fields_of(exc)) == {"name", "address", "latitude", "longitude"}


def test_duplicate_name_in_region(county_manager, huicheng_point):
    with pytest.raises(DomainError) as exc:
        point(county_manager, name=huicheng_point.name)
    assert fields_of(exc) == {"name": ["同一区划内已有同名站点。"]}
    # The same name in another town is fine.
    point(county_manager, name=huicheng_point.name, region_code="441302002000")


def test_coordinates_and_values_are_normalized(county_manager):
    p = point(
        county_manager,
        latitude="23.1115301",
        longitude=114.4162,
        functions=["records", "needs", "needs"],
        has_place="on",
        contact_name="李",
        contact_phone="0752-2345678",
    )
    p.refresh_from_db()
    assert p.latitude == Decimal("23.111530") and p.longitude == Decimal("114.416200")
    assert p.functions == ["needs", "records"]
    assert p.has_place is True and p.six_haves_count == 1


def test_failed_update_changes_nothing(county_manager, huicheng_point):
    with pytest.raises(DomainError):
        services.service_point_update(
            actor=county_manager, point=huicheng_point, change=ServicePointInput(name="新名字", latitude="999")
        )
    huicheng_point.refresh_from_db()
    assert huicheng_point.name == "桥东志愿服务站"


# --- station admins --------------------------------------------------------------------------------------


def test_assign_and_revoke_station_admin(county_manager, huicheng_point, plain_user):
    a = services.station_admin_assign(actor=county_manager, point=huicheng_point, mobile=plain_user.mobile)
    assert (a.role, a.object_id, a.region_code, a.granted_by) == (
        Role.STATION_ADMIN,
        huicheng_point.pk,
        HUICHENG_TOWN,
        county_manager,
    )
    # The county office sees the assignment in its role list (accounts scope by region).
    assert RoleAssignment.objects.visible_to(county_manager).filter(pk=a.pk).exists()
    with pytest.raises(DomainError) as exc:
        services.station_admin_assign(actor=county_manager, point=huicheng_point, mobile=plain_user.mobile)
    assert exc.value.code == "already_admin"
    assert list(listed(plain_user)) == [huicheng_point]
    services.station_admin_revoke(actor=county_manager, point=huicheng_point, assignment_id=a.pk)
    a.refresh_from_db()
    assert not a.active and a.revoked_by == county_manager
    plain_user._zy_roles = None
    del plain_user._zy_roles
    assert not listed(plain_user)


def test_assign_errors(county_manager, huicheng_point):
    for mobile, message in [
        ("123", "请输入11位中国大陆手机号码。"),
        ("13999999999", "未找到该手机号对应的用户，请先让其注册账号。"),
    ]:
        with pytest.raises(DomainError) as exc:
            services.station_admin_assign(actor=county_manager, point=huicheng_point, mobile=mobile)
        assert fields_of(exc) == {"mobile": [message]}
    assert not RoleAssignment.objects.filter(role=Role.STATION_ADMIN).exists()


def test_revoke_of_another_points_assignment_is_not_found(county_manager, huicheng_point):
    other = point(county_manager, name="另一个站")
    admin = station_admin_of(county_manager, other)
    a = RoleAssignment.objects.get(user=admin)
    with pytest.raises(NotFound):
        services.station_admin_revoke(actor=county_manager, point=huicheng_point, assignment_id=a.pk)


# --- audit ---------------------------------------------------------------------------------------------------


def test_every_write_is_audited(county_manager, plain_user):
    p = point(county_manager, name="审计站", contact_name="李", contact_phone="13812345678")
    services.service_point_update(
        actor=county_manager, point=p, change=ServicePointInput(address="新地址", contact_phone="13812345679")
    )
    # no change, no entry
    services.service_point_update(actor=county_manager, point=p, change=ServicePointInput(address="新地址"))
    a = services.station_admin_assign(actor=county_manager, point=p, mobile=plain_user.mobile)
    services.service_point_operations_update(actor=plain_user, point=p, change=ServicePointInput(has_team=True))
    services.station_admin_revoke(actor=county_manager, point=p, assignment_id=a.pk)
    services.service_point_close(actor=county_manager, point=p, reason="停用")
    services.service_point_reopen(actor=county_manager, point=p)
    entries = list(AuditEntry.objects.filter(object_type="stations.servicepoint", object_id=str(p.pk)).order_by("id"))
    assert [(e.action, e.actor_id) for e in entries] == [
        ("stations.point.create", county_manager.pk),
        ("stations.point.update", county_manager.pk),
        ("stations.admin.assign", county_manager.pk),
        ("stations.point.operations", plain_user.pk),
        ("stations.admin.revoke", county_manager.pk),
        ("stations.point.close", county_manager.pk),
        ("stations.point.reopen", county_manager.pk),
    ]
    assert entries[1].detail == {"fields": ["address", "contact_phone"]}
    assert entries[2].detail["assignment_id"] == a.pk
    # No unmasked phone numbers in the audit trail.
    for e in entries:
        assert "13812345678" not in str(e.detail) and plain_user.mobile not in str(e.detail)
    assert audit_verify()[2] == ""


def test_refused_write_is_audited_as_denied(county_manager, huicheng_point, other_county_manager):
    with pytest.raises(DomainError):
        point(county_manager, name="越界站", region_code=HUIYANG_TOWN)
    e = AuditEntry.objects.filter(action="stations.point.create").order_by("-id").first()
    assert e.result == AuditEntry.Result.DENIED and e.actor == county_manager


def test_public_list_shows_active_points_only(county_manager, huicheng_point):
    closed = point(county_manager, name="已关闭站")
    services.service_point_close(actor=county_manager, point=closed)
    assert listed(None, PUBLIC_POINTS) == [huicheng_point]
    assert listed(None, PUBLIC_POINTS, region="441303") == []
    assert listed(None, PUBLIC_POINTS, region="441302") == [huicheng_point]


# --- operating organization ----------------------------------------------------------------------------


@pytest.fixture
def huicheng_org(county_manager):
    from zhiyuan.organizations.tests.factories import active_org

    return active_org(county_manager, name="桥东长者关爱服务中心")


@pytest.fixture
def huiyang_org(other_county_manager):
    from zhiyuan.organizations.tests.factories import active_org

    return active_org(other_county_manager, name="淡水青年志愿者协会", region_code=HUIYANG_TOWN)


def test_operator_is_an_active_organization_in_scope(county_manager, huicheng_org):
    p = point(county_manager, operator_organization_id=str(huicheng_org.pk))
    p.refresh_from_db()
    assert p.operator_organization == huicheng_org and p.operator_name == "桥东长者关爱服务中心"
    assert list(huicheng_org.service_points.all()) == [p]
    entry = AuditEntry.objects.filter(action="stations.point.create").latest("id")
    assert entry.detail["operator_organization_id"] == huicheng_org.pk
    services.service_point_update(actor=county_manager, point=p, change=ServicePointInput(operator_organization_id=None))
    p.refresh_from_db()
    assert p.operator_organization is None
    assert AuditEntry.objects.filter(action="stations.point.update").latest("id").detail == {
        "fields": ["operator_organization_id"]
    }


def test_operator_outside_scope_missing_or_not_active_is_refused(county_manager, huicheng_org, huiyang_org):
    from zhiyuan.organizations.services import organization_suspend
    from zhiyuan.organizations.tests.factories import apply

    pending = apply(name="待审核的服务队")
    suspended = organization_suspend(actor=county_manager, org=huicheng_org, reason="年检未通过")
    cases = [
        (huiyang_org.pk, "运营组织不存在或不在您的管辖范围内。"),  # another county's organization
        (999_999, "运营组织不存在或不在您的管辖范围内。"),
        (pending.pk, "运营组织「待审核的服务队」当前状态为“待审核”，只有状态正常的组织可以运营站点。"),
        (suspended.pk, "运营组织「桥东长者关爱服务中心」当前状态为“已暂停”，只有状态正常的组织可以运营站点。"),
    ]
    for org_id, message in cases:
        with pytest.raises(DomainError) as exc:
            point(county_manager, name="运营组织测试站", operator_organization_id=org_id)
        assert exc.value.status == 400 and fields_of(exc) == {"operator_organization_id": [message]}
    assert not ServicePoint.objects.filter(name="运营组织测试站").exists()


def test_city_manager_may_choose_any_organization_of_the_city(city_manager, huiyang_org):
    p = point(city_manager, operator_organization_id=huiyang_org.pk)
    assert p.operator_organization_id == huiyang_org.pk
    assert huiyang_org.pk in [o.id for o in organization_options(actor=city_manager)]


def test_unchanged_operator_is_kept_when_it_stops_being_active(county_manager, huicheng_org):
    from zhiyuan.organizations.services import organization_suspend

    p = point(county_manager, operator_organization_id=huicheng_org.pk)
    admin = station_admin_of(county_manager, p)
    organization_suspend(actor=county_manager, org=huicheng_org, reason="整改")
    # The station admin (who cannot see the organization) and the manager can still save other fields.
    services.service_point_operations_update(actor=admin, point=p, change=ServicePointInput(opening_hours="每日 9:00–17:00"))
    services.service_point_update(actor=county_manager, point=p, change=ServicePointInput(address="新地址1号"))
    p.refresh_from_db()
    assert (p.operator_organization_id, p.opening_hours, p.address) == (huicheng_org.pk, "每日 9:00–17:00", "新地址1号")
    # …and the edit form's picker still shows it, marked with its status, but offers it no more.
    assert organization_options(actor=county_manager, id=huicheng_org.pk)[0].detail == "惠城区/桥东街道 · 已暂停"
    assert huicheng_org.pk not in [o.id for o in organization_options(actor=county_manager)]


def test_organization_running_a_point_cannot_be_deleted(county_manager, huicheng_org):
    from django.db.models import ProtectedError

    point(county_manager, operator_organization_id=huicheng_org.pk)
    with pytest.raises(ProtectedError):
        huicheng_org.delete()


def test_station_admin_of_a_network_station_saves_its_operations(county_manager):
    # The station's parent (an institute) is not visible to its station admin; an unchanged
    # parent must not be re-checked against the admin's scope.
    _centre, _institute, station = network(county_manager)
    admin = station_admin_of(county_manager, station)
    services.service_point_operations_update(actor=admin, point=station, change=ServicePointInput(has_rules=True))
    station.refresh_from_db()
    assert station.has_rules is True


def test_moving_a_point_moves_its_station_admin_assignments(city_manager):
    p = point(city_manager)
    admin = station_admin_of(city_manager, p)
    services.service_point_update(actor=city_manager, point=p, change=ServicePointInput(region_code=HUIYANG_TOWN))
    assert RoleAssignment.objects.get(user=admin, role=Role.STATION_ADMIN).region_code == HUIYANG_TOWN


def test_invisible_characters_in_point_text_are_refused(county_manager):
    for field in ("name", "address", "opening_hours", "contact_name"):
        with pytest.raises(DomainError) as e:
            point(county_manager, **{field: "东湖\u202e服务站"})
        assert "不可见的控制字符" in str(e.value.fields[field][0]), field

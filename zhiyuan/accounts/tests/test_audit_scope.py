"""ACC-3: region managers read the audit entries of their region, API and page alike.

An entry is in a region when the object acted on is (``AuditEntry.region_code``, written from
the object by ``audit_record``); entries without a region are for platform admins only."""

import io

import pytest
from openpyxl import load_workbook

from zhiyuan.accounts.tests.factories import bearer, token_for
from zhiyuan.core.audit import audit_record
from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, active_org
from zhiyuan.volunteers import services as volunteer_services

pytestmark = pytest.mark.django_db
API = "/api/v1/accounts/audit-entries"
QUERIES = 5  # session, user, roles, the volunteer role provider, the page (keyset: no count)


@pytest.fixture
def entries(city_manager, county_manager, other_county_manager, volunteer, huiyang_volunteer, platform_admin):
    """Real writes in both counties, plus entries without a region."""
    huicheng = active_org(county_manager, region_code=HUICHENG_TOWN)
    huiyang = active_org(other_county_manager, region_code=HUIYANG_TOWN)
    volunteer_services.volunteer_reveal_id_number(actor=city_manager, volunteer_id=huiyang_volunteer.pk, reason="核实")
    volunteer_services.volunteer_reveal_id_number(actor=city_manager, volunteer_id=volunteer.pk, reason="核实")
    audit_record(actor=platform_admin, action="test.no_region", object_type="x.y", object_id="1")
    return huicheng, huiyang


def _ids(entries_json) -> set[tuple[str, str]]:
    return {(e["object_type"], e["object_id"]) for e in entries_json}


def test_written_entries_carry_the_objects_region(entries, volunteer):
    huicheng, _ = entries
    assert set(AuditEntry.objects.filter(object_id=str(huicheng.pk), object_type="organizations.organization")
               .values_list("region_code", flat=True)) == {HUICHENG_TOWN}  # fmt: skip
    assert AuditEntry.objects.get(action="volunteer.reveal_id", object_id=str(volunteer.pk)).region_code == volunteer.region_code
    assert AuditEntry.objects.get(action="test.no_region").region_code == ""


def test_county_managers_see_their_county_only(
    client, entries, county_manager, other_county_manager, volunteer, huiyang_volunteer
):
    huicheng, huiyang = entries
    client.force_login(county_manager)
    items = client.get(API, {"page_size": 100}).json()["items"]
    seen = _ids(items)
    assert ("organizations.organization", str(huicheng.pk)) in seen
    assert ("volunteers.volunteer", str(volunteer.pk)) in seen
    assert ("organizations.organization", str(huiyang.pk)) not in seen
    assert ("volunteers.volunteer", str(huiyang_volunteer.pk)) not in seen
    assert not any(e["action"] == "test.no_region" for e in items)
    assert {e["region_code"][:6] for e in items} == {"441302"}
    # a filter naming the other county's object finds nothing (not a 403: like any out-of-scope row)
    r = client.get(API, {"object_type": "organizations.organization", "object_id": str(huiyang.pk)})
    assert r.status_code == 200 and r.json()["items"] == []

    client.force_login(other_county_manager)
    seen = _ids(client.get(API, {"page_size": 100}).json()["items"])
    assert ("organizations.organization", str(huiyang.pk)) in seen
    assert ("organizations.organization", str(huicheng.pk)) not in seen


def test_city_manager_sees_both_counties_platform_admin_everything(client, entries, city_manager, platform_admin):
    huicheng, huiyang = entries
    client.force_login(city_manager)
    items = client.get(API, {"page_size": 100}).json()["items"]
    assert {("organizations.organization", str(o.pk)) for o in (huicheng, huiyang)} <= _ids(items)
    assert not any(e["action"] == "test.no_region" for e in items)
    client.force_login(platform_admin)
    assert any(e["action"] == "test.no_region" for e in client.get(API, {"page_size": 100}).json()["items"])


def test_a_narrowed_manager_token_sees_the_narrower_region(client, entries, city_manager):
    huicheng, huiyang = entries
    _, secret = token_for(city_manager, region_prefix="441303")
    seen = _ids(client.get(API, {"page_size": 100}, **bearer(secret)).json()["items"])
    assert ("organizations.organization", str(huiyang.pk)) in seen
    assert ("organizations.organization", str(huicheng.pk)) not in seen


def test_people_without_a_region_scope_are_refused(client, entries, plain_user, volunteer):
    assert client.get(API).status_code == 401
    for user in (plain_user, volunteer.user):
        client.force_login(user)
        assert client.get(API).status_code == 403
        assert client.get("/accounts/audit/").status_code == 403
        assert client.get("/accounts/audit/export/").status_code == 403


def test_the_page_and_export_are_scoped_the_same_way(client, entries, county_manager):
    huicheng, huiyang = entries
    client.force_login(county_manager)
    page = client.get("/accounts/audit/", {"object_type": "organizations.organization"}).content.decode()
    assert f"志愿服务组织 #{huicheng.pk}<" in page
    assert f"志愿服务组织 #{huiyang.pk}<" not in page
    assert "/accounts/audit/verify/" not in page  # verifying the whole chain is for platform admins
    assert client.post("/accounts/audit/verify/").status_code == 403
    r = client.get("/accounts/audit/export/")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))[1:]
    objects = {(row[5], row[6]) for row in rows}
    assert ("志愿服务组织", str(huicheng.pk)) in objects
    assert ("志愿服务组织", str(huiyang.pk)) not in objects
    assert not any(row[4] == "test.no_region" for row in rows)



def test_the_scoped_list_costs_a_fixed_number_of_queries(client, entries, county_manager, django_assert_num_queries):
    """Session, user, roles (and the role providers), one page, one count: none per entry."""
    client.force_login(county_manager)
    client.get(API)  # the first request of a session also saves it (idle time-out refresh)
    with django_assert_num_queries(QUERIES):
        r = client.get(API, {"page_size": 100})
    assert r.status_code == 200 and len(r.json()["items"]) >= 2
    huicheng, _ = entries
    for n in range(5):
        audit_record(actor=county_manager, action="test.more", obj=huicheng, detail={"n": n})
    with django_assert_num_queries(QUERIES):
        r = client.get(API, {"page_size": 100})
    assert len(r.json()["items"]) >= 7

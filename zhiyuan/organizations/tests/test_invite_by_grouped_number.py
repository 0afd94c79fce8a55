"""An organization admin may invite by the volunteer number as it is shown (grouped with spaces)."""

import pytest

from zhiyuan.organizations import services
from zhiyuan.organizations.models import Membership
from zhiyuan.organizations.tests.factories import active_org

pytestmark = pytest.mark.django_db


def test_invite_accepts_the_grouped_number(client, county_manager, volunteer):
    org = active_org(county_manager, name="桥东长者服务中心")
    no = volunteer.volunteer_no
    client.force_login(org.created_by)
    r = client.post(
        f"/organizations/manage/{org.pk}/members/invite/",
        {"volunteer_no": f"{no[:4]} {no[4:7]} {no[7:10]} {no[10].lower()}", "role": "member"},
    )
    assert r.status_code == 302
    assert Membership.objects.filter(volunteer=volunteer, organization=org, status="invited").exists()


def test_service_still_refuses_an_unknown_number(county_manager):
    from zhiyuan.core.errors import DomainError

    org = active_org(county_manager, name="桥东长者服务中心")
    with pytest.raises(DomainError) as e:
        services.membership_invite(actor=org.created_by, org=org, volunteer_no="0000 000 000 0")
    assert e.value.code == "volunteer_not_found"


def test_member_list_shows_the_grouped_number_and_finds_it(client, county_manager, volunteer):
    from zhiyuan.organizations.tests.factories import member

    org = active_org(county_manager, name="桥东长者服务中心")
    member(org, volunteer, admin=org.created_by)
    no = volunteer.volunteer_no
    grouped = f"{no[:4]} {no[4:7]} {no[7:10]} {no[10]}"
    client.force_login(org.created_by)
    page = client.get(f"/organizations/manage/{org.pk}/").content.decode()
    assert f'<span class="vno">{grouped}</span></td>' in page  # a card/table cell of the list
    for q in (grouped, no):
        page = client.get(f"/organizations/manage/{org.pk}/", {"q": q}).content.decode()
        assert page.count("data-member=") == 1, q
    page = client.get(f"/organizations/manage/{org.pk}/", {"q": "0000 000 000 0"}).content.decode()
    assert "data-member=" not in page

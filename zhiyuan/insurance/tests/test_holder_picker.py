"""The register and cover-check forms pick the organization by search (issue 9: the list was
capped at 200): a city manager with 10⁴ organizations in scope finds any of them by name,
region or number, the page never lists them all, and a choice outside the scope is refused."""

import pytest

from zhiyuan.insurance.models import InsurancePolicy
from zhiyuan.insurance.tests.factories import IN_YEAR, listed_policy
from zhiyuan.organizations.models import Organization

pytestmark = pytest.mark.django_db
N = 10_000


@pytest.fixture
def many_orgs(org):
    """10⁴ active organizations in 惠城区 besides ``org`` (bulk, copies of its fields)."""
    fields = {f.attname: getattr(org, f.attname) for f in Organization._meta.concrete_fields if not f.primary_key}
    fields.pop("uscc")
    Organization.objects.bulk_create(
        [Organization(**{**fields, "name": f"批量志愿服务队{i:05d}", "kind": "team", "uscc": ""}) for i in range(N)],
        batch_size=2000,
    )
    return Organization.objects.get(name=f"批量志愿服务队{N - 7:05d}")


def _form_post(org_id, number: str) -> dict:
    return {
        "holder_id": str(org_id),
        "insurer": "中国人寿财产保险股份有限公司",
        "policy_no": number,
        "kind": "accident",
        "cover": "listed",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "sum_insured": "300000",
    }


def test_a_manager_of_ten_thousand_organizations_finds_and_picks_any(client, city_manager, many_orgs,
                                                                      django_assert_max_num_queries):  # fmt: skip
    client.force_login(city_manager)
    page = client.get("/insurance/new/").content.decode()
    assert page.count('name="holder_id" value="') <= 7  # a few first results and 平台统保, not 10⁴
    assert many_orgs.name not in page
    with django_assert_max_num_queries(8):
        found = client.get("/insurance/organizations/", {"picker": "holder_id", "holder_id__q": many_orgs.name[-5:]})
    assert found.status_code == 200 and f'value="{many_orgs.pk}"' in found.content.decode()
    by_number = client.get("/insurance/organizations/", {"picker": "holder_id", "holder_id__q": str(many_orgs.pk)})
    assert f'value="{many_orgs.pk}"' in by_number.content.decode()
    r = client.post("/insurance/new/", _form_post(many_orgs.pk, "PICK-10000"))
    assert r.status_code == 302 and InsurancePolicy.objects.get(policy_no="PICK-10000").holder == many_orgs


def test_an_org_admin_finds_only_their_own_and_cannot_post_another(client, org, org_admin, other_org):
    client.force_login(org_admin)
    page = client.get("/insurance/new/").content.decode()
    assert f'value="{org.pk}"' in page and f'value="{other_org.pk}"' not in page and "平台统保" not in page
    found = client.get("/insurance/organizations/", {"picker": "holder_id", "holder_id__q": other_org.name})
    assert f'value="{other_org.pk}"' not in found.content.decode()
    r = client.post("/insurance/new/", _form_post(other_org.pk, "PICK-OTHER"))
    assert r.status_code == 422 and "组织不存在或无权为其登记保单" in r.content.decode()
    assert not InsurancePolicy.objects.filter(policy_no="PICK-OTHER").exists()
    r = client.post("/insurance/new/", {**_form_post("", "PICK-NONE"), "holder_id": ""})
    assert r.status_code == 400 and not InsurancePolicy.objects.filter(policy_no="PICK-NONE").exists()
    # a plain volunteer gets no results at all
    from zhiyuan.testing import make_user

    client.force_login(make_user("13900008888", "路人"))
    assert client.get("/insurance/organizations/", {"picker": "holder_id"}).status_code == 403


def test_cover_check_picks_the_organization_by_search(client, city_manager, org, many_orgs, volunteer):
    listed_policy(city_manager, org, volunteer)
    client.force_login(city_manager)
    page = client.get("/insurance/check/").content.decode()
    assert 'name="organization__q"' in page and many_orgs.name not in page
    r = client.get("/insurance/check/", {"organization": org.pk, "volunteer_no": volunteer.volunteer_no, "on": IN_YEAR})
    assert r.status_code == 200 and 'data-cover-answer="yes"' in r.content.decode()

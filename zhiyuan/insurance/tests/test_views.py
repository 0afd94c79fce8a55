"""Pages: scope (404 outside), the import (nothing saved on errors), the private document, the
cover check."""

import io

import pytest

from zhiyuan.core.audit import AuditEntry
from zhiyuan.insurance.models import InsurancePolicy, InsuredPerson
from zhiyuan.insurance.tests.factories import IN_YEAR, insured_list, list_of, listed_policy, policy
from zhiyuan.organizations.tests.factories import member
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def as_user(client, u):
    client.force_login(u)
    return client


def html(r) -> str:
    return r.content.decode()


def test_list_shows_own_policies_and_expiry_alert(client, org, org_admin, other_org, other_org_admin, settings):
    import datetime as dt

    from django.utils import timezone

    soon = policy(
        org_admin, org, policy_no="SOON-1", starts_on=timezone.localdate(), ends_on=timezone.localdate() + dt.timedelta(days=5)
    )
    policy(other_org_admin, other_org, policy_no="THEIRS-1")
    r = as_user(client, org_admin).get("/insurance/")
    assert r.status_code == 200
    page = html(r)
    assert "SOON-1" in page and "THEIRS-1" not in page
    assert f'data-expiring-policy="{soon.pk}"' in page
    assert 'data-nav="insurance"' in page


def test_volunteer_without_role_is_refused(client, volunteer):
    assert as_user(client, volunteer.user).get("/insurance/").status_code == 403


def test_create_policy_from_the_page(client, org, org_admin):
    r = as_user(client, org_admin).post(
        "/insurance/new/",
        {
            "holder_id": str(org.pk),
            "insurer": "中国人寿财产保险股份有限公司",
            "policy_no": "PAGE-1",
            "kind": "accident",
            "cover": "listed",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "sum_insured": "300000",
        },
    )
    assert r.status_code == 302
    p = InsurancePolicy.objects.get(policy_no="PAGE-1")
    assert p.holder == org and r["Location"] == f"/insurance/{p.pk}/"


def test_wrong_org_gets_404_everywhere(client, org, org_admin, other_org_admin, volunteer):
    p = listed_policy(org_admin, org, volunteer)
    c = as_user(client, other_org_admin)
    for url in (f"/insurance/{p.pk}/", f"/insurance/{p.pk}/document/", f"/insurance/{p.pk}/insured.xlsx"):
        assert c.get(url).status_code == 404, url
    r = c.post(f"/insurance/{p.pk}/import/", {"file": list_of(volunteer)})
    assert r.status_code == 404


def test_import_page_bad_list_saves_nothing_and_shows_reasons(client, org, org_admin, volunteer):
    p = policy(org_admin, org)
    upload = insured_list([(volunteer.name, "110101199003071234")])
    r = as_user(client, org_admin).post(f"/insurance/{p.pk}/import/", {"file": upload})
    assert r.status_code == 400
    assert "名单有误，未导入任何人员" in html(r)
    assert not InsuredPerson.objects.exists()


def test_import_page_then_list(client, org, org_admin, volunteer):
    p = policy(org_admin, org)
    c = as_user(client, org_admin)
    r = c.post(f"/insurance/{p.pk}/import/", {"file": list_of(volunteer)})
    assert r.status_code == 302
    page = html(c.get(f"/insurance/{p.pk}/"))
    assert volunteer.volunteer_no in page and volunteer.id_number_masked in page


def test_document_private_and_audited(client, org, org_admin, county_manager, other_county_manager):
    p = policy(org_admin, org)
    f = io.BytesIO(PDF)
    f.name = "policy.pdf"
    c = as_user(client, org_admin)
    assert c.post(f"/insurance/{p.pk}/document/", {"file": f}).status_code == 302
    r = c.get(f"/insurance/{p.pk}/document/")
    assert r.status_code == 200 and r.content == PDF and r["Content-Type"] == "application/pdf"
    assert as_user(client, county_manager).get(f"/insurance/{p.pk}/document/").status_code == 200
    assert as_user(client, other_county_manager).get(f"/insurance/{p.pk}/document/").status_code == 404
    client.logout()
    assert client.get(f"/insurance/{p.pk}/document/").status_code == 302  # to the login page
    assert AuditEntry.objects.filter(action="insurance.policy.document_download").count() == 2


def test_cover_check_page_yes_and_no_with_reason(client, org, org_admin, volunteer):
    other = register(name="何未列")
    member(org, other, admin=org_admin)
    listed_policy(org_admin, org, volunteer, policy_no="CHK-1")
    c = as_user(client, org_admin)
    r = c.get("/insurance/check/", {"organization": org.pk, "volunteer_no": volunteer.volunteer_no, "on": IN_YEAR.isoformat()})
    assert r.status_code == 200 and 'data-cover-answer="yes"' in html(r)
    r = c.get("/insurance/check/", {"organization": org.pk, "volunteer_no": other.volunteer_no, "on": IN_YEAR.isoformat()})
    assert 'data-cover-answer="no"' in html(r)
    assert "该志愿者不在保单 CHK-1 的被保险人名单中" in html(r)


def test_cover_check_page_hides_strangers(client, org, org_admin):
    stranger = register(name="孙陌生")
    r = as_user(client, org_admin).get(
        "/insurance/check/", {"organization": org.pk, "volunteer_no": stranger.volunteer_no, "on": IN_YEAR.isoformat()}
    )
    assert r.status_code == 404 or "没有找到该志愿者" in html(r)
    assert "data-cover-answer" not in html(r)

"""Consent and rights (VOL-6): withdrawal restricts, data download holds own data only."""

import io
import json

import pytest
from openpyxl import load_workbook

from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.models import ConsentRecord, PrivacyNotice, Volunteer
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db


def test_withdraw_consent_hides_the_person_from_every_manager(volunteer, county_manager, city_manager, platform_admin):
    assert Volunteer.objects.visible_to(county_manager).filter(pk=volunteer.pk).exists()
    svc.consent_withdraw(actor=volunteer.user)
    volunteer.refresh_from_db()
    assert volunteer.restricted_at is not None
    for manager in (county_manager, city_manager, platform_admin):
        assert not Volunteer.objects.visible_to(manager).filter(pk=volunteer.pk).exists()
    assert not Volunteer.objects.active_for_processing().filter(pk=volunteer.pk).exists()
    assert not Volunteer.objects.processable().filter(pk=volunteer.pk).exists()
    # records are kept, not deleted
    assert Volunteer.objects.filter(pk=volunteer.pk).exists()
    assert ConsentRecord.objects.filter(volunteer=volunteer, kind="privacy", withdrawn_at__isnull=False).count() == 1
    # retention duties can still reach the row explicitly
    assert Volunteer.objects.visible_to(county_manager, include_restricted=True).filter(pk=volunteer.pk).exists()


def test_restricted_person_cannot_be_revealed_or_managed(volunteer, county_manager):
    from zhiyuan.core.errors import NotFound

    svc.consent_withdraw(actor=volunteer.user)
    with pytest.raises(NotFound):
        svc.volunteer_reveal_id_number(actor=county_manager, volunteer_id=volunteer.pk)


def test_restricted_person_still_reaches_own_data_and_can_consent_again(volunteer, county_manager):
    svc.consent_withdraw(actor=volunteer.user)
    data = svc.my_data(actor=volunteer.user)
    assert data["profile"]["restricted_at"]
    with pytest.raises(DomainError):
        svc.consent_withdraw(actor=volunteer.user)
    svc.consent_accept(actor=volunteer.user)
    volunteer.refresh_from_db()
    assert volunteer.restricted_at is None
    assert Volunteer.objects.visible_to(county_manager).filter(pk=volunteer.pk).exists()


def test_new_notice_version_asks_for_consent_again(volunteer, platform_admin, county_manager):
    assert not svc.consent_status(volunteer=volunteer)["needs_privacy"]
    with pytest.raises(PermissionDenied):
        svc.privacy_notice_publish(actor=county_manager, version="2.0", title="告知书", body="新版本")
    svc.privacy_notice_publish(actor=platform_admin, version="2.0", title="告知书", body="新版本")
    assert PrivacyNotice.objects.filter(is_current=True).get().version == "2.0"
    assert svc.consent_status(volunteer=volunteer)["needs_privacy"]
    with pytest.raises(DomainError):
        svc.consent_accept(actor=volunteer.user, version="1.0")
    svc.consent_accept(actor=volunteer.user, version="2.0")
    assert not svc.consent_status(volunteer=volunteer)["needs_privacy"]
    with pytest.raises(DomainError):
        svc.privacy_notice_publish(actor=platform_admin, version="2.0", title="x", body="y")


def test_data_download_contains_own_data_only(volunteer, huiyang_volunteer, county_manager):
    svc.correction_request_create(actor=volunteer.user, field="name", name="陈志原", reason="错别字")
    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="suspended", reason="核查")
    data = svc.my_data(actor=volunteer.user)
    own = documents.document_unseal(volunteer.id_number_sealed)
    other = documents.document_unseal(huiyang_volunteer.id_number_sealed)
    blob = json.dumps(data, ensure_ascii=False)
    assert data["profile"]["id_number"] == own  # the person's own number, unmasked
    assert data["profile"]["volunteer_no"] == volunteer.volunteer_no
    assert data["profile"]["mobile"] == volunteer.user.mobile
    assert other not in blob and huiyang_volunteer.name not in blob and huiyang_volunteer.volunteer_no not in blob
    assert huiyang_volunteer.user.mobile not in blob
    assert {c["kind"] for c in data["consents"]} == {"privacy", "oath"}
    assert [h["to"] for h in data["status_history"]] == ["active", "suspended"]
    assert data["correction_requests"][0]["requested"] == "陈志原"
    entry = AuditEntry.objects.get(action="volunteer.data_export")
    assert own not in json.dumps(entry.detail)


def test_excel_download_has_profile_and_history_sheets(minor_volunteer):
    body = svc.my_data_xlsx(actor=minor_volunteer.user)
    wb = load_workbook(io.BytesIO(body))
    # profile, the six sections of volunteers, then one sheet per registered provider (memberships)
    from zhiyuan.volunteers.data_export import data_export_providers

    assert len(wb.sheetnames) == 7 + len(data_export_providers())
    profile = {r[0]: r[1] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert profile["id_number"] == documents.document_unseal(minor_volunteer.id_number_sealed)
    assert profile["name"] == "王小明"
    guardians = list(wb.worksheets[2].iter_rows(values_only=True))
    assert guardians[1][0] == "李监护"


def test_excel_cells_are_neutralised_against_formula_injection(volunteer, county_manager):
    svc.volunteer_change_status(
        actor=county_manager, volunteer_id=volunteer.pk, to_status="suspended", reason='=HYPERLINK("http://x")'
    )
    wb = load_workbook(io.BytesIO(svc.my_data_xlsx(actor=volunteer.user)))
    reasons = [row[2] for row in wb.worksheets[3].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in reasons


def test_location_needs_separate_consent_and_withdrawal_erases_it(volunteer):
    with pytest.raises(DomainError) as e:
        svc.volunteer_update_profile(actor=volunteer.user, change=svc.ProfileChange(home_lat="23.1", home_lng="114.4"))
    assert "home_location" in e.value.fields
    svc.volunteer_update_profile(
        actor=volunteer.user, change=svc.ProfileChange(home_lat="23.1", home_lng="114.4", accept_location=True)
    )
    volunteer.refresh_from_db()
    assert volunteer.home_lat is not None
    assert ConsentRecord.objects.filter(volunteer=volunteer, kind="location", withdrawn_at__isnull=True).exists()
    svc.consent_withdraw(actor=volunteer.user, kind="location")
    volunteer.refresh_from_db()
    assert volunteer.home_lat is None and volunteer.home_lng is None and volunteer.restricted_at is None


def test_users_without_a_profile_get_not_registered(plain_user):
    with pytest.raises(DomainError) as e:
        svc.consent_withdraw(actor=plain_user)
    assert e.value.status == 404
    with pytest.raises(DomainError):
        svc.my_data(actor=plain_user)


def test_imported_volunteer_consent_source_recorded(city_manager):
    [r] = svc.volunteer_register_many(actor=city_manager, rows=[f.registration_input(password="")])
    assert set(r.volunteer.consents.values_list("source", flat=True)) == {"import"}


def test_privacy_page_shows_consents_as_readable_records(client, volunteer):
    """Issue #8 item 5: the consent records fit a phone (no table) and name versions in words."""
    client.force_login(volunteer.user)
    html = client.get("/volunteers/me/privacy/").content.decode()
    assert "oath-2014" not in html and "中国志愿者誓词（2014年版）" in html
    block = html.split("data-consents", 1)[1].split("</ul>", 1)[0]
    assert "<table" not in block and 'data-consent="oath"' in block and 'data-consent="privacy"' in block

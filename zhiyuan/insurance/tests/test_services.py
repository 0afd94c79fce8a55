"""Policies, documents and insured lists: scope, bad input, nothing half-saved, private files."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from zhiyuan.accounts.scopes import MANAGE
from zhiyuan.core.audit import AuditEntry
from zhiyuan.core.errors import DomainError, NotFound, PermissionDenied
from zhiyuan.insurance import selectors, services
from zhiyuan.insurance.models import InsurancePolicy, InsuredPerson
from zhiyuan.insurance.tests.factories import id_number, insured_list, list_of, listed_policy, policy, policy_data
from zhiyuan.volunteers.tests.factories import register, resident_id

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(data: bytes, name="policy.pdf"):
    f = io.BytesIO(data)
    f.name, f.size = name, len(data)
    return f


# --- policies and scope --------------------------------------------------------------------------


def test_org_admin_registers_own_policy_not_anothers(org, org_admin, other_org):
    p = policy(org_admin, org)
    assert p.holder == org and p.region_code == org.region_code
    assert AuditEntry.objects.filter(action="insurance.policy.create", object_id=str(p.pk)).exists()
    with pytest.raises(DomainError) as exc:
        policy(org_admin, other_org)
    assert "holder_id" in exc.value.fields


def test_policy_number_unique_per_insurer(org, org_admin):
    policy(org_admin, org, policy_no="DUP-1")
    with pytest.raises(DomainError) as exc:
        policy(org_admin, org, policy_no="DUP-1")
    assert "policy_no" in exc.value.fields
    policy(org_admin, org, policy_no="DUP-1", insurer="中国平安财产保险股份有限公司")  # another insurer: fine


@pytest.mark.parametrize(
    "values, field",
    [
        ({"ends_on": dt.date(2025, 12, 31)}, "ends_on"),
        ({"sum_insured": "0"}, "sum_insured"),
        ({"sum_insured": "abc"}, "sum_insured"),
        ({"kind": "life"}, "kind"),
        ({"cover": "everyone"}, "cover"),
        ({"insurer": ""}, "insurer"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"policy_no": "P\x00-1"}, "policy_no"),
        ({"note": "x" * 201}, "note"),
    ],
)
def test_bad_policy_input(org, org_admin, values, field):
    with pytest.raises(DomainError) as exc:
        services.policy_create(actor=org_admin, data=policy_data(holder_id=org.pk, **values))
    assert field in exc.value.fields
    assert not InsurancePolicy.objects.exists()


def test_platform_policy_only_inside_the_managers_region(county_manager, org_admin):
    policy(county_manager, None, cover="members", region_code="441302000000")
    with pytest.raises(DomainError) as exc:
        policy(county_manager, None, cover="members", region_code="441303000000")
    assert "region_code" in exc.value.fields
    with pytest.raises(DomainError):
        policy(org_admin, None, cover="members", region_code="441302000000")


def test_scope_wrong_org_is_404(org, org_admin, other_org_admin, county_manager, other_county_manager, platform_admin):
    p = policy(org_admin, org)
    with pytest.raises(NotFound):
        selectors.policy_get(actor=other_org_admin, id=p.pk)
    with pytest.raises(NotFound):
        selectors.policy_get(actor=other_county_manager, id=p.pk)
    for actor in (org_admin, county_manager, platform_admin):
        assert selectors.policy_get(actor=actor, id=p.pk, action=MANAGE) == p
    assert list(selectors.policy_scope(actor=other_org_admin)) == []


def test_cancel_needs_manage_and_happens_once(org, org_admin, volunteer):
    p = policy(org_admin, org)
    with pytest.raises(PermissionDenied):
        services.policy_cancel(actor=volunteer.user, policy=p, on=dt.date(2026, 3, 1))
    services.policy_cancel(actor=org_admin, policy=p, on=dt.date(2026, 3, 1))
    with pytest.raises(DomainError) as exc:
        services.policy_cancel(actor=org_admin, policy=p, on=dt.date(2026, 4, 1))
    assert exc.value.status == 409


# --- expiry ------------------------------------------------------------------------------------------


def test_expiring_policies_listed_for_their_managers(org, org_admin, other_org_admin, other_org, capsys):
    soon = policy(org_admin, org, policy_no="SOON", ends_on=dt.date(2026, 6, 20))
    policy(org_admin, org, policy_no="LATER", ends_on=dt.date(2026, 12, 31))
    policy(org_admin, org, policy_no="GONE", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2026, 5, 1))
    on = dt.date(2026, 6, 1)
    assert list(selectors.policies_expiring(actor=org_admin, on=on)) == [soon]
    assert list(selectors.policies_expiring(actor=other_org_admin, on=on)) == []
    assert list(selectors.policies_expiring(actor=org_admin, on=on, within_days=10)) == []
    call_command("insurance_expiry_alerts", "--on", "2026-06-01")
    out = capsys.readouterr().out
    assert "SOON" in out and "LATER" not in out and "GONE" not in out


# --- the insured list ---------------------------------------------------------------------------


def test_import_matches_by_document_number_and_stores_no_plaintext(org, org_admin, volunteer):
    p = policy(org_admin, org)
    report = services.insured_import(actor=org_admin, policy=p, upload=list_of(volunteer))
    assert report.ok and report.added == 1
    person = InsuredPerson.objects.get(policy=p)
    assert person.volunteer == volunteer and person.id_number_index == volunteer.id_number_index
    number = id_number(volunteer)
    row = InsuredPerson.objects.filter(pk=person.pk).values().get()
    assert all(number not in str(v) for v in row.values())
    entry = AuditEntry.objects.get(action="insurance.insured.import")
    assert number not in str(entry.detail)
    p.refresh_from_db()
    assert p.insured_count == 1
    # again: counted as already listed, not added twice
    again = services.insured_import(actor=org_admin, policy=p, upload=list_of(volunteer))
    assert again.ok and again.added == 0 and again.already == 1
    p.refresh_from_db()
    assert p.insured_count == 1


def test_bad_rows_save_nothing_and_say_why(org, org_admin, volunteer):
    stranger = resident_id(address="110101")  # checksum-valid, nobody registered
    p = policy(org_admin, org)
    rows = [
        (volunteer.name, id_number(volunteer), ""),
        ("错名字", id_number(register(name="郑对名")), ""),
        ("陌生人", "110101199003071234", ""),
        (volunteer.name, id_number(volunteer), ""),
        ("陌生人", stranger, ""),
    ]
    report = services.insured_import(actor=org_admin, policy=p, upload=insured_list(rows))
    assert not report.ok and report.added == 0
    assert not InsuredPerson.objects.exists()
    by_row = {(e.row, e.field): e.message for e in report.errors}
    assert by_row[(3, "name")] == "姓名与该证件号码登记的志愿者姓名不一致。"
    assert (4, "id_number") in by_row  # bad checksum
    assert by_row[(5, "id_number")] == "与第2行的证件号码重复。"
    assert by_row[(6, "id_number")] == "未找到使用该证件号码注册的志愿者。"
    assert AuditEntry.objects.get(action="insurance.insured.import").result == "failed"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: upload(b"not a workbook", "x.xlsx"), "无法读取"),
        (lambda: insured_list([], header=("姓名", "证件号码")), "没有数据行"),
        (lambda: insured_list([("张三", "1")], header=("名字", "号码")), "缺少必填列"),
    ],
)
def test_bad_files_save_nothing(org, org_admin, make, message):
    p = policy(org_admin, org)
    report = services.insured_import(actor=org_admin, policy=p, upload=make())
    assert not report.ok and any(message in m for m in report.file_errors)
    assert not InsuredPerson.objects.exists()


def test_number_typed_as_a_number_is_refused(org, org_admin, volunteer):
    p = policy(org_admin, org)
    report = services.insured_import(actor=org_admin, policy=p, upload=insured_list([(volunteer.name, 441302199005170011)]))
    assert not report.ok and report.errors[0].field == "id_number"


def test_too_many_rows(org, org_admin, settings):
    settings.ZHIYUAN_INSURANCE_IMPORT_MAX_ROWS = 2
    p = policy(org_admin, org)
    report = services.insured_import(actor=org_admin, policy=p, upload=insured_list([("张三", "x")] * 3))
    assert report.file_errors and not InsuredPerson.objects.exists()


def test_import_needs_manage_and_a_list_policy(org, org_admin, other_org_admin, volunteer):
    p = policy(org_admin, org)
    with pytest.raises(PermissionDenied):
        services.insured_import(actor=other_org_admin, policy=p, upload=list_of(volunteer))
    blanket = policy(org_admin, org, cover="members")
    with pytest.raises(DomainError):
        services.insured_import(actor=org_admin, policy=blanket, upload=list_of(volunteer))


def test_remove_from_list(org, org_admin, volunteer):
    p = listed_policy(org_admin, org, volunteer)
    person = InsuredPerson.objects.get(policy=p)
    services.insured_remove(actor=org_admin, policy=p, person_id=person.pk)
    p.refresh_from_db()
    assert p.insured_count == 0 and not InsuredPerson.objects.exists()


# --- the policy document ----------------------------------------------------------------------------


def test_document_is_encrypted_at_rest_and_read_back_audited(org, org_admin, settings):
    p = policy(org_admin, org)
    services.policy_document_upload(actor=org_admin, policy=p, upload=upload(PDF))
    p.refresh_from_db()
    stored = (services.document_dir() / p.document_path).read_bytes()
    assert PDF not in stored and b"%PDF" not in stored
    assert str(services.document_dir()).startswith(str(settings.ZHIYUAN_PRIVATE_DIR))
    assert services.policy_document_read(actor=org_admin, policy=p) == PDF
    assert AuditEntry.objects.filter(action="insurance.policy.document_download").count() == 1
    # a new document replaces the old file
    old = p.document_path
    services.policy_document_upload(actor=org_admin, policy=p, upload=upload(PDF + b"v2"))
    p.refresh_from_db()
    assert p.document_path != old


def test_document_type_and_size_checked(org, org_admin, settings):
    p = policy(org_admin, org)
    with pytest.raises(DomainError):
        services.policy_document_upload(actor=org_admin, policy=p, upload=upload(b"<html>", "x.pdf"))
    settings.ZHIYUAN_INSURANCE_DOCUMENT_MAX_MB = 0
    with pytest.raises(DomainError) as exc:
        services.policy_document_upload(actor=org_admin, policy=p, upload=upload(PDF))
    assert exc.value.status == 413
    p.refresh_from_db()
    assert not p.has_document

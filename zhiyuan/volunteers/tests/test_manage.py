"""Scope, unmasked reveal (audited), status changes (VOL-2, VOL-9) and correction handling."""

import pytest

from zhiyuan.accounts.roles import Role
from zhiyuan.core.audit import audit_verify
from zhiyuan.core.errors import DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.models import Volunteer, VolunteerStatusChange
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db


def test_visible_to_is_scoped_by_residence(volunteer, huiyang_volunteer, county_manager, city_manager, platform_admin):
    assert set(Volunteer.objects.visible_to(county_manager)) == {volunteer}
    assert set(Volunteer.objects.visible_to(city_manager)) == {volunteer, huiyang_volunteer}
    assert set(Volunteer.objects.visible_to(platform_admin)) == {volunteer, huiyang_volunteer}


def test_plain_users_and_volunteers_see_nobody(volunteer, huiyang_volunteer, plain_user):
    assert not Volunteer.objects.visible_to(plain_user).exists()
    assert not Volunteer.objects.visible_to(volunteer.user).exists()
    assert not Volunteer.objects.visible_to(None).exists()


def test_county_manager_cannot_see_reveal_or_suspend_other_county(huiyang_volunteer, county_manager):
    from zhiyuan.volunteers.selectors import volunteer_get

    with pytest.raises(NotFound):
        volunteer_get(actor=county_manager, volunteer_id=huiyang_volunteer.pk)
    with pytest.raises(NotFound):
        svc.volunteer_reveal_id_number(actor=county_manager, volunteer_id=huiyang_volunteer.pk)
    with pytest.raises(NotFound):
        svc.volunteer_change_status(actor=county_manager, volunteer_id=huiyang_volunteer.pk, to_status="suspended", reason="x")
    huiyang_volunteer.refresh_from_db()
    assert huiyang_volunteer.status == "active"
    assert not AuditEntry.objects.filter(action="volunteer.reveal_id").exists()


def test_city_manager_reveals_once_and_it_is_audited(huiyang_volunteer, city_manager):
    number = svc.volunteer_reveal_id_number(actor=city_manager, volunteer_id=huiyang_volunteer.pk, reason="核实身份")
    assert number == documents.document_unseal(huiyang_volunteer.id_number_sealed)
    entry = AuditEntry.objects.get(action="volunteer.reveal_id")
    assert entry.actor_id == city_manager.pk
    assert entry.object_type == "volunteers.volunteer" and entry.object_id == str(huiyang_volunteer.pk)
    assert entry.detail["reason"] == "核实身份"
    assert number not in str(entry.detail) and number not in entry.actor_label
    checked, broken, why = audit_verify()
    assert broken is None and checked >= 1, why


def test_each_reveal_is_a_new_audit_entry(volunteer, county_manager):
    for _ in range(2):
        svc.volunteer_reveal_id_number(actor=county_manager, volunteer_id=volunteer.pk)
    assert AuditEntry.objects.filter(action="volunteer.reveal_id").count() == 2


def test_org_admin_who_sees_a_member_may_not_reveal(volunteer, db):
    """A role that sees the volunteer through a scope provider (organization admin) gets 403."""
    from django.db.models import Q

    from zhiyuan.accounts import scopes
    from zhiyuan.testing import make_user

    admin = make_user("13900000077", "组织管理员", role=Role.ORG_ADMIN, object_id=1)

    def provider(actor):
        return Q(pk=volunteer.pk) if actor.pk == admin.pk else None

    scopes.register_scope_provider("volunteers.Volunteer", provider)
    try:
        assert list(Volunteer.objects.visible_to(admin)) == [volunteer]
        with pytest.raises(PermissionDenied):
            svc.volunteer_reveal_id_number(actor=admin, volunteer_id=volunteer.pk)
        with pytest.raises(PermissionDenied):
            svc.volunteer_change_status(actor=admin, volunteer_id=volunteer.pk, to_status="suspended", reason="x")
    finally:
        scopes.unregister_scope_provider("volunteers.Volunteer", provider)


def test_reveal_reason_is_length_checked(volunteer, county_manager):
    with pytest.raises(DomainError) as e:
        svc.volunteer_reveal_id_number(actor=county_manager, volunteer_id=volunteer.pk, reason="x" * 10_000)
    assert "reason" in e.value.fields
    assert not AuditEntry.objects.filter(action="volunteer.reveal_id").exists()


def test_status_change_with_history_and_audit(volunteer, county_manager):
    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="suspended", reason="多次无故缺席")
    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="active", reason="已说明情况")
    volunteer.refresh_from_db()
    assert volunteer.status == "active"
    history = list(
        VolunteerStatusChange.objects.filter(volunteer=volunteer).order_by("id").values_list("from_status", "to_status")
    )
    assert history == [("", "active"), ("active", "suspended"), ("suspended", "active")]
    assert AuditEntry.objects.filter(action="volunteer.status_change", object_id=str(volunteer.pk)).count() == 2


@pytest.mark.parametrize(
    ("to_status", "reason", "code"),
    [
        ("active", "x", "no_change"),
        ("bogus", "x", "invalid"),
        ("suspended", "", "invalid"),
        ("suspended", "理" * 10_000, "invalid"),
    ],
)
def test_status_change_refusals(volunteer, county_manager, to_status, reason, code):
    with pytest.raises(DomainError) as e:
        svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status=to_status, reason=reason)
    assert e.value.code == code
    volunteer.refresh_from_db()
    assert volunteer.status == "active"


def test_volunteer_exits_voluntarily_and_cannot_change_others(volunteer, huiyang_volunteer):
    svc.volunteer_exit(actor=volunteer.user, reason="工作调动")
    volunteer.refresh_from_db()
    assert volunteer.status == "exited"
    with pytest.raises(NotFound):
        svc.volunteer_change_status(actor=volunteer.user, volunteer_id=huiyang_volunteer.pk, to_status="suspended", reason="x")
    with pytest.raises(DomainError):
        svc.volunteer_exit(actor=volunteer.user, reason="再次")


def test_manager_may_reinstate_an_exited_volunteer(volunteer, county_manager):
    svc.volunteer_exit(actor=volunteer.user, reason="搬家")
    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="active", reason="本人申请恢复")
    volunteer.refresh_from_db()
    assert volunteer.status == "active"


# --- correction requests ----------------------------------------------------------------------


def test_name_correction_approved_by_scoped_manager(volunteer, county_manager, other_county_manager):
    req = svc.correction_request_create(actor=volunteer.user, field="name", name="陈志原", reason="错别字")
    with pytest.raises(NotFound):
        svc.correction_request_resolve(actor=other_county_manager, request_id=req.pk, approve=True)
    svc.correction_request_resolve(actor=county_manager, request_id=req.pk, approve=True)
    volunteer.refresh_from_db()
    assert volunteer.name == "陈志原" and volunteer.user.display_name == "陈志原"
    assert AuditEntry.objects.filter(action="volunteer.correction_resolve").count() == 1
    with pytest.raises(DomainError):
        svc.correction_request_resolve(actor=county_manager, request_id=req.pk, approve=True)


def test_document_correction_reseals_and_reindexes(volunteer, county_manager):
    new_number = f.resident_id(birth=f.years_ago(40), male=False)
    req = svc.correction_request_create(
        actor=volunteer.user, field="document", id_type="111", id_number=new_number, reason="号码错误"
    )
    assert new_number not in req.requested_sealed and new_number not in req.requested_masked
    svc.correction_request_resolve(actor=county_manager, request_id=req.pk, approve=True)
    volunteer.refresh_from_db()
    assert documents.document_unseal(volunteer.id_number_sealed) == new_number
    assert volunteer.id_number_index == documents.document_index("111", new_number)
    assert volunteer.gender == "2" and volunteer.birth_date == f.years_ago(40)


def test_document_correction_to_someone_elses_number_is_refused(volunteer, minor_volunteer, county_manager):
    other = documents.document_unseal(minor_volunteer.id_number_sealed)
    req = svc.correction_request_create(actor=volunteer.user, field="document", id_type="111", id_number=other, reason="x")
    with pytest.raises(DomainError) as e:
        svc.correction_request_resolve(actor=county_manager, request_id=req.pk, approve=True)
    assert e.value.code == "duplicate" and "王" not in str(e.value.message)


def test_rejection_needs_a_response_and_one_pending_per_field(volunteer, county_manager):
    req = svc.correction_request_create(actor=volunteer.user, field="gender", gender="2", reason="性别错误")
    with pytest.raises(DomainError):
        svc.correction_request_create(actor=volunteer.user, field="gender", gender="2", reason="再次")
    with pytest.raises(DomainError) as e:
        svc.correction_request_resolve(actor=county_manager, request_id=req.pk, approve=False, response="")
    assert "response" in e.value.fields
    svc.correction_request_resolve(actor=county_manager, request_id=req.pk, approve=False, response="与证件一致，无需更正")
    volunteer.refresh_from_db()
    assert volunteer.gender == "1"


def test_correction_input_is_validated(volunteer):
    with pytest.raises(DomainError):
        svc.correction_request_create(actor=volunteer.user, field="name", name="<script>", reason="x")
    with pytest.raises(DomainError):
        svc.correction_request_create(actor=volunteer.user, field="document", id_type="111", id_number="123", reason="x")
    with pytest.raises(DomainError):
        svc.correction_request_create(actor=volunteer.user, field="name", name="陈志原", reason="长" * 10_000)
    with pytest.raises(DomainError):
        svc.correction_request_create(actor=volunteer.user, field="status", reason="x")

"""Registration rules (VOL-1/2/3/5/7) through the real service."""

import datetime as dt

import pytest

from zhiyuan.accounts.models import User
from zhiyuan.core import crypto
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents
from zhiyuan.volunteers.models import ConsentRecord, GuardianConsent, Volunteer, VolunteerStatusChange
from zhiyuan.volunteers.numbers import volunteer_no_is_valid
from zhiyuan.volunteers.services import RegistrationInput, registration_validate, volunteer_register, volunteer_register_many
from zhiyuan.volunteers.tests import factories as f
from zhiyuan.volunteers.texts import OATH_VERSION

pytestmark = pytest.mark.django_db


def fields_of(exc_info) -> dict:
    return exc_info.value.fields


def test_registration_creates_login_and_volunteer_with_derived_data():
    data = f.registration_data(name="张三", birth=dt.date(1990, 5, 17), male=False)
    v = volunteer_register(actor=None, registration=RegistrationInput(**data))
    v.refresh_from_db()
    assert v.user.mobile == data["mobile"] and v.user.check_password(f.PASSWORD)
    assert v.user.display_name == "张三"
    assert v.birth_date == dt.date(1990, 5, 17)
    assert v.gender == "2"  # even sequence digit: female (GB 11643)
    assert v.region_code == f.HUICHENG_TOWN
    assert v.status == Volunteer.Status.ACTIVE and v.restricted_at is None
    # VOL-2: sealed, blind-indexed, masked
    assert data["id_number"] not in v.id_number_sealed
    assert documents.document_unseal(v.id_number_sealed) == data["id_number"]
    assert v.id_number_index == crypto.blind_index(f"111:{data['id_number']}", purpose="volunteers.id_number")
    assert v.id_number_masked != data["id_number"] and "*" in v.id_number_masked
    # VOL-3: own number with a check character, not derived from the document
    assert volunteer_no_is_valid(v.volunteer_no)
    assert v.volunteer_no[:10] not in data["id_number"]
    # VOL-6/7: privacy + oath recorded; status history starts
    kinds = set(v.consents.values_list("kind", flat=True))
    assert kinds == {"privacy", "oath"}
    assert v.consents.get(kind="oath").version == OATH_VERSION
    assert v.consents.get(kind="privacy").notice.is_current
    assert VolunteerStatusChange.objects.filter(volunteer=v, to_status="active").count() == 1


def test_volunteer_numbers_are_distinct_and_not_from_the_document():
    a = f.register()
    b = f.register()
    assert a.volunteer_no != b.volunteer_no
    for v in (a, b):
        number = documents.document_unseal(v.id_number_sealed)
        assert v.volunteer_no[:10] not in number


def test_duplicate_document_is_refused_without_revealing_whose():
    first = f.register(name="赵一")
    number = documents.document_unseal(first.id_number_sealed)
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(name="钱二", id_number=number))
    msgs = " ".join(fields_of(e)["id_number"])
    assert "已注册" in msgs
    assert "赵" not in msgs and first.volunteer_no not in msgs and first.user.mobile not in msgs
    assert Volunteer.objects.count() == 1 and User.objects.filter(display_name="钱二").count() == 0


def test_duplicate_detected_for_lowercase_x_and_spaces():
    number = None
    while number is None or not number.endswith("X"):
        number = f.resident_id()
    f.register(id_number=number)
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(id_number=" " + number.lower() + " "))
    assert "id_number" in fields_of(e)


def test_duplicate_mobile_refused_and_nothing_half_saved():
    first = f.register()
    data = f.registration_data(mobile=first.user.mobile)
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=RegistrationInput(**data))
    assert "mobile" in fields_of(e)
    assert Volunteer.objects.count() == 1


def test_invalid_document_number_gives_field_message():
    bad = f.resident_id()
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # wrong check digit
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(id_number=bad))
    assert fields_of(e)["id_number"]
    assert Volunteer.objects.count() == 0 and User.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "<script>alert(1)</script>"),
        ("name", "张三😀"),
        ("name", "张" * 10_000),
        ("name", ""),
        ("mobile", "1" * 10_000),
        ("password", "Aa1!" * 2_500),
        ("email", "x" * 10_000),
        ("region_code", "9" * 10_000),
        ("id_number", "4" * 10_000),
        ("password", "12345678"),
    ],
)
def test_hostile_input_rejected_with_a_message(field, value):
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(**{field: value}))
    messages = fields_of(e)[field]
    assert messages and all(isinstance(m, str) and m for m in messages)
    assert Volunteer.objects.count() == 0


def test_name_with_middle_dot_and_latin_accepted():
    v = f.register(name="阿卜杜·热合曼")
    assert v.name == "阿卜杜·热合曼"
    v2 = f.register(name="John Smith")
    assert v2.name == "John Smith"


def test_privacy_and_oath_must_be_accepted():
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(accept_privacy=False, accept_oath=False))
    assert {"accept_privacy", "accept_oath"} <= set(fields_of(e))


def test_stale_privacy_version_is_refused():
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(privacy_version="0.1-old"))
    assert "accept_privacy" in fields_of(e)


def test_region_must_be_a_town_or_deeper():
    for code in ("441302000000", "441300000000"):
        with pytest.raises(DomainError) as e:
            volunteer_register(actor=None, registration=f.registration_input(region_code=code))
        assert "region_code" in fields_of(e)
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(region_code="441302999000"))
    assert "region_code" in fields_of(e)


def test_region_must_reach_the_village_where_villages_exist():
    from zhiyuan.regions.models import Region

    town = Region.objects.get(code=f.HUICHENG_TOWN)
    Region.objects.create(code="441302001001", name="测试社区", level=5, parent=town, full_name=town.full_name + "/测试社区")
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(region_code=f.HUICHENG_TOWN))
    assert "社区" in " ".join(fields_of(e)["region_code"])
    v = f.register(region_code="441302001001")
    assert v.region_code == "441302001001"


# --- minors (VOL-5) -------------------------------------------------------------------------


@pytest.mark.parametrize("age", [15, 10])
def test_minor_without_guardian_is_refused(age):
    data = f.registration_data(birth=f.years_ago(age, days=10))
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=RegistrationInput(**data))
    errs = fields_of(e)
    assert {"guardian_name", "guardian_relation", "guardian_mobile", "guardian_consent"} <= set(errs)
    lead = " ".join(errs["guardian"])
    assert ("14" in lead) == (age < 14)
    assert Volunteer.objects.count() == 0 and User.objects.count() == 0


def test_minor_with_guardian_consent_unchecked_is_refused():
    data = {**f.registration_data(birth=f.years_ago(16)), **f.guardian_data(guardian_consent=False)}
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=RegistrationInput(**data))
    assert list(fields_of(e)) == ["guardian", "guardian_consent"]


def test_minor_with_guardian_is_registered_and_consent_recorded(minor_volunteer):
    g = GuardianConsent.objects.get(volunteer=minor_volunteer)
    assert g.guardian_name == "李监护" and g.relation == "mother" and g.guardian_mobile == "13800001111"
    assert g.consent.kind == ConsentRecord.Kind.GUARDIAN and g.consent.volunteer_id == minor_volunteer.pk
    from zhiyuan.volunteers.minors import age_on, volunteer_is_minor

    assert age_on(minor_volunteer.birth_date) == 15
    assert volunteer_is_minor(minor_volunteer)


def test_eighteenth_birthday_today_is_adult():
    data = f.registration_data(birth=f.years_ago(18))
    v = volunteer_register(actor=None, registration=RegistrationInput(**data))
    assert not GuardianConsent.objects.filter(volunteer=v).exists()


def test_one_day_before_eighteenth_birthday_needs_guardian():
    today = f.years_ago(0)
    birth = f.years_ago(18) + dt.timedelta(days=1)
    assert (today - birth).days < 18 * 366
    with pytest.raises(DomainError) as e:
        volunteer_register(actor=None, registration=f.registration_input(birth=birth))
    assert "guardian" in fields_of(e)


def test_future_birth_date_refused_for_documents_without_birth_date():
    # validation of a user-supplied date (documents that do not encode it)
    from zhiyuan.volunteers.selectors import privacy_notice_current
    from zhiyuan.volunteers.services.registration import _validate_fields

    _out, errors = _validate_fields(
        RegistrationInput(birth_date="2999-01-01", name="张三"),
        mode="self",
        today=dt.date(2026, 1, 1),
        notice=privacy_notice_current(),
        existing_user=None,
    )
    assert "birth_date" in errors


def test_registration_validate_writes_nothing():
    cleaned = registration_validate(registration=f.registration_input())
    assert cleaned["id_index"] and cleaned["gender"] in ("1", "2")
    assert Volunteer.objects.count() == 0 and User.objects.count() == 0


def test_signed_in_user_without_profile_registers_without_second_login(plain_user):
    data = f.registration_data()
    data.pop("mobile")
    data.pop("password")
    v = volunteer_register(actor=plain_user, user=plain_user, registration=RegistrationInput(**data))
    assert v.user_id == plain_user.pk
    assert User.objects.count() == 1
    with pytest.raises(DomainError):
        volunteer_register(actor=plain_user, user=plain_user, registration=RegistrationInput(**data))


# --- assisted and bulk ------------------------------------------------------------------------


def test_assisted_registration_in_scope_is_audited(county_manager):
    v = volunteer_register(actor=county_manager, registration=f.registration_input(password=""))
    assert not v.user.has_usable_password()
    entry = AuditEntry.objects.filter(action="volunteer.register").get()
    assert entry.actor_id == county_manager.pk and entry.object_id == str(v.pk)
    assert v.consents.filter(source="assisted").count() == 2


def test_assisted_registration_outside_scope_refused(county_manager):
    with pytest.raises(PermissionDenied):
        volunteer_register(actor=county_manager, registration=f.registration_input(region_code=f.HUIYANG_TOWN))
    assert Volunteer.objects.count() == 0


def test_register_many_validates_each_row_and_inserts_valid_rows_together(city_manager):
    dup = f.resident_id()
    rows = [
        f.registration_data(name="甲一", password=""),
        f.registration_data(name="<b>乙</b>"),
        f.registration_data(name="丙三", id_number=dup),
        f.registration_data(name="丁四", id_number=dup),
        {**f.registration_data(name="戊五", birth=f.years_ago(12)), **f.guardian_data()},
        f.registration_data(name="己六", birth=f.years_ago(12)),
        f.registration_data(name="庚七", region_code=f.HUIYANG_TOWN, address="441303"),
    ]
    for r in rows:
        r.pop("accept_privacy")
        r.pop("accept_oath")  # imports: signed on paper, flags default to true
    results = volunteer_register_many(actor=city_manager, rows=[RegistrationInput(**r) for r in rows])
    assert [r.ok for r in results] == [True, False, True, False, True, False, True]
    assert "name" in results[1].errors
    assert "第3条" in " ".join(results[3].errors["id_number"])
    assert "guardian_name" in results[5].errors
    created = Volunteer.objects.order_by("volunteer_no")
    assert created.count() == 4
    assert len({v.volunteer_no for v in created}) == 4
    assert all(c.source == "import" for c in ConsentRecord.objects.all())
    assert GuardianConsent.objects.count() == 1
    assert AuditEntry.objects.filter(action="volunteer.import").get().detail == {"created": 4, "rejected": 3}


def test_register_many_refuses_rows_outside_scope(county_manager):
    rows = [f.registration_data(region_code=f.HUIYANG_TOWN, address="441303"), f.registration_data()]
    results = volunteer_register_many(actor=county_manager, rows=[RegistrationInput(**r) for r in rows])
    assert not results[0].ok and "region_code" in results[0].errors
    assert results[1].ok


def test_register_many_needs_a_manager(volunteer):
    with pytest.raises(PermissionDenied):
        volunteer_register_many(actor=volunteer.user, rows=[f.registration_input()])


def test_register_many_with_existing_duplicates(city_manager, volunteer):
    number = documents.document_unseal(volunteer.id_number_sealed)
    rows = [f.registration_data(id_number=number), f.registration_data(mobile=volunteer.user.mobile)]
    results = volunteer_register_many(actor=city_manager, rows=[RegistrationInput(**r) for r in rows])
    assert "id_number" in results[0].errors and "mobile" in results[1].errors
    assert Volunteer.objects.count() == 1


def test_a_volunteer_cannot_register_someone_else(volunteer):
    with pytest.raises(PermissionDenied):
        volunteer_register(actor=volunteer.user, registration=f.registration_input())
    assert Volunteer.objects.count() == 1

"""Records, certificates, expiry and renewal reminders (TRN-2); scope of records; the personal
data download."""

import datetime as dt

import pytest
from django.core.management import call_command

from zhiyuan.accounts.scopes import can
from zhiyuan.training.models import TrainingCertificate, TrainingRecord
from zhiyuan.training.services import records
from zhiyuan.training.services.common import add_months
from zhiyuan.training.tests import factories as f


def _record(actor, volunteer, course, completed_on):
    return records.record_create(actor=actor, volunteer=volunteer, course=course, source="import", completed_on=completed_on)


def test_add_months_keeps_the_last_day_of_short_months():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 11, 15), 26) == dt.date(2029, 1, 15)


def test_certificate_expires_the_day_before_the_validity_ends(county_manager, volunteer):
    c = f.course(county_manager, validity_months=12)
    rec = _record(county_manager, volunteer, c, dt.date(2025, 3, 1))
    cert = rec.certificate
    assert cert.issued_on == dt.date(2025, 3, 1) and cert.expires_on == dt.date(2026, 2, 28)
    assert cert.valid_on(dt.date(2026, 2, 28)) and not cert.valid_on(dt.date(2026, 3, 1))
    no_expiry = _record(county_manager, volunteer, f.course(county_manager, validity_months=None), dt.date(2020, 1, 1))
    assert no_expiry.certificate.expires_on is None


def test_a_course_earning_a_qualification_takes_its_validity(county_manager, volunteer):
    first_aid = f.qualification_type("first_aid")  # 36 months
    c = f.course(county_manager, validity_months=None, qualification_type=first_aid)
    cert = _record(county_manager, volunteer, c, dt.date(2025, 5, 2)).certificate
    assert cert.qualification_type == first_aid and cert.expires_on == dt.date(2028, 5, 1)


def test_a_record_cannot_be_completed_in_the_future(county_manager, volunteer):
    from zhiyuan.core.errors import DomainError

    with pytest.raises(DomainError):
        _record(county_manager, volunteer, f.course(county_manager), dt.date.today() + dt.timedelta(days=3))


def test_renewal_reminder_once_within_the_window(county_manager, volunteer, settings):
    settings.ZHIYUAN_TRAINING_RENEWAL_DAYS = 30
    c = f.course(county_manager, validity_months=12)
    today = dt.date(2026, 12, 3)
    due = _record(county_manager, volunteer, c, dt.date(2026, 1, 1)).certificate  # expires 2026-12-31
    later = _record(county_manager, volunteer, c, dt.date(2026, 3, 1)).certificate  # 2027-02-28: outside
    gone = _record(county_manager, volunteer, c, dt.date(2025, 6, 1)).certificate  # 2026-05-31: already expired
    reminded = records.certificate_renewal_remind(on=today)
    assert [x.pk for x in reminded] == [due.pk]
    due.refresh_from_db()
    assert due.renewal_reminded_on == today
    assert records.certificate_renewal_remind(on=today) == []  # once
    settings.ZHIYUAN_TRAINING_RENEWAL_DAYS = 120
    assert [x.pk for x in records.certificate_renewal_remind(on=today, dry_run=True)] == [later.pk]
    assert gone.pk not in [x.pk for x in records.certificates_due_for_renewal(on=today)]


def test_renewal_command_lists_and_marks(county_manager, volunteer, capsys):
    c = f.course(county_manager, validity_months=1)
    cert = _record(county_manager, volunteer, c, dt.date.today() - dt.timedelta(days=10)).certificate
    call_command("training_renewal_reminders")
    out = capsys.readouterr().out
    assert cert.certificate_no in out
    cert.refresh_from_db()
    assert cert.renewal_reminded_on is not None


def test_records_are_seen_by_the_holder_their_region_and_the_organization(
    county_manager, other_county_manager, volunteer, huiyang_volunteer, plain_user
):
    from zhiyuan.organizations.tests.factories import active_org, applicant

    admin = applicant("组织管理员")
    org = active_org(county_manager, actor=admin)
    other_admin = applicant("别的组织管理员")
    active_org(county_manager, actor=other_admin)
    c = f.course(admin, organization=org)
    mine = records.record_create(
        actor=admin, volunteer=volunteer, course=c, source="import", completed_on=dt.date(2026, 1, 5), organization=org
    )
    theirs = _record(county_manager, huiyang_volunteer, f.course(county_manager), dt.date(2026, 1, 5))
    visible = lambda actor: set(TrainingRecord.objects.visible_to(actor).values_list("pk", flat=True))  # noqa: E731
    assert visible(volunteer.user) == {mine.pk}
    assert visible(huiyang_volunteer.user) == {theirs.pk}
    assert visible(county_manager) == {mine.pk}  # the record follows the volunteer's region (惠城)
    assert visible(other_county_manager) == {theirs.pk}
    assert visible(admin) == {mine.pk}
    assert visible(other_admin) == set()
    assert visible(plain_user) == set()
    assert can(volunteer.user, mine.certificate, "view") and not can(huiyang_volunteer.user, mine.certificate, "view")
    assert set(TrainingCertificate.objects.visible_to(other_admin).values_list("pk", flat=True)) == set()


def test_records_in_the_personal_data_download(county_manager, volunteer):
    from zhiyuan.volunteers.services.export import my_data

    c = f.course(county_manager, name="防溺水救援")
    _record(county_manager, volunteer, c, dt.date(2026, 2, 1))
    data = my_data(actor=volunteer.user)
    kinds = {(r["kind"], r["course"]) for r in data["training"]}
    assert ("record", "防溺水救援") in kinds and ("certificate", "防溺水救援") in kinds

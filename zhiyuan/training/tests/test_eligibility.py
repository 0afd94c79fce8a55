"""The training half of the eligibility answer: yes, or no with the precise Chinese reason; one
query for one volunteer, and the same one query for a whole enrollment list."""

import datetime as dt

from zhiyuan.training.models import TrainingCertificate
from zhiyuan.training.services import records
from zhiyuan.training.services.eligibility import training_requirements_met, training_requirements_met_batch
from zhiyuan.training.tests import factories as f


def _record(actor, volunteer, course, completed_on):
    return records.record_create(actor=actor, volunteer=volunteer, course=course, source="import", completed_on=completed_on)


def test_missing_expired_and_valid(county_manager, volunteer, django_assert_num_queries):
    swim = f.course(county_manager, name="防溺水救援", validity_months=12)
    first_aid = f.qualification_type("first_aid")
    aid_course = f.course(county_manager, name="红十字救护员", validity_months=None, qualification_type=first_aid)
    on = dt.date(2026, 6, 1)
    with django_assert_num_queries(1):
        r = training_requirements_met(volunteer=volunteer, requirements=[swim, first_aid], on=on)
    assert not r.ok and r.reasons == ["未完成「防溺水救援」培训", "未取得「急救员」资格"]
    _record(county_manager, volunteer, swim, dt.date(2025, 5, 2))  # valid until 2026-05-01
    _record(county_manager, volunteer, aid_course, dt.date(2023, 5, 2))  # 急救员 36 months: until 2026-05-01
    r = training_requirements_met(volunteer=volunteer, requirements=[swim, first_aid], on=on)
    assert r.reasons == ["防溺水救援证书已于2026-05-01过期", "急救员证书已于2026-05-01过期"]
    assert training_requirements_met(volunteer=volunteer, requirements=[swim, first_aid], on=dt.date(2026, 5, 1)).ok
    _record(county_manager, volunteer, swim, dt.date(2026, 5, 20))  # renewed
    r = training_requirements_met(volunteer=volunteer, requirements=[swim, first_aid], on=on)
    assert r.reasons == ["急救员证书已于2026-05-01过期"]
    assert not training_requirements_met(volunteer=volunteer, requirements=[swim], on=dt.date(2026, 5, 10)).ok  # the gap


def test_a_certificate_not_yet_issued_on_the_day_does_not_count(county_manager, volunteer):
    c = f.course(county_manager, name="岗前培训")
    _record(county_manager, volunteer, c, dt.date(2026, 3, 1))
    assert not training_requirements_met(volunteer=volunteer, requirements=[c], on=dt.date(2026, 2, 1)).ok
    assert training_requirements_met(volunteer=volunteer, requirements=[c], on=dt.date(2026, 3, 1)).ok
    assert training_requirements_met(volunteer=volunteer, requirements=[], on=dt.date(2026, 3, 1)).ok


def test_a_revoked_certificate_does_not_count(county_manager, volunteer):
    c = f.course(county_manager, name="岗前培训")
    rec = _record(county_manager, volunteer, c, dt.date(2026, 3, 1))
    records.certificate_revoke(actor=county_manager, certificate=rec.certificate, reason="考核作弊")
    assert training_requirements_met(volunteer=volunteer, requirements=[c], on=dt.date(2026, 4, 1)).reasons == [
        "未完成「岗前培训」培训"
    ]


def test_batch_takes_one_query_whatever_the_number_of_volunteers(
    county_manager, volunteer, huiyang_volunteer, minor_volunteer, django_assert_num_queries
):
    a = f.course(county_manager, name="甲")
    b = f.course(county_manager, name="乙")
    _record(county_manager, volunteer, a, dt.date(2026, 1, 1))
    _record(county_manager, volunteer, b, dt.date(2026, 1, 1))
    _record(county_manager, huiyang_volunteer, a, dt.date(2026, 1, 1))
    ids = [volunteer.pk, huiyang_volunteer.pk, minor_volunteer.pk]
    with django_assert_num_queries(1):
        small = training_requirements_met_batch(volunteer_ids=ids[:1], requirements=[a, b], on=dt.date(2026, 6, 1))
    with django_assert_num_queries(1):
        out = training_requirements_met_batch(volunteer_ids=[*ids, 10**9], requirements=[a, b], on=dt.date(2026, 6, 1))
    assert small[volunteer.pk].ok
    assert out[volunteer.pk].ok
    assert out[huiyang_volunteer.pk].reasons == ["未完成「乙」培训"]
    assert out[minor_volunteer.pk].reasons == ["未完成「甲」培训", "未完成「乙」培训"]
    assert not out[10**9].ok
    assert TrainingCertificate.objects.count() == 3

"""The demo training set: courses, an open session, records for about 30 % of 惠城's volunteers,
a pending qualification; seeding twice adds nothing."""

import pytest

from zhiyuan.training.models import Qualification, TrainingCertificate, TrainingCourse, TrainingRecord, TrainingSession


@pytest.fixture
def seeded(db):
    from zhiyuan.demo.data import seed

    seed(progress=lambda *_: None, province_prefix="44")


def test_demo_training_set(seeded):
    from zhiyuan.demo.data import seed

    assert TrainingCourse.objects.filter(online=True).exists()
    assert TrainingSession.objects.filter(status="open").exists()
    people = TrainingRecord.objects.values("volunteer").distinct().count()
    assert people >= 10
    assert TrainingCertificate.objects.count() >= TrainingRecord.objects.count()
    assert Qualification.objects.filter(status="pending").count() == 1
    before = TrainingRecord.objects.count()
    seed(progress=lambda *_: None, province_prefix="44")
    assert TrainingRecord.objects.count() == before

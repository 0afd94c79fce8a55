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
    # a trainer and a base about to expire, so the lists show 即将到期 (zhiyuan/demo/train9.py)
    from zhiyuan.training.models import Trainer, TrainingBase
    from zhiyuan.training.services.records import renewal_days
    from zhiyuan.volunteers.minors import today_shanghai

    soon = [
        o.certification_state(on=today_shanghai(), days=renewal_days())
        for o in (*Trainer.objects.all(), *TrainingBase.objects.all())
    ]
    assert soon.count("expiring") == 2
    before = (TrainingRecord.objects.count(), Trainer.objects.count(), TrainingBase.objects.count())
    seed(progress=lambda *_: None, province_prefix="44")
    assert (TrainingRecord.objects.count(), Trainer.objects.count(), TrainingBase.objects.count()) == before

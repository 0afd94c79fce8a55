"""Demo data of issue 9's last part (trainer and training-base pages): a trainer and a base of
惠城区 whose certifications expire within the renewal days, so the lists show 「即将到期」.
Idempotent (by certification number)."""

import datetime as dt

from django.utils import timezone

HUICHENG = "441302000000"


def seed(*, manager_user) -> list:
    from zhiyuan.training.models import Trainer, TrainingBase
    from zhiyuan.training.services import courses

    today = timezone.localdate()
    made = []
    if not Trainer.objects.filter(certification_no="HZPXS-2023-007").exists():
        made.append(
            courses.trainer_create(
                actor=manager_user,
                name="林志强",
                certification_no="HZPXS-2023-007",
                certified_on=today - dt.timedelta(days=1080),
                expires_on=today + dt.timedelta(days=12),
                specialty="心理援助",
                region_code=HUICHENG,
            )
        )
    if not TrainingBase.objects.filter(certification_no="HZJD-2022-011").exists():
        made.append(
            courses.training_base_create(
                actor=manager_user,
                name="江北社区应急培训点",
                address="惠州市惠城区江北街道云山西路12号",
                certification_no="HZJD-2022-011",
                certified_on=today - dt.timedelta(days=1400),
                expires_on=today + dt.timedelta(days=20),
                region_code=HUICHENG,
            )
        )
    return made

"""Renewal reminders reach the holder through the notification centre (ACT-7, TRN-2): one notice
per certificate and expiry, linking to the certificate, by e-mail after the commit; a daily run
repeats nothing; a person who withdrew consent is not notified."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from zhiyuan.core.models import Notification
from zhiyuan.core.notifications import periodic_notices_run
from zhiyuan.training.services import records
from zhiyuan.training.tests import factories as f


def _cert(actor, volunteer, completed_on, validity_months=12):
    c = f.course(actor, validity_months=validity_months)
    return records.record_create(
        actor=actor, volunteer=volunteer, course=c, source="import", completed_on=completed_on
    ).certificate


def test_the_holder_gets_one_notice_per_certificate(county_manager, volunteer, settings, django_capture_on_commit_callbacks):
    settings.ZHIYUAN_TRAINING_RENEWAL_DAYS = 30
    volunteer.user.email = "chen@example.cn"
    volunteer.user.save(update_fields=["email"])
    today = dt.date(2026, 12, 3)
    due = _cert(county_manager, volunteer, dt.date(2026, 1, 1))  # expires 2026-12-31
    _cert(county_manager, volunteer, dt.date(2026, 3, 1))  # 2027-02-28: outside the window
    with django_capture_on_commit_callbacks(execute=True):
        records.certificate_renewal_remind(on=today)
    [n] = Notification.objects.filter(user=volunteer.user)
    assert n.kind == "training.certificate.renewal" and n.url == f"/training/certificates/{due.pk}/"
    assert due.title in n.title and "2026-12-31" in n.title and due.certificate_no in n.body
    assert n.dedupe_key == f"training.renewal:{due.pk}:2026-12-31"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["chen@example.cn"]
    # the next day's run (and a run whose mark was lost) tells nobody again
    records.certificate_renewal_remind(on=today + dt.timedelta(days=1))
    records.TrainingCertificate.objects.filter(pk=due.pk).update(renewal_reminded_on=None)
    records.certificate_renewal_remind(on=today + dt.timedelta(days=2))
    assert Notification.objects.filter(user=volunteer.user).count() == 1


def test_dry_run_notifies_nobody(county_manager, volunteer):
    _cert(county_manager, volunteer, timezone.localdate() - dt.timedelta(days=340))
    assert records.certificate_renewal_remind(dry_run=True)
    assert not Notification.objects.exists()


def test_a_restricted_holder_is_marked_but_not_notified(county_manager, volunteer):
    cert = _cert(county_manager, volunteer, dt.date(2026, 1, 1))
    type(volunteer).objects.filter(pk=volunteer.pk).update(restricted_at=timezone.now())
    assert [c.pk for c in records.certificate_renewal_remind(on=dt.date(2026, 12, 3))] == [cert.pk]
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_the_periodic_run_includes_renewals(county_manager, volunteer):
    _cert(county_manager, volunteer, timezone.localdate() - dt.timedelta(days=340))
    assert periodic_notices_run(only=["training.renewal"]) == {"training.renewal": 1}
    assert periodic_notices_run(only=["training.renewal"]) == {"training.renewal": 0}
    assert Notification.objects.filter(user=volunteer.user, kind="training.certificate.renewal").count() == 1

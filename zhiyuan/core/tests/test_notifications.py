"""Notifications (SPEC ACT-7): ``notify`` writes in the caller's transaction, delivers by e-mail
and SMS only after it commits, as the user chose, records failures without raising them; the
centre's reads and marks are the user's own; old read notices are swept."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from zhiyuan.core import sms
from zhiyuan.core.errors import DomainError, NotFound
from zhiyuan.core.models import Notification, NotificationDelivery, NotificationPreference
from zhiyuan.core.notifications import (
    notice_topics,
    notification_deliver,
    notification_mark_read,
    notification_preferences_set,
    notifications_mark_all_read,
    notifications_sweep,
    notify,
    periodic_notices_run,
    preferences_of,
    register_periodic_notice,
    topic_for,
    unread_count,
)
from zhiyuan.testing import make_user


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.ZHIYUAN_SMS_BACKEND = "locmem"
    settings.ZHIYUAN_SITE_URL = "https://zy.example.cn"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def alice(db):
    u = make_user("13800000101", "爱丽丝")
    u.email = "alice@example.cn"
    u.save(update_fields=["email"])
    return u


@pytest.fixture
def bob(db):
    return make_user("13800000102", "鲍勃")  # no e-mail address


def shift_notice(user, **kw):
    values = {"kind": "activities.shift.reminder", "title": "明天 09:00 上岗：河边清洁", "body": "请带手套。"}
    values["url"] = "/activities/7/"
    values.update(kw)
    return notify(user=user, **values)


# --- writing ----------------------------------------------------------------------------------------


def test_a_dedupe_key_makes_the_second_notice_a_no_op(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = shift_notice(alice, dedupe_key="shift:7:20261204")
        second = shift_notice(alice, dedupe_key="shift:7:20261204", title="另一个标题")
    assert first is not None and second is None
    assert Notification.objects.filter(user=alice).count() == 1
    assert len(mail.outbox) == 1  # the repeat sent nothing either
    # the key is per user: bob gets his own
    assert shift_notice(make_user("13800000103", "卡罗尔"), dedupe_key="shift:7:20261204") is not None


def test_a_rolled_back_change_sends_nothing(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                shift_notice(alice)
                raise RuntimeError("the caller's change failed")
    assert callbacks == []
    assert not Notification.objects.filter(user=alice).exists()
    assert mail.outbox == [] and sms.outbox == []


def test_email_goes_only_after_the_commit(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice = shift_notice(alice)
    assert mail.outbox == []  # in the transaction: nothing sent yet
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the task is queued (run at once by the immediate backend)
    assert len(mail.outbox) == 1
    m = mail.outbox[0]
    assert m.to == ["alice@example.cn"]
    assert "明天 09:00 上岗：河边清洁" in m.subject and "\n" not in m.subject
    assert "请带手套。" in m.body and "https://zy.example.cn/activities/7/" in m.body
    assert NotificationDelivery.objects.get(notification=notice, channel="email").status == "sent"


def test_sms_uses_the_topics_template(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = shift_notice(alice)
    assert len(sms.outbox) == 1
    msg = sms.outbox[0]
    assert msg.mobile == alice.mobile and msg.template == "notice_shift_reminder"
    assert msg.params == {"title": notice.title[:30]} and notice.title in msg.text
    assert NotificationDelivery.objects.get(notification=notice, channel="sms").status == "sent"


def test_preferences_decide_the_channels(alice, django_capture_on_commit_callbacks):
    notification_preferences_set(actor=alice, choices={"activities.shift": {"email": False, "sms": False}})
    with django_capture_on_commit_callbacks(execute=True):
        notice = shift_notice(alice)
        training = notify(user=alice, kind="training.certificate.renewal", title="证书将到期")
    assert Notification.objects.filter(user=alice).count() == 2  # in-app always
    assert len(mail.outbox) == 1
    assert "证书将到期" in mail.outbox[0].subject  # training: e-mail by default, no SMS by default
    assert sms.outbox == []
    assert not NotificationDelivery.objects.filter(notification=notice).exists()
    assert list(NotificationDelivery.objects.filter(notification=training).values_list("channel", flat=True)) == ["email"]
    # SMS chosen for the renewal topic
    notification_preferences_set(actor=alice, choices={"training": {"sms": True}})
    assert preferences_of(alice)["training"] == {"email": True, "sms": True}  # e-mail kept: not named
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=alice, kind="training.certificate.renewal", title="证书将到期（二）")
    assert [m.template for m in sms.outbox] == ["notice_training_renewal"]


def test_unknown_topic_or_sms_where_there_is_none_is_refused_and_nothing_saved(alice):
    with pytest.raises(DomainError) as exc:
        notification_preferences_set(
            actor=alice, choices={"activities.shift": {"email": False}, "nope": {"email": True}, "insurance": {"sms": True}}
        )
    assert exc.value.status == 422 and set(exc.value.fields) == {"nope", "insurance"}
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_kinds_fall_under_the_longest_registered_prefix():
    assert topic_for("activities.shift.reminder").key == "activities.shift"
    assert topic_for("activities.enrollment.accepted").key == "activities.enrollment"
    assert topic_for("activities.shiftless").key == "other"  # whole parts only
    assert topic_for("something.new").key == "other"
    assert notice_topics()[-1].key == "other"


def test_no_address_is_recorded_as_skipped_and_a_failure_never_reaches_the_caller(
    alice, bob, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        skipped = notify(user=bob, kind="records.hours.confirmed", title="时长已确认")
    assert NotificationDelivery.objects.get(notification=skipped, channel="email").status == "skipped"

    settings.EMAIL_BACKEND = "zhiyuan.core.tests.test_notifications.BrokenEmailBackend"
    settings.ZHIYUAN_SMS_BACKEND = "zhiyuan.core.tests.test_notifications.BrokenSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notice = shift_notice(alice)  # must not raise
    rows = {d.channel: d for d in NotificationDelivery.objects.filter(notification=notice)}
    assert rows["email"].status == "failed" and "SMTPServerDisconnected" in rows["email"].error
    assert "alice@" not in rows["email"].error and "***@example.cn" in rows["email"].error  # no address kept
    assert rows["sms"].status == "failed" and "SmsError" in rows["sms"].error
    assert Notification.objects.filter(pk=notice.pk).exists()
    # the worker runs it again later: it tries again, and counts
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_deliver(notice.pk)["email"] == "sent"
    assert NotificationDelivery.objects.get(notification=notice, channel="email").attempts == 2
    # a channel already sent is not sent again
    sent_before = len(mail.outbox)
    notification_deliver(notice.pk)
    assert len(mail.outbox) == sent_before


class BrokenEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPServerDisconnected(f"the server went away while sending to {messages[0].to[0]}")


class BrokenSmsBackend(sms.SmsBackend):
    def send(self, message):
        raise sms.SmsError("provider down")


def test_a_link_elsewhere_is_dropped(alice):
    assert notify(user=alice, kind="x", title="t", url="https://evil.example/").url == ""
    assert notify(user=alice, kind="x", title="t", url="//evil.example/").url == ""
    assert notify(user=alice, kind="x", title="t", url="/training/my/").url == "/training/my/"


# --- reads and marks ----------------------------------------------------------------------------------


def test_marking_read_is_the_owners_alone(alice, bob):
    mine = notify(user=alice, kind="x", title="一", deliver=False)
    notify(user=alice, kind="x", title="二", deliver=False)
    theirs = notify(user=bob, kind="x", title="鲍勃的", deliver=False)
    assert unread_count(alice) == 2
    with pytest.raises(NotFound):
        notification_mark_read(actor=alice, id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.unread and theirs.read_at is None
    notification_mark_read(actor=alice, id=mine.pk)
    mine.refresh_from_db()
    assert not mine.unread and mine.read_at is not None
    assert unread_count(alice) == 1
    assert notifications_mark_all_read(actor=alice) == 1
    assert unread_count(alice) == 0 and unread_count(bob) == 1


def test_the_badge_count_is_bounded(alice):
    Notification.objects.bulk_create([Notification(user=alice, kind="x", title=str(i)) for i in range(105)])
    assert unread_count(alice) == 100  # BADGE_CAP + 1: "99+"


# --- retention -----------------------------------------------------------------------------------------


def test_sweep_deletes_old_read_notices_only(alice, settings):
    settings.ZHIYUAN_NOTIFICATION_KEEP_DAYS = 30
    now = timezone.now()
    old_read = notify(user=alice, kind="x", title="旧已读", deliver=False)
    fresh_read = notify(user=alice, kind="x", title="新已读", deliver=False)
    old_unread = notify(user=alice, kind="x", title="旧未读", deliver=False)
    Notification.objects.filter(pk=old_read.pk).update(unread=False, read_at=now - dt.timedelta(days=31))
    Notification.objects.filter(pk=fresh_read.pk).update(unread=False, read_at=now - dt.timedelta(days=29))
    Notification.objects.filter(pk=old_unread.pk).update(created_at=now - dt.timedelta(days=400))
    NotificationDelivery.objects.create(notification=old_read, channel="email", status="sent")
    assert notifications_sweep(now=now) == 1
    assert set(Notification.objects.values_list("pk", flat=True)) == {fresh_read.pk, old_unread.pk}


def test_sweep_command(alice, capsys):
    from django.core.management import call_command

    n = notify(user=alice, kind="x", title="t", deliver=False)
    Notification.objects.filter(pk=n.pk).update(unread=False, read_at=timezone.now() - dt.timedelta(days=1000))
    call_command("notifications_sweep")
    assert "1 read notification(s) deleted" in capsys.readouterr().out


# --- periodic notices ------------------------------------------------------------------------------------


def test_one_failing_reminder_does_not_stop_the_others(alice, monkeypatch):
    from zhiyuan.core import notifications

    monkeypatch.setattr(notifications, "_periodic", dict(notifications._periodic))

    def broken(now):
        raise ValueError("bug")

    def works(now):
        return 1 if notify(user=alice, kind="x", title="t", dedupe_key=f"t:{now:%Y%m%d}") else 0

    register_periodic_notice("a.broken", broken)
    register_periodic_notice("b.works", works)
    out = periodic_notices_run(only=["a.broken", "b.works"])
    assert isinstance(out["a.broken"], ValueError) and out["b.works"] == 1
    assert periodic_notices_run(only=["b.works"]) == {"b.works": 0}  # the same day again: nothing new


def test_remind_command_runs_the_registered_reminders(db, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("notifications_remind", "--list")
    listed = capsys.readouterr().out.split()
    assert {"training.renewal", "insurance.expiry"} <= set(listed)
    call_command("notifications_remind")
    out = capsys.readouterr().out
    assert "training.renewal\t0" in out and "insurance.expiry\t0" in out
    with pytest.raises(CommandError):
        call_command("notifications_remind", "--only", "no.such")


# --- the queue as deployed: a table of this database ------------------------------------------------


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}


def _queued(notice) -> int:
    from django_tasks.backends.database.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path__endswith="notification_deliver_task", args_kwargs__args=[notice.pk]).count()


def test_with_the_database_queue_the_task_is_written_in_the_callers_transaction(
    alice, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            notice = shift_notice(alice)
            assert _queued(notice) == 1  # one commit for the change, the notice and its delivery
    assert callbacks == []
    assert mail.outbox == []  # the worker sends it, not the caller


def test_with_the_database_queue_a_rolled_back_change_queues_nothing(alice, database_queue):
    from django_tasks.backends.database.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        shift_notice(alice)
        raise RuntimeError("the caller's change failed")
    assert not Notification.objects.filter(user=alice).exists()
    assert not DBTaskResult.objects.exists()


def test_a_broken_queue_leaves_the_notice_and_the_callers_transaction(alice, database_queue, monkeypatch, caplog):
    from django_tasks.backends.database import DatabaseBackend

    def broken(*args, **kwargs):
        Notification.objects.create(user=alice, kind="x", title="写了一半")  # a write the savepoint undoes
        raise RuntimeError("queue table missing")

    monkeypatch.setattr(DatabaseBackend, "enqueue", broken)
    with transaction.atomic():
        notice = shift_notice(alice)
        assert notice is not None
        alice.save(update_fields=["email"])  # the transaction is still usable
    assert list(Notification.objects.filter(user=alice).values_list("title", flat=True)) == [notice.title]
    assert "could not be queued" in caplog.text

"""Notifications (SPEC ACT-7): one call, ``notify``, for every app that tells a user something
(enrollment result, reminder before a shift, hours confirmed, certificate ready, renewal and
expiry reminders).

``notify`` writes the in-app notice in the caller's transaction (so a rolled-back change sends
nothing) and, once that transaction commits, queues a background task
(``core.tasks.notification_deliver_task``) that hands it to the user's other channels: e-mail
(Django's mail framework, ``EMAIL_*`` settings) and SMS (``core.sms``, templates only). A slow
SMTP server never holds up the request; a failed send is logged and recorded
(``NotificationDelivery``), never raised to the caller. A ``dedupe_key`` makes a repeated notice a
no-op (a scheduled reminder that runs twice). Callers pass the title and body already
translated (gettext); ``url`` is a path on this site.

Which channels a notice takes is decided per *topic*: a prefix of its ``kind``
(``activities.shift`` covers ``activities.shift.reminder``). A topic names its defaults and its
SMS template; a user's ``NotificationPreference`` rows override the defaults (the account
settings page and ``/api/v1/notifications/preferences``). A kind under no registered topic is
in the ``other`` topic (e-mail on, no SMS). Apps add topics with ``register_notice_topic``.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.models import Notification, NotificationDelivery, NotificationPreference
from zhiyuan.core.rows import row_insert

logger = logging.getLogger("zhiyuan.notifications")

EMAIL = "email"
SMS = "sms"
CHANNELS = (EMAIL, SMS)
TASK_PATH = "zhiyuan.core.tasks.notification_deliver_task"
BADGE_CAP = 99  # the badge counts at most this many (then shows "99+"): a bounded query


@dataclass(frozen=True)
class NoticeTopic:
    """A group of notice kinds the user chooses channels for. ``key`` is a kind prefix (whole
    dot-separated parts). ``sms_template`` names a ``core.sms`` template with the one parameter
    ``title``; without it the topic never goes by SMS."""

    key: str
    label: object
    email: bool = True  # default when the user has not chosen
    sms: bool = False
    sms_template: str = ""
    order: int = 100


OTHER = NoticeTopic("other", _("其他通知"), email=True, sms=False, order=1000)
_topics: dict[str, NoticeTopic] = {}


def register_notice_topic(topic: NoticeTopic) -> None:
    _topics[topic.key] = topic


def notice_topics() -> list[NoticeTopic]:
    """Every topic a user may choose channels for, in page order (``other`` last)."""
    return sorted([*_topics.values(), OTHER], key=lambda t: (t.order, t.key))


def topic_for(kind: str) -> NoticeTopic:
    """The registered topic with the longest key that is a whole-part prefix of ``kind``."""
    parts = kind.split(".")
    for n in range(len(parts), 0, -1):
        topic = _topics.get(".".join(parts[:n]))
        if topic is not None:
            return topic
    return OTHER


# The topics of SPEC ACT-7 (their kinds are written by activities and records) and of the
# periodic reminders (training, insurance). Registered here, in core, so the preferences page
# lists them whatever apps are installed.
for _topic in (
    NoticeTopic("activities.enrollment", _("报名结果"), sms=False, sms_template="notice_enrollment", order=10),
    NoticeTopic("activities.shift", _("上岗提醒"), sms=True, sms_template="notice_shift_reminder", order=20),
    NoticeTopic("records.hours", _("服务时长确认"), order=30),
    NoticeTopic("records.certificate", _("志愿服务证明"), order=40),
    NoticeTopic("training", _("培训证书续期提醒"), sms=False, sms_template="notice_training_renewal", order=50),
    NoticeTopic("insurance", _("保险到期提醒"), order=60),
):
    register_notice_topic(_topic)


# --- writing a notice ----------------------------------------------------------------------------


def _safe_path(url: str) -> str:
    """Only a path on this site (``/…``, not ``//host``): a notice never links elsewhere."""
    url = (url or "").strip()
    return url[:300] if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


def notify(
    *, user, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str | None = None, deliver: bool = True
) -> Notification | None:
    """Tell ``user``; returns the notice, or None when ``dedupe_key`` was already used for them.

    The notice is written in the caller's transaction; its e-mail/SMS delivery is queued in that
    transaction too when the queue is a table of this database (django-tasks' database backend,
    as deployed), otherwise once it commits (``deliver=False``: in-app only). Either way a
    rolled-back change sends nothing."""
    notice = Notification(
        user=user, kind=kind, title=str(title)[:120], body=str(body), url=_safe_path(url), dedupe_key=dedupe_key
    )
    if dedupe_key is None:
        row_insert(notice)  # nothing unique to collide with: no savepoint (the sign-up's path)
    else:
        if Notification.objects.filter(user=user, dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():
                row_insert(notice)
        except IntegrityError:  # the same dedupe key written concurrently
            return None
    if deliver:
        notice_id = notice.pk
        if transaction.get_connection().in_atomic_block and _queue_in_this_database():
            # The queue is a table of this database: the delivery task is written in the caller's
            # transaction, so it exists exactly when the notice does, and the caller commits once
            # instead of twice (a sign-up's second commit was a tenth of it; docs/benchmarks.md §15).
            try:
                with transaction.atomic():
                    _enqueue(notice_id, log=False)
            except Exception:  # the queue is broken: the notice stays in the centre
                logger.exception("notification %s: delivery could not be queued", notice_id)
        else:
            transaction.on_commit(lambda: _enqueue(notice_id), robust=True)
    return notice


def _queue_in_this_database() -> bool:
    from django_tasks.backends.database import DatabaseBackend

    from zhiyuan.core.tasks import notification_deliver_task

    return isinstance(notification_deliver_task.get_backend(), DatabaseBackend)


def _enqueue(notice_id: int, *, log: bool = True) -> None:
    from zhiyuan.core.tasks import notification_deliver_task

    try:
        notification_deliver_task.enqueue(notice_id)
    except Exception:  # the queue is down: the notice stays in the centre; never the caller's fault
        if not log:
            raise
        logger.exception("notification %s: delivery could not be queued", notice_id)


# --- delivering it (the background task) ---------------------------------------------------------


def preferences_of(user) -> dict[str, dict[str, bool]]:
    """``{topic key: {"email": bool, "sms": bool}}`` for every topic: the user's choices over the
    topics' defaults (a topic without an SMS template is never SMS)."""
    chosen = {p.topic: p for p in NotificationPreference.objects.filter(user=user)}
    out = {}
    for t in notice_topics():
        p = chosen.get(t.key)
        out[t.key] = {
            EMAIL: p.email if p else t.email,
            SMS: bool(t.sms_template) and (p.sms if p else t.sms),
        }
    return out


def channels_for(user, kind: str) -> list[str]:
    """The channels (besides in-app) a notice of ``kind`` goes out on for ``user``."""
    topic = topic_for(kind)
    p = NotificationPreference.objects.filter(user=user, topic=topic.key).first()
    email = p.email if p else topic.email
    sms = bool(topic.sms_template) and (p.sms if p else topic.sms)
    return [c for c, on in ((EMAIL, email), (SMS, sms)) if on]


def notification_deliver(notice_id: int) -> dict[str, str]:
    """Send one notice on the user's chosen channels; returns ``{channel: status}``. A channel
    already sent is not sent again (the task may run twice); a failure is recorded and logged."""
    notice = Notification.objects.select_related("user").filter(pk=notice_id).first()
    if notice is None or not notice.user.is_active:
        return {}
    result = {}
    for channel in channels_for(notice.user, notice.kind):
        delivery, _created = NotificationDelivery.objects.get_or_create(
            notification=notice, channel=channel, defaults={"status": NotificationDelivery.Status.FAILED}
        )
        if delivery.status == NotificationDelivery.Status.SENT and not _created:
            result[channel] = delivery.status
            continue
        status, error = _send(channel, notice)
        delivery.status, delivery.error, delivery.updated_at = status, error[:200], timezone.now()
        delivery.attempts += 1
        delivery.save(update_fields=["status", "error", "updated_at", "attempts"])
        result[channel] = status
    return result


def _send(channel: str, notice: Notification) -> tuple[str, str]:
    S = NotificationDelivery.Status
    try:
        if channel == EMAIL:
            if not notice.user.email:
                return S.SKIPPED, "no e-mail address"
            _send_email(notice)
        else:
            if not notice.user.mobile:
                return S.SKIPPED, "no mobile"
            _send_sms(notice)
    except Exception as exc:  # SMTP refused, provider down, timeout: recorded, never raised
        logger.warning("notification %s: %s delivery failed: %s", notice.pk, channel, exc.__class__.__name__)
        return S.FAILED, _error_text(exc, notice.user)
    return S.SENT, ""


def _error_text(exc: Exception, user) -> str:
    """The error as recorded: its class and message without the address it was sent to (an SMTP
    refusal names the recipient)."""
    from zhiyuan.core.crypto import mask_mobile

    text = f"{exc.__class__.__name__}: {exc}"
    if user.email:
        text = text.replace(user.email, "***@" + user.email.rpartition("@")[2])
    if user.mobile:
        text = text.replace(user.mobile, mask_mobile(user.mobile))
    return text[:200]


def site_url(path: str) -> str:
    base = (getattr(settings, "ZHIYUAN_SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base and path else path


def _send_email(notice: Notification) -> None:
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.utils import translation

    # the wrapper in the user's language (the title and body come translated by the caller)
    with translation.override(notice.user.language or settings.LANGUAGE_CODE):
        subject = f"[{_('志愿服务信息系统')}] {notice.title}"
        text = render_to_string(
            "core/notification_email.txt",
            {"notice": notice, "link": site_url(notice.url), "centre": site_url("/notifications/")},
        )
    EmailMessage(subject=subject.replace("\n", " "), body=text, to=[notice.user.email]).send(fail_silently=False)


def _send_sms(notice: Notification) -> None:
    from zhiyuan.core.sms import sms_send

    topic = topic_for(notice.kind)
    # provider templates cap a parameter's length (Alibaba Cloud: 35 characters)
    sms_send(mobile=notice.user.mobile, template=topic.sms_template, params={"title": notice.title[:30]})


# --- the centre: reads and marks ------------------------------------------------------------------


def unread_count(user) -> int:
    """Unread notices of ``user``, up to ``BADGE_CAP + 1``: the badge's one query, the ids of at
    most 100 rows read from the (user, unread, id) index — bounded whatever the user's backlog,
    and no COUNT (rule 9: the pages' tests refuse any COUNT on a page)."""
    return len(Notification.objects.filter(user=user, unread=True).values_list("id", flat=True)[: BADGE_CAP + 1])


def notification_get(*, actor, id) -> Notification:
    """One of the actor's own notices; anyone else's is "not found" (404), like a missing one."""
    from zhiyuan.core.errors import NotFound

    notice = Notification.objects.filter(pk=id, user_id=getattr(actor, "pk", None)).first()
    if notice is None:
        raise NotFound()
    return notice


def notification_mark_read(*, actor, id) -> Notification:
    notice = notification_get(actor=actor, id=id)
    if notice.unread:
        notice.unread, notice.read_at = False, timezone.now()
        Notification.objects.filter(pk=notice.pk, unread=True).update(unread=False, read_at=notice.read_at)
    return notice


def notifications_mark_all_read(*, actor) -> int:
    """Mark every unread notice of the actor read; returns how many."""
    return Notification.objects.filter(user=actor, unread=True).update(unread=False, read_at=timezone.now())


def notification_preferences_set(*, actor, choices: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    """Save the actor's channel choices: ``{topic: {"email": bool, "sms": bool}}`` (topics not
    named keep theirs). An unknown topic, or SMS for a topic without an SMS template, is refused."""
    from zhiyuan.core.errors import DomainError

    topics = {t.key: t for t in notice_topics()}
    errors = {}
    for key, c in choices.items():
        if key not in topics:
            errors[key] = [_("没有这类通知。")]
        elif c.get(SMS) and not topics[key].sms_template:
            errors[key] = [_("这类通知不发送短信。")]
    if errors:
        raise DomainError("invalid", _("通知设置有误，请检查后重试。"), fields=errors, status=422)
    before = preferences_of(actor)
    with transaction.atomic():
        for key, c in choices.items():
            current = before[key]
            NotificationPreference.objects.update_or_create(
                user=actor,
                topic=key,
                defaults={"email": bool(c.get(EMAIL, current[EMAIL])), "sms": bool(c.get(SMS, current[SMS]))},
            )
    return preferences_of(actor)


# --- periodic notices (reminders) -----------------------------------------------------------------


_periodic: dict[str, Callable[[dt.datetime], int]] = {}


def register_periodic_notice(name: str, run) -> None:
    """A reminder ``manage.py notifications_remind`` runs: ``run(now) -> notices written``. It
    finds what is due at ``now`` and calls ``notify`` with a ``dedupe_key`` naming the thing and
    the occasion (``f"activities.shift.reminder:{shift.pk}:{shift.starts_at:%Y%m%d%H%M}"``), so
    running it again — the schedule overlaps, a run crashed half-way — tells nobody twice.
    Registered in the app's ``AppConfig.ready`` (training, insurance)."""
    _periodic[name] = run


def periodic_notices() -> list[str]:
    return sorted(_periodic)


def periodic_notices_run(*, now=None, only: list[str] | None = None) -> dict[str, int | Exception]:
    """Run every registered reminder (or ``only`` those): ``{name: notices written}``; one that
    fails is logged and returned as its exception, and the others still run."""
    now = now or timezone.now()
    out: dict[str, int | Exception] = {}
    for name in periodic_notices():
        if only and name not in only:
            continue
        try:
            out[name] = int(_periodic[name](now) or 0)
        except Exception as exc:
            logger.exception("periodic notice %s failed", name)
            out[name] = exc
    return out


# --- retention -----------------------------------------------------------------------------------


def notifications_sweep(*, now=None, keep_days: int | None = None) -> int:
    """Delete read notices read more than ``ZHIYUAN_NOTIFICATION_KEEP_DAYS`` days ago (unread ones
    stay until read). Returns how many were deleted (their delivery rows go with them)."""
    now = now or timezone.now()
    days = settings.ZHIYUAN_NOTIFICATION_KEEP_DAYS if keep_days is None else keep_days
    cutoff = now - dt.timedelta(days=days)
    total = 0
    while True:  # in batches: one sweep never holds a long write lock
        ids = list(Notification.objects.filter(unread=False, read_at__lt=cutoff).values_list("id", flat=True)[:5000])
        if not ids:
            return total
        NotificationDelivery.objects.filter(notification_id__in=ids).delete()
        total += Notification.objects.filter(id__in=ids).delete()[1].get("core.Notification", 0)

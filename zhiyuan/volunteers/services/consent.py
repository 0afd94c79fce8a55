"""Consent and the rights of the person (SPEC VOL-6, PIPL 14–17, 44–47).

Withdrawing consent to the privacy notice *restricts* the person (``restricted_at``): the
records are kept for the legal retention period (GB/T 40143: 10 years) but nothing processes
them any more — ``Volunteer.objects.visible_to`` leaves them out of every list, search, export
and match, and no card token is issued. Accepting the current notice again lifts the
restriction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import actor_is_platform_admin
from zhiyuan.core.audit import audit_record, client_ip
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.volunteers.models import ConsentRecord, PrivacyNotice, Volunteer
from zhiyuan.volunteers.selectors import privacy_notice_current, volunteer_for
from zhiyuan.volunteers.tallies import tally_moved
from zhiyuan.volunteers.texts import LOCATION_CONSENT_VERSION, OATH_VERSION
from zhiyuan.volunteers.validation import clean_text

_restriction_listeners: list = []


def register_restriction_listener(listener) -> None:
    """``listener(volunteer, *, restricted: bool)`` runs inside the transaction that restricts a
    person or lifts the restriction. Higher apps keep figures that leave restricted people out
    (the organizations' member counts) with it."""
    if listener not in _restriction_listeners:
        _restriction_listeners.append(listener)


def _restriction_changed(volunteer: Volunteer, *, restricted: bool) -> None:
    # the person leaves the totals (restricted) or counts again, in this transaction
    key = (volunteer.region_code, volunteer.status)
    if restricted:
        tally_moved(key, None)
    else:
        tally_moved(None, key)
    for listener in _restriction_listeners:
        listener(volunteer, restricted=restricted)


def consent_status(*, volunteer: Volunteer) -> dict:
    """Which consents are in force: ``privacy`` (for the current notice), ``oath``, ``location``,
    and whether the person must (re)accept the current notice."""
    active = list(volunteer.consents.filter(withdrawn_at__isnull=True).select_related("notice"))
    notice = privacy_notice_current()
    privacy = [c for c in active if c.kind == ConsentRecord.Kind.PRIVACY]
    current = [c for c in privacy if notice and c.notice_id == notice.pk]
    return {
        "privacy_current": bool(current),
        "privacy_any": bool(privacy),
        "oath": any(c.kind == ConsentRecord.Kind.OATH for c in active),
        "location": any(c.kind == ConsentRecord.Kind.LOCATION for c in active),
        "notice": notice,
        "needs_privacy": notice is not None and not current,
    }


@transaction.atomic
def consent_accept(*, actor, kind: str = ConsentRecord.Kind.PRIVACY, version: str = "", request=None) -> ConsentRecord:
    """The person accepts the current privacy notice (first time after an import, after a new
    version, or to lift a restriction), the oath, or the separate location consent."""
    volunteer = volunteer_for(actor, for_update=True)
    now = timezone.now()
    ip = client_ip(request)
    if kind == ConsentRecord.Kind.PRIVACY:
        notice = privacy_notice_current()
        if notice is None:
            raise DomainError("no_notice", _("平台尚未发布隐私政策。"))
        if version and version != notice.version:
            raise DomainError(
                "stale_notice", _("隐私政策已更新，请阅读最新版本后重新确认。"), fields={"version": [_("版本不是最新。")]}
            )
        record = volunteer.consents.filter(kind=kind, notice=notice, withdrawn_at__isnull=True).first()
        if record is None:
            record = ConsentRecord.objects.create(
                volunteer=volunteer, kind=kind, notice=notice, version=notice.version, accepted_at=now, ip=ip
            )
        if volunteer.is_restricted:
            volunteer.restricted_at = None
            volunteer.updated_at = now
            volunteer.save(update_fields=["restricted_at", "updated_at"])
            _restriction_changed(volunteer, restricted=False)
        return record
    if kind in (ConsentRecord.Kind.OATH, ConsentRecord.Kind.LOCATION):
        record = volunteer.consents.filter(kind=kind, withdrawn_at__isnull=True).first()
        if record is None:
            record = ConsentRecord.objects.create(
                volunteer=volunteer,
                kind=kind,
                version=OATH_VERSION if kind == ConsentRecord.Kind.OATH else LOCATION_CONSENT_VERSION,
                accepted_at=now,
                ip=ip,
            )
        return record
    raise DomainError("invalid", _("不支持的同意类型。"), fields={"kind": [_("不支持的同意类型。")]})


@transaction.atomic
def consent_withdraw(*, actor, kind: str = ConsentRecord.Kind.PRIVACY, request=None) -> Volunteer:
    """Withdraw a consent (PIPL 15: as easy as giving it).

    * ``privacy``: every privacy consent gets ``withdrawn_at``; the person is restricted
      (``restricted_at``) — kept, not deleted (PIPL 47 with a legal retention period).
    * ``location``: the separate location consent is withdrawn and the stored home location
      erased (it is optional, so nothing needs to keep it).
    The oath and a guardian's consent are part of the registration record and are not
    withdrawn separately; withdrawing privacy consent stops all processing anyway."""
    volunteer = volunteer_for(actor, for_update=True)
    now = timezone.now()
    if kind == ConsentRecord.Kind.PRIVACY:
        if volunteer.is_restricted:
            raise DomainError("already_restricted", _("您已撤回同意，个人信息处理已停止。"), status=409)
        volunteer.consents.filter(kind=kind, withdrawn_at__isnull=True).update(withdrawn_at=now)
        volunteer.restricted_at = now
        volunteer.updated_at = now
        volunteer.save(update_fields=["restricted_at", "updated_at"])
        _restriction_changed(volunteer, restricted=True)
        audit_record(actor=actor, action="volunteer.consent_withdraw", obj=volunteer, request=request, detail={"kind": kind})
        return volunteer
    if kind == ConsentRecord.Kind.LOCATION:
        volunteer.consents.filter(kind=kind, withdrawn_at__isnull=True).update(withdrawn_at=now)
        volunteer.home_lat = volunteer.home_lng = None
        volunteer.updated_at = now
        volunteer.save(update_fields=["home_lat", "home_lng", "updated_at"])
        return volunteer
    raise DomainError("invalid", _("该同意不能单独撤回。"), fields={"kind": [_("该同意不能单独撤回。")]})


@transaction.atomic
def privacy_notice_publish(*, actor, version: str, title: str, body: str, request=None) -> PrivacyNotice:
    """A platform admin publishes a new version; it becomes the only current one. People who
    accepted an older version are asked to accept the new one when they next sign in."""
    if not actor_is_platform_admin(actor):
        raise PermissionDenied(_("只有平台管理员可以发布隐私政策。"))
    errors = {}
    version, err = clean_text(version, label=_("版本"), max_length=20, required=True)
    if err:
        errors["version"] = [err]
    title, err = clean_text(title, label=_("标题"), max_length=100, required=True)
    if err:
        errors["title"] = [err]
    body, err = clean_text(body, label=_("正文"), max_length=50_000, required=True, allow_newlines=True)
    if err:
        errors["body"] = [err]
    if not errors.get("version") and PrivacyNotice.objects.filter(version=version).exists():
        errors["version"] = [_("该版本号已存在。")]
    if errors:
        raise DomainError("invalid", _("提交的数据有误，请检查后重试。"), fields=errors)
    PrivacyNotice.objects.filter(is_current=True).update(is_current=False)
    notice = PrivacyNotice.objects.create(version=version, title=title, body=body, is_current=True)
    audit_record(actor=actor, action="volunteer.privacy_notice_publish", obj=notice, request=request)
    return notice

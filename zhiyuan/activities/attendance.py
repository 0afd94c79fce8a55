"""Check-in and check-out 签到签退 (SPEC ACT-4) and the forgotten check-out (ACT-5).

Four ways to check in or out, one rule path (``_record``):

* ``qr`` — the volunteer's phone scans the rotating QR code on the organizer's screen: a token
  for (shift, expiry) signed with the instance's Ed25519 signing key (``core.crypto.sign``, the
  key id travels in the token, so a token signed just before a key rotation still verifies)::

      zyq1.<key id>.<shift id>.<expiry, unix seconds>.<signature, base64url>

  valid ``ZHIYUAN_ATTENDANCE_QR_TTL_SECONDS`` (30–60) and re-issued every
  ``ZHIYUAN_ATTENDANCE_QR_REFRESH_SECONDS``; a token of another shift or past its expiry is refused.
* ``ecard`` — the organizer scans the volunteer's e-card (VOL-8): the card's own signed token,
  checked by ``volunteers.services.card.card_token_verify`` (no second card token).
* ``code`` — a 6-digit session code the organizer reads out: HMAC of (shift, time step) under a
  key derived from the secret key (``salted_hmac``), rotating every
  ``ZHIYUAN_ATTENDANCE_CODE_STEP_SECONDS`` (the previous step's code is still accepted); wrong
  guesses are counted per volunteer and refused beyond ``ZHIYUAN_ATTENDANCE_CODE_MAX_FAILURES``
  in ``ZHIYUAN_ATTENDANCE_CODE_FAILURE_WINDOW_SECONDS``.
* ``manual`` — the organizer records it with a reason; flagged ``manual`` and audited.

Checks (all settings, ``docs/operations.md`` "Check-in"): the time window (check-in from
``EARLY_MINUTES`` before the shift's start to its end, flagged ``late`` after ``LATE_MINUTES``;
check-out until ``CHECKOUT_AFTER_MINUTES`` after the end), the geofence (haversine distance from
the activity's point beyond ``geofence_m`` + ``GEOFENCE_TOLERANCE_M`` is refused; a device without
a position is accepted and flagged ``no_position`` while ``ALLOW_NO_POSITION`` is on), offline
records (a device time more than ``OFFLINE_AFTER_SECONDS`` before receipt is the time of the
record, flagged ``offline``; beyond ``OFFLINE_GRACE_HOURS`` refused). Only an accepted
enrollment of that shift checks in; a check-out needs a check-in.

Idempotent (ARCHITECTURE rule 5): every request carries a ``client_request_id``; the accepted
answer is stored on its ``CheckEvent`` and a repeated request gets the stored answer back and
writes nothing — also when two copies race (the unique constraint refuses the second insert and
the stored answer is read after it). Refusals are not stored: they change nothing, and a retry
is judged again.

``attendance_close_overdue`` (``manage.py attendance_close`` / ``tasks.attendance_close_task``)
closes a forgotten check-out at the shift's end with method ``auto_close`` and the flag
``auto_closed``: the hour ledger reads the flags and never credits such a record unreviewed.
"""

import base64
import binascii
import datetime as dt
import math
import re
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_is_platform_admin, actor_object_ids, actor_region_prefixes, actor_token_prefix
from zhiyuan.activities.models import (
    ACTIVE_ENROLLMENT,
    Activity,
    Attendance,
    CheckEvent,
    CheckMethod,
    Enrollment,
    EnrollmentStatus,
    Shift,
)
from zhiyuan.core import crypto
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.rows import row_insert
from zhiyuan.volunteers.models import Volunteer

IN, OUT = "in", "out"
KINDS = (IN, OUT)
QR_PREFIX = "zyq1"
QR_RE = re.compile(r"^zyq1\.([A-Za-z0-9_-]{1,8})\.([0-9]{1,18})\.([0-9]{10})\.([A-Za-z0-9_-]{86})$")
CODE_RE = re.compile(r"^[0-9]{6}$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
EARTH_RADIUS_M = 6_371_008.8

FLAG_LATE = "late"
FLAG_EARLY_LEAVE = "early_leave"
FLAG_NO_POSITION = "no_position"
FLAG_OFFLINE = "offline"
FLAG_MANUAL = "manual"
FLAG_AUTO_CLOSED = "auto_closed"
FLAG_LABELS = {
    FLAG_LATE: _("迟到"),
    FLAG_EARLY_LEAVE: _("早退"),
    FLAG_NO_POSITION: _("未提供定位"),
    FLAG_OFFLINE: _("离线补传"),
    FLAG_MANUAL: _("人工补录"),
    FLAG_AUTO_CLOSED: _("未签退，已自动签退"),
}


# --- settings -------------------------------------------------------------------------------


def _setting(name: str, default):
    return getattr(settings, f"ZHIYUAN_ATTENDANCE_{name}", default)


def qr_ttl() -> int:
    """Seconds a QR token lives, kept inside 30–60 (SPEC ACT-4)."""
    return max(30, min(60, int(_setting("QR_TTL_SECONDS", 45))))


def qr_refresh() -> int:
    return max(5, min(qr_ttl() - 10, int(_setting("QR_REFRESH_SECONDS", 15))))


def code_step() -> int:
    return max(30, int(_setting("CODE_STEP_SECONDS", 60)))


# --- tokens and codes -----------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _qr_message(kid: str, shift_id: int, expiry: int) -> bytes:
    return f"zhiyuan.attendance.qr.v1|{kid}|{shift_id}|{expiry}".encode("ascii")


def qr_token_for(shift_id: int, *, now: float | None = None) -> tuple[str, int]:
    """(token, expiry). Every screen of one shift shows the same token within one refresh step
    (Ed25519 is deterministic), so two organizers' screens agree."""
    now = int(now if now is not None else time.time())
    step = qr_refresh()
    expiry = (now // step) * step + qr_ttl()
    kid = crypto.signing_key_id()
    _kid, sig = crypto.sign(_qr_message(kid, shift_id, expiry))
    return f"{QR_PREFIX}.{kid}.{shift_id}.{expiry}.{_b64(sig)}", expiry


def _extract(raw: str) -> str:
    """The bare token, or the one inside the scan-page URL the QR code holds (``…?t=<token>``)."""
    raw = (raw or "").strip()
    if len(raw) > 1000:
        return ""
    if "?" in raw or raw.startswith(("http://", "https://", "/")):
        values = parse_qs(urlsplit(raw).query).get("t")
        return values[0].strip() if values else ""
    return raw


def qr_token_verify(token: str, *, at: float) -> int:
    """The shift id of a valid token at unix time ``at``; DomainError otherwise."""
    m = QR_RE.fullmatch(_extract(token))
    invalid = DomainError("token_invalid", _("签到二维码无效，请重新扫描组织者屏幕上的二维码。"))
    if not m:
        raise invalid
    kid, shift_id, expiry, sig_text = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    try:
        sig = base64.urlsafe_b64decode(sig_text + "==")
    except (binascii.Error, ValueError):
        raise invalid from None
    if len(sig) != 64 or _b64(sig) != sig_text or not crypto.verify(_qr_message(kid, shift_id, expiry), sig, key_id=kid):
        raise invalid
    if at > expiry:
        raise DomainError("token_expired", _("签到二维码已过期，请扫描组织者屏幕上最新的二维码。"))
    if at < expiry - qr_ttl() - int(_setting("CLOCK_SKEW_SECONDS", 30)):
        raise invalid  # issued "in the future": a clock problem or a forgery attempt
    return shift_id


def session_code(shift_id: int, step: int) -> str:
    digest = salted_hmac("zhiyuan.attendance.code", f"{shift_id}|{step}", algorithm="sha256").hexdigest()
    return f"{int(digest[:12], 16) % 1_000_000:06d}"


def session_code_for(shift_id: int, *, now: float | None = None) -> tuple[str, int]:
    """(code, unix time it changes)."""
    now = int(now if now is not None else time.time())
    step = code_step()
    return session_code(shift_id, now // step), (now // step + 1) * step


def session_code_matches(shift_id: int, code: str, *, at: float) -> bool:
    """The code of the step ``at`` falls in, or of the step before (read out just before it
    turned)."""
    step = int(at) // code_step()
    return any(constant_time_compare(code, session_code(shift_id, s)) for s in (step, step - 1))


def _code_failures_key(actor) -> str:
    return f"attendance-code-fail:{actor.pk}:{int(time.time()) // int(_setting('CODE_FAILURE_WINDOW_SECONDS', 600))}"


def _code_guard(actor) -> None:
    if (cache.get(_code_failures_key(actor)) or 0) >= int(_setting("CODE_MAX_FAILURES", 5)):
        raise DomainError("too_many_attempts", _("签到码错误次数过多，请稍后再试或请组织者扫码签到。"), status=429)


def _code_failed(actor) -> None:
    key = _code_failures_key(actor)
    if not cache.add(key, 1, timeout=int(_setting("CODE_FAILURE_WINDOW_SECONDS", 600)) + 1):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=int(_setting("CODE_FAILURE_WINDOW_SECONDS", 600)) + 1)


# --- geofence -------------------------------------------------------------------------------


def haversine_m(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _position(latitude, longitude) -> tuple[Decimal, Decimal] | None:
    if latitude is None and longitude is None:
        return None
    try:
        lat, lon = Decimal(str(latitude)).quantize(Decimal("0.000001")), Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except (InvalidOperation, TypeError, ValueError):
        lat = lon = None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError("invalid", _("定位数据无效。"), fields={"latitude": [_("定位数据无效。")]}, status=422)
    return lat, lon


def geofence_check(activity, position, flags: list) -> None:
    """Refused beyond the radius plus the tolerance; without a position flagged (or refused
    when the setting forbids it). An activity without a point has no geofence."""
    if activity.latitude is None or activity.longitude is None:
        return
    if position is None:
        if not _setting("ALLOW_NO_POSITION", True):
            raise DomainError("position_required", _("请允许获取定位后再签到。"))
        flags.append(FLAG_NO_POSITION)
        return
    distance = haversine_m(activity.latitude, activity.longitude, *position)
    limit = activity.geofence_m + int(_setting("GEOFENCE_TOLERANCE_M", 50))
    if distance > limit:
        raise DomainError(
            "outside_geofence",
            _("您距活动地点约%(d)s米，超出签到范围（%(r)s米），请到达活动地点后再签到。")
            % {"d": int(distance), "r": activity.geofence_m},
        )


# --- request inputs -------------------------------------------------------------------------


@dataclass
class CheckRequest:
    """What every way of checking in or out carries (the API body, the page's form)."""

    kind: str
    client_request_id: str
    device_time: dt.datetime | None = None
    latitude: float | Decimal | None = None
    longitude: float | Decimal | None = None


def _validate(req: CheckRequest) -> None:
    if req.kind not in KINDS:
        raise DomainError("invalid", _("签到类型无效。"), fields={"kind": [_("签到类型无效。")]}, status=422)
    if not REQUEST_ID_RE.fullmatch(req.client_request_id or ""):
        msg = _("请求编号须为 8–64 位字母、数字或 _ . : -。")
        raise DomainError("invalid", msg, fields={"client_request_id": [msg]}, status=422)


def _event_time(req: CheckRequest, received: dt.datetime) -> tuple[dt.datetime, bool]:
    """(the time of the record, offline?). A device time well before receipt is an offline
    record synced later: accepted within the grace period, refused beyond it."""
    if req.device_time is None:
        return received, False
    device = req.device_time
    if timezone.is_naive(device):
        device = timezone.make_aware(device)
    skew = dt.timedelta(seconds=int(_setting("CLOCK_SKEW_SECONDS", 30)))
    if device > received + skew:
        raise DomainError("device_time", _("设备时间晚于服务器时间，请校准手机时间后重试。"))
    if received - device <= dt.timedelta(seconds=int(_setting("OFFLINE_AFTER_SECONDS", 120))):
        return received, False
    if received - device > dt.timedelta(hours=int(_setting("OFFLINE_GRACE_HOURS", 24))):
        raise DomainError(
            "offline_expired",
            _("离线记录已超过补传期限（%(h)s小时），请联系组织者人工补录。") % {"h": int(_setting("OFFLINE_GRACE_HOURS", 24))},
        )
    return device, True


# --- scope ----------------------------------------------------------------------------------


def can_operate_activity(actor, activity) -> bool:
    """谁组织谁记录: the organizing organization's admins (and platform admins) record attendance.
    An API token narrowed to a region reaches nothing outside it."""
    if not activity.region_code.startswith(actor_token_prefix(actor)):
        return False
    return actor_is_platform_admin(actor) or activity.organization_id in actor_object_ids(actor, Role.ORG_ADMIN)


def _can_view_activity(actor, activity) -> bool:
    if not activity.region_code.startswith(actor_token_prefix(actor)):
        return False
    return can_operate_activity(actor, activity) or any(activity.region_code.startswith(p) for p in actor_region_prefixes(actor))


def shift_get_for_attendance(*, actor, shift_id, action: str = "operate") -> Shift:
    """A shift with its activity: 404 when missing or outside the actor's scope, 403 when the
    actor may see it (a region manager over its region) but not record attendance."""
    try:
        pk = int(shift_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    shift = Shift.objects.select_related("activity").filter(pk=pk).first() if 0 < pk < 2**63 else None
    if shift is None or not getattr(actor, "is_authenticated", False) or not _can_view_activity(actor, shift.activity):
        raise NotFound()
    if action == "operate" and not can_operate_activity(actor, shift.activity):
        raise PermissionDenied(_("只有活动的组织单位管理员可以管理签到。"))
    return shift


# --- the one rule path ----------------------------------------------------------------------


def _replay(event: CheckEvent, *, actor, kind: str) -> tuple[dict, bool]:
    if event.actor_id != getattr(actor, "pk", None) or event.kind != kind:
        raise Conflict("request_id_reused", _("该请求编号已被另一次签到使用，请重新提交。"))
    return event.result, True


def _result(att: Attendance, *, kind: str, method: str, at: dt.datetime, volunteer) -> dict:
    from zhiyuan.volunteers.selectors import mask_name

    return {
        "attendance_id": att.pk,
        "kind": kind,
        "method": method,
        "at": at.isoformat(),
        "shift_id": att.shift_id,
        "activity_id": att.activity_id,
        "volunteer_no": volunteer.volunteer_no,
        "volunteer_name": mask_name(volunteer.name),
        "check_in_at": att.check_in_at.isoformat(),
        "check_out_at": att.check_out_at.isoformat() if att.check_out_at else None,
        "flags": list(att.flags),
    }


def _window_check(shift: Shift, kind: str, at: dt.datetime, flags: list) -> None:
    early = dt.timedelta(minutes=int(_setting("EARLY_MINUTES", 30)))
    if kind == IN:
        if at < shift.starts_at - early:
            raise DomainError(
                "too_early",
                _("签到尚未开始：班次开始前%(m)s分钟起可以签到。") % {"m": int(_setting("EARLY_MINUTES", 30))},
            )
        if at > shift.ends_at:
            raise DomainError("too_late", _("班次已结束，不能再签到；如确实到场，请联系组织者人工补录。"))
        if at > shift.starts_at + dt.timedelta(minutes=int(_setting("LATE_MINUTES", 10))):
            flags.append(FLAG_LATE)
    else:
        if at > shift.ends_at + dt.timedelta(minutes=int(_setting("CHECKOUT_AFTER_MINUTES", 30))):
            raise DomainError("too_late", _("已超过签退时间，系统将按班次结束时间自动签退并标记待核实。"))
        if at < shift.ends_at - dt.timedelta(minutes=int(_setting("LATE_MINUTES", 10))):
            flags.append(FLAG_EARLY_LEAVE)


# The hot path (every scan): one statement through the partial unique index (shift, volunteer)
# WHERE status IN ACTIVE_ENROLLMENT — the query repeats that condition so both planners use it,
# and names the volunteer by id (a subquery on the unique user_id): joining on user_id made
# SQLite walk every enrollment of the shift. Written once as SQL: building the four-table ORM
# query took a fifth of a check-in's time (docs/benchmarks.md "Check-in").
_ENROLLMENT_SQL = """
SELECT e.id, e.organization_id, e.region_code, e.volunteer_id, e.shift_id, e.activity_id,
       s.starts_at, s.ends_at, s.cancelled, a.latitude, a.longitude, a.geofence_m, v.volunteer_no, v.name,
       p.insurance_required, a.insurance_policy_id
FROM activities_enrollment e
JOIN activities_shift s ON s.id = e.shift_id
JOIN activities_activity a ON a.id = e.activity_id
JOIN volunteers_volunteer v ON v.id = e.volunteer_id
JOIN activities_slot sl ON sl.id = e.slot_id
JOIN activities_position p ON p.id = sl.position_id
WHERE e.shift_id = %s AND e.status IN ('pending', 'accepted', 'waitlisted') AND e.status = 'accepted'
  AND e.volunteer_id = {volunteer}
"""
if tuple(ACTIVE_ENROLLMENT) != ("pending", "accepted", "waitlisted"):  # the SQL repeats the index's condition
    raise ImportError("activities.attendance: _ENROLLMENT_SQL must repeat ACTIVE_ENROLLMENT")
_BY_ID = _ENROLLMENT_SQL.format(volunteer="%s")
_BY_USER = _ENROLLMENT_SQL.format(volunteer="(SELECT id FROM volunteers_volunteer WHERE user_id = %s)")


def _dt(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _enrollment(*, shift_id: int, volunteer_id: int | None = None, user_id: int | None = None) -> Enrollment:
    """The accepted enrollment of a volunteer (by id, or the signed-in ``user_id``) on the shift,
    with the fields a check reads of its shift, activity and volunteer."""
    assert tuple(ACTIVE_ENROLLMENT) == ("pending", "accepted", "waitlisted")  # the SQL above repeats it
    with connection.cursor() as cur:
        cur.execute(
            _BY_ID if volunteer_id is not None else _BY_USER, [shift_id, volunteer_id if volunteer_id is not None else user_id]
        )
        row = cur.fetchone()
    if row is None:
        raise DomainError(
            "not_enrolled", _("您没有该班次的录用报名，不能签到。") if user_id else _("该志愿者没有本班次的录用报名。")
        )
    eid, org_id, region, vid, sid, aid, starts, ends, cancelled, lat, lon, fence, vno, name, insured, policy_id = row
    e = Enrollment(id=eid, organization_id=org_id, region_code=region, volunteer_id=vid, shift_id=sid, activity_id=aid)
    e.shift = Shift(id=sid, activity_id=aid, starts_at=_dt(starts), ends_at=_dt(ends), cancelled=bool(cancelled))
    e.activity = Activity(id=aid, latitude=lat, longitude=lon, geofence_m=fence, insurance_policy_id=policy_id)
    e.volunteer = Volunteer(id=vid, volunteer_no=vno, name=name)
    e.insurance_required = bool(insured)
    return e


def insurance_check(enrollment, at: dt.datetime) -> None:
    """FUN-4, 条例 art. 17: on a position that requires insurance, the volunteer must be covered
    on the day of the check-in (the activity's own policy when it names one) — the reason is the
    insurance app's precise sentence. Positions without the requirement cost nothing here."""
    if not getattr(enrollment, "insurance_required", False):
        return
    from zhiyuan.insurance.coverage import insurance_covered
    from zhiyuan.insurance.models import InsurancePolicy
    from zhiyuan.organizations.models import Organization

    policy_id = enrollment.activity.insurance_policy_id
    answer = insurance_covered(
        volunteer=Volunteer.objects.get(pk=enrollment.volunteer_id),
        organization=Organization.objects.get(pk=enrollment.organization_id),
        on=timezone.localdate(at),
        policy=InsurancePolicy.objects.get(pk=policy_id) if policy_id else None,
    )
    if not answer.covered:
        raise DomainError("not_insured", _("该岗位须有保险，不能签到：%(r)s") % {"r": answer.reason})


def _record(
    *,
    actor,
    req: CheckRequest,
    method: str,
    enrollment_of,  # (at) -> Enrollment (raises DomainError)
    at_check=None,  # (at: datetime) -> None: the method's own check at the record's time
    geofence: bool = True,
    reason: str = "",
    manual_at: dt.datetime | None = None,
    audit_action: str = "",
    request=None,
) -> tuple[dict, bool]:
    """The rule path of every method. Returns (answer, replayed)."""
    _validate(req)
    return _idempotent(
        actor,
        req,
        lambda: _record_new(
            actor=actor, req=req, method=method, enrollment_of=enrollment_of, at_check=at_check, geofence=geofence,
            reason=reason, manual_at=manual_at, audit_action=audit_action, request=request,
        ),
    )  # fmt: skip


def _idempotent(actor, req: CheckRequest, record):
    """Run ``record``; when it fails — a rule refuses, or the insert meets the unique request id
    — and this request id was recorded before, answer the stored result instead. The happy path
    costs no look-up; a retry is answered even after its token expired or the code turned."""
    try:
        return record()
    except (DomainError, IntegrityError):
        prior = CheckEvent.objects.filter(client_request_id=req.client_request_id).first()
        if prior is not None:
            return _replay(prior, actor=actor, kind=req.kind)
        raise


def _record_new(*, actor, req, method, enrollment_of, at_check, geofence, reason, manual_at, audit_action, request):
    received = timezone.now()
    at, offline = _event_time(req, received)
    if manual_at is not None:
        at = manual_at
    if at_check is not None:
        at_check(at)
    position = _position(req.latitude, req.longitude)
    enrollment = enrollment_of(at)
    shift, activity, volunteer = enrollment.shift, enrollment.activity, enrollment.volunteer
    if shift.cancelled:
        raise DomainError("shift_cancelled", _("该班次已取消。"))
    if req.kind == IN:
        insurance_check(enrollment, at)
    flags: list[str] = []
    _window_check(shift, req.kind, at, flags)
    if geofence:
        geofence_check(activity, position, flags)
    if offline:
        flags.append(FLAG_OFFLINE)
    if method == CheckMethod.MANUAL:
        flags.append(FLAG_MANUAL)
    try:
        with transaction.atomic():
            if req.kind == IN:
                att = row_insert(Attendance(
                    enrollment=enrollment,
                    volunteer_id=volunteer.pk,
                    activity_id=activity.pk,
                    shift_id=shift.pk,
                    organization_id=enrollment.organization_id,
                    region_code=enrollment.region_code,
                    check_in_at=at,
                    check_in_method=method,
                    flags=flags,
                    reason=reason,
                    recorded_by=actor if method in (CheckMethod.MANUAL, CheckMethod.ECARD) else None,
                ))  # fmt: skip
            else:
                att = Attendance.objects.select_for_update().filter(enrollment=enrollment).first()
                if att is None:
                    raise DomainError("not_checked_in", _("尚未签到，不能签退。"))
                # the real time may replace a forgotten check-out's automatic one (ACT-5): put by
                # an organizer, or synced from a phone that checked out offline in time; the
                # record stays flagged auto_closed (and manual / offline) for the reviewer
                replaces_auto = att.check_out_method == CheckMethod.AUTO_CLOSE and (method == CheckMethod.MANUAL or offline)
                if att.check_out_at is not None and not replaces_auto:
                    raise Conflict("already_checked_out", _("已于%(t)s签退。") % {"t": _hm(att.check_out_at)})
                if at < att.check_in_at:
                    raise DomainError("before_check_in", _("签退时间早于签到时间。"))
                att.check_out_at = at
                att.check_out_method = method
                att.flags = [*att.flags, *(f for f in flags if f not in att.flags)]
                if reason:
                    att.reason = (f"{att.reason}；{reason}" if att.reason else reason)[:200]
                update = ["check_out_at", "check_out_method", "flags", "reason"]
                if method in (CheckMethod.MANUAL, CheckMethod.ECARD):
                    att.recorded_by = actor
                    update.append("recorded_by")
                att.save(update_fields=update)
            result = _result(att, kind=req.kind, method=method, at=at, volunteer=volunteer)
            row_insert(CheckEvent(
                client_request_id=req.client_request_id,
                attendance=att,
                kind=req.kind,
                method=method,
                device_time=req.device_time,
                received_at=received,
                latitude=position[0] if position else None,
                longitude=position[1] if position else None,
                actor=actor,
                result=result,
            ))  # fmt: skip
            if audit_action:
                audit_record(
                    actor=actor,
                    action=audit_action,
                    obj=att,
                    request=request,
                    detail={"kind": req.kind, "shift": shift.pk, "volunteer_no": volunteer.volunteer_no,
                            **({"reason": reason} if reason else {})},
                )  # fmt: skip
    except IntegrityError:
        # a copy of this request won the race (same client id: ``_idempotent`` answers its
        # stored result), or another request checked this enrollment in first
        prior = CheckEvent.objects.filter(client_request_id=req.client_request_id).exists()
        existing = None if prior else Attendance.objects.filter(enrollment=enrollment).first()
        if existing is not None:
            raise Conflict("already_checked_in", _("已于%(t)s签到。") % {"t": _hm(existing.check_in_at)}) from None
        raise
    return result, False


def _hm(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M")


# --- the four ways --------------------------------------------------------------------------


def attendance_check_by_qr(*, actor, req: CheckRequest, token: str, shift_id: int | None = None, request=None):
    """The volunteer scanned the organizer's rotating QR code (the token names the shift)."""
    parsed = QR_RE.fullmatch(_extract(token))
    token_shift = int(parsed.group(2)) if parsed else None

    def at_check(at):
        sid = qr_token_verify(token, at=at.timestamp())
        if shift_id is not None and sid != int(shift_id):
            raise DomainError("wrong_shift", _("该二维码不属于此班次。"))

    return _record(
        actor=actor,
        req=req,
        method=CheckMethod.QR,
        enrollment_of=lambda at: _enrollment(shift_id=token_shift, user_id=actor.pk),
        at_check=at_check,
        request=request,
    )


def attendance_check_by_code(*, actor, req: CheckRequest, code: str, shift_id: int | None = None, request=None):
    """The volunteer typed the 6-digit code read out by the organizer. Without ``shift_id`` the
    code is tried against the volunteer's accepted shifts running now."""
    code = (code or "").strip()
    if not CODE_RE.fullmatch(code):
        raise DomainError("invalid", _("请输入6位数字签到码。"), fields={"code": [_("请输入6位数字签到码。")]}, status=422)
    _validate(req)
    return _idempotent(actor, req, lambda: _check_by_code(actor=actor, req=req, code=code, shift_id=shift_id, request=request))


def _check_by_code(*, actor, req, code, shift_id, request):
    _code_guard(actor)
    at, _offline = _event_time(req, timezone.now())
    if shift_id is not None:
        candidates = [int(shift_id)]
    else:
        early = dt.timedelta(minutes=int(_setting("EARLY_MINUTES", 30)))
        late = dt.timedelta(minutes=int(_setting("CHECKOUT_AFTER_MINUTES", 30)))
        candidates = list(
            Enrollment.objects.filter(
                volunteer__user_id=actor.pk,
                status=EnrollmentStatus.ACCEPTED,
                starts_at__lte=at + early,
                ends_at__gte=at - late,
            ).values_list("shift_id", flat=True)[:10]
        )
    matched = next((sid for sid in candidates if session_code_matches(sid, code, at=at.timestamp())), None)
    if matched is None:
        _code_failed(actor)
        raise DomainError("code_invalid", _("签到码不正确或已过期，请核对组织者最新公布的签到码。"))
    return _record(
        actor=actor,
        req=req,
        method=CheckMethod.CODE,
        enrollment_of=lambda at: _enrollment(shift_id=matched, user_id=actor.pk),
        request=request,
    )


def attendance_check_by_ecard(*, actor, shift: Shift, req: CheckRequest, token: str, request=None):
    """The organizer scanned the volunteer's e-card (VOL-8) for ``shift`` (fetched with
    ``shift_get_for_attendance``). The organizer's device stands at the place: its position,
    when given, is checked against the geofence; none is not flagged."""
    from zhiyuan.volunteers.services.card import card_token_verify

    def enrollment_of(at):
        check = card_token_verify(token=token, now=at.timestamp())
        return _enrollment(shift_id=shift.pk, volunteer_id=check.volunteer.pk)

    return _record(
        actor=actor,
        req=req,
        method=CheckMethod.ECARD,
        enrollment_of=enrollment_of,
        geofence=req.latitude is not None,
        audit_action="activities.attendance.scan",
        request=request,
    )


def attendance_record_manual(
    *, actor, shift: Shift, req: CheckRequest, reason: str, volunteer_no: str = "", enrollment_id: int | None = None,
    at: dt.datetime | None = None, request=None,
):  # fmt: skip
    """The organizer records a check-in or check-out by hand, with a reason (flagged ``manual``,
    audited). ``at`` (default now) must lie in the shift's window like any other record."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("invalid", _("请填写补录原因。"), fields={"reason": [_("请填写补录原因。")]}, status=422)
    if len(reason) > 200:
        raise DomainError("invalid", _("补录原因不能超过200字。"), fields={"reason": [_("补录原因不能超过200字。")]}, status=422)
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at is not None and at > timezone.now() + dt.timedelta(minutes=1):
        raise DomainError("invalid", _("补录时间不能晚于现在。"), fields={"at": [_("补录时间不能晚于现在。")]}, status=422)
    if at is None and timezone.now() > shift.ends_at:
        msg = _("班次已结束，请填写实际的签到或签退时间。")
        raise DomainError("invalid", msg, fields={"at": [msg]}, status=422)

    def enrollment_of(_at):
        qs = Enrollment.objects.filter(shift_id=shift.pk, status=EnrollmentStatus.ACCEPTED)
        if enrollment_id is not None:
            qs = qs.filter(pk=enrollment_id)
        elif volunteer_no:
            qs = qs.filter(volunteer__volunteer_no=volunteer_no.strip().upper())
        else:
            raise DomainError("invalid", _("请选择志愿者。"), fields={"volunteer_no": [_("请选择志愿者。")]}, status=422)
        e = qs.select_related("shift", "activity", "volunteer", "slot__position").first()
        if e is None:
            raise DomainError("not_enrolled", _("该志愿者没有本班次的录用报名。"))
        e.insurance_required = e.slot.position.insurance_required
        return e

    return _record(
        actor=actor,
        req=CheckRequest(kind=req.kind, client_request_id=req.client_request_id),
        method=CheckMethod.MANUAL,
        enrollment_of=enrollment_of,
        geofence=False,
        reason=reason,
        manual_at=at,
        audit_action="activities.attendance.manual",
        request=request,
    )


# --- the forgotten check-out (ACT-5) --------------------------------------------------------


def attendance_close_overdue(*, now: dt.datetime | None = None, limit: int = 5_000) -> int:
    """Close every open attendance whose shift ended more than ``CHECKOUT_AFTER_MINUTES`` ago:
    check-out at the shift's end, method ``auto_close``, flag ``auto_closed`` — for a reviewer,
    never credited silently. Returns how many were closed. Safe to run concurrently and often."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=int(_setting("CHECKOUT_AFTER_MINUTES", 30)))
    closed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Attendance.objects.select_for_update(skip_locked=True)
                .filter(check_out_at__isnull=True, shift__ends_at__lte=cutoff)
                .select_related("shift")
                .order_by("id")[:500]
            )
            for att in batch:
                att.check_out_at = max(att.shift.ends_at, att.check_in_at)
                att.check_out_method = CheckMethod.AUTO_CLOSE
                att.flags = [*att.flags, FLAG_AUTO_CLOSED]
            Attendance.objects.bulk_update(batch, ["check_out_at", "check_out_method", "flags"])
        closed += len(batch)
        if len(batch) < 500 or closed >= limit:
            return closed


# --- organizer's screen ---------------------------------------------------------------------


def checkin_session(*, shift: Shift, now: float | None = None) -> dict:
    """What the organizer's screen shows for ``shift``: the QR token and the session code with
    their expiries (seconds since the epoch)."""
    token, expiry = qr_token_for(shift.pk, now=now)
    code, code_changes = session_code_for(shift.pk, now=now)
    return {
        "shift_id": shift.pk,
        "qr_token": token,
        "qr_expires_at": expiry,
        "qr_refresh_seconds": qr_refresh(),
        "code": code,
        "code_changes_at": code_changes,
    }


def flag_labels(flags) -> list[str]:
    return [str(FLAG_LABELS.get(f, f)) for f in flags]


# --- start-up -------------------------------------------------------------------------------


def _admin_org_ids(actor) -> list[int]:
    return sorted(actor_object_ids(actor, Role.ORG_ADMIN))


def _org_admin_scope(actor):
    from django.db.models import Q

    ids = _admin_org_ids(actor)
    return Q(organization_id__in=ids) if ids else None


def _org_admin_test(actor, obj) -> bool:
    return obj.organization_id in set(_admin_org_ids(actor))


def _own_scope(actor):
    from django.db.models import Q

    return Q(volunteer__user_id=actor.pk)


def register_attendance_hooks() -> None:
    """Called from ``ActivitiesConfig.ready``: who sees attendance (the organizing body's admins
    see and record it, the volunteer sees their own, region managers their region's through
    ``region_actions``) and the audit labels of the organizer's actions."""
    from zhiyuan.accounts.scopes import register_scope_provider
    from zhiyuan.core.audit_actions import register_audit_actions

    register_scope_provider("activities.Attendance", _org_admin_scope, actions=("view", "operate"), test=_org_admin_test)
    register_scope_provider("activities.Attendance", _own_scope, actions=("view",))
    register_audit_actions(
        "activities.attendance.",
        _("签到签退"),
        {
            "activities.attendance.manual": _("人工补录签到签退"),
            "activities.attendance.scan": _("扫志愿者电子证签到签退"),
        },
    )

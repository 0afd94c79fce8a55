"""Electronic volunteer card 电子志愿者证 (SPEC VOL-8): a short-lived QR token organizers scan.

Token (compact, URL-safe, ~115 characters so the QR stays small)::

    zyc2.<signing key id>.<volunteer_no>.<expiry, unix seconds>.<Ed25519 signature, base64url>

The signature covers ``zhiyuan.card.v2|<key id>|<volunteer_no>|<expiry>`` with the instance's
current signing key (``core.crypto.sign``), so it cannot be forged or extended; the key id picks
the public key to verify with, so a token signed just before a key rotation still verifies
(``zyc1`` tokens, without a key id, lived 3 minutes and are no longer accepted); it expires after
``CARD_TOKEN_TTL`` seconds (3 minutes) and the card page fetches a fresh one every minute.
The volunteer number is a public identifier (VOL-3), never the document number.
"""

import base64
import binascii
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext_lazy as _

from zhiyuan.core import crypto
from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.numbers import volunteer_no_is_valid
from zhiyuan.volunteers.selectors import mask_name, volunteer_for

CARD_TOKEN_TTL = 180
CLOCK_SKEW = 30  # seconds a scanner's clock may be ahead/behind
PREFIX = "zyc2"
TOKEN_RE = re.compile(r"^zyc2\.([A-Za-z0-9_-]{1,8})\.([0-9]{10}[0-9X])\.([0-9]{10})\.([A-Za-z0-9_-]{86})$")

_star_level_providers: list = []


def register_star_level_provider(provider) -> None:
    """``provider(volunteer) -> int | None`` (1–5). The incentives app (a higher layer)
    registers one once star levels exist; until then every card shows 暂无星级."""
    if provider not in _star_level_providers:
        _star_level_providers.append(provider)


def star_level_of(volunteer: Volunteer) -> int | None:
    for provider in _star_level_providers:
        level = provider(volunteer)
        if level:
            return int(level)
    return None


def star_level_label(level: int | None) -> str:
    return str(_("%(n)s星志愿者") % {"n": level}) if level else str(_("暂无星级"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _message(key_id: str, volunteer_no: str, expiry: int) -> bytes:
    return f"zhiyuan.card.v2|{key_id}|{volunteer_no}|{expiry}".encode("ascii")


def card_token_for(volunteer: Volunteer, *, now: float | None = None) -> tuple[str, int]:
    expiry = int(now if now is not None else time.time()) + CARD_TOKEN_TTL
    kid = crypto.signing_key_id()
    _kid, sig = crypto.sign(_message(kid, volunteer.volunteer_no, expiry))
    return f"{PREFIX}.{kid}.{volunteer.volunteer_no}.{expiry}.{_b64(sig)}", expiry


def card_token_issue(*, actor, now: float | None = None) -> tuple[str, int]:
    """A fresh token for the signed-in volunteer: (token, expiry unix seconds). Refused when
    the person withdrew consent (nothing is processed) or is not active."""
    volunteer = volunteer_for(actor)
    if volunteer.is_restricted:
        raise DomainError("restricted", _("您已撤回个人信息处理同意，电子志愿者证暂停使用。"), status=403)
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise DomainError(
            "inactive", _("您的志愿者状态为“%(s)s”，电子志愿者证暂停使用。") % {"s": volunteer.get_status_display()}, status=403
        )
    return card_token_for(volunteer, now=now)


@dataclass
class CardCheck:
    volunteer: Volunteer
    expires_at: int


def _extract(raw: str) -> str:
    """Accept the bare token or the verification URL the QR code holds (``…?t=<token>``)."""
    raw = (raw or "").strip()
    if len(raw) > 1000:
        return ""
    if "?" in raw or raw.startswith(("http://", "https://", "/")):
        values = parse_qs(urlsplit(raw).query).get("t")
        return values[0].strip() if values else ""
    return raw


def card_token_verify(*, token: str, now: float | None = None) -> CardCheck:
    """Check a scanned token: format, signature, expiry, and that the volunteer exists, is not
    restricted and is active. Raises DomainError with code ``token_invalid``,
    ``token_expired`` or ``volunteer_inactive``."""
    token = _extract(token)
    m = TOKEN_RE.fullmatch(token)
    invalid = DomainError("token_invalid", _("二维码无效或已被篡改，请让志愿者刷新电子志愿者证后重新扫描。"))
    if not m or not volunteer_no_is_valid(m.group(2)):
        raise invalid
    kid, volunteer_no, expiry, sig_text = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    try:
        sig = _unb64(sig_text)
    except (binascii.Error, ValueError):
        raise invalid from None
    # Only the canonical encoding: base64's last character carries two unused bits, and a token
    # that differs there would otherwise verify as the same signature.
    if len(sig) != 64 or _b64(sig) != sig_text or not crypto.verify(_message(kid, volunteer_no, expiry), sig, key_id=kid):
        raise invalid
    now = now if now is not None else time.time()
    if expiry + CLOCK_SKEW < now:
        raise DomainError("token_expired", _("二维码已过期，请让志愿者刷新电子志愿者证后重新扫描。"))
    if expiry - CARD_TOKEN_TTL - CLOCK_SKEW > now:
        raise invalid  # issued "in the future": a clock problem or a token made elsewhere
    volunteer = Volunteer.objects.processable().filter(volunteer_no=volunteer_no).first()
    if volunteer is None:
        raise invalid
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise DomainError(
            "volunteer_inactive", _("该志愿者当前状态为“%(s)s”，不能使用电子志愿者证。") % {"s": volunteer.get_status_display()}
        )
    return CardCheck(volunteer=volunteer, expires_at=expiry)


def card_public_info(volunteer: Volunteer, *, full_name: bool = False) -> dict:
    """What a scanner learns: masked name (full name only for someone who may see the
    volunteer anyway), number, status, star level. No document, no mobile, no region."""
    level = star_level_of(volunteer)
    return {
        "name": volunteer.name if full_name else mask_name(volunteer.name),
        "volunteer_no": volunteer.volunteer_no,
        "status": volunteer.status,
        "status_label": str(volunteer.get_status_display()),
        "star_level": level,
        "star_level_label": star_level_label(level),
    }

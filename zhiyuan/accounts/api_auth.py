"""API authentication: the browser session (with CSRF) for pages, ``Authorization: Bearer``
tokens for integrations (ACC-4)."""

import hashlib

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from zhiyuan.accounts.models import ApiToken
from zhiyuan.accounts.ratelimit import rate_limit_hit
from zhiyuan.core.errors import DomainError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SessionAuth(APIKeyCookie):
    """Django session cookie; unsafe methods need the CSRF token as on the pages."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return None  # a presented token that failed is a 401, never a fall-back to the session
        key = request.COOKIES.get(self.param_name)
        if not key or not request.user.is_authenticated:
            return None  # 401, not a CSRF error, for a caller without a session
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise DomainError("csrf_failed", _("安全校验（CSRF）失败，请刷新页面后重试。"), status=403)
        return key

    def authenticate(self, request, key):
        user = request.user
        if key is None or not user.is_authenticated:
            return None
        from zhiyuan.accounts.roles import TWO_FACTOR_ROLES
        from zhiyuan.accounts.scopes import actor_has_role

        if not user.totp_enabled and actor_has_role(user, *TWO_FACTOR_ROLES):
            raise DomainError("totp_required", _("请先在账户设置中启用两步验证。"), status=403)
        return user


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        record = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if record is None:
            return None
        now = timezone.now()
        if record.expires_at and record.expires_at <= now:
            return None
        if rate_limit_hit(f"token:{record.pk}", settings.ZHIYUAN_API_TOKEN_RATE, 60):
            raise DomainError("rate_limited", _("请求过于频繁，请稍后再试。"), status=429)
        if request.method not in SAFE_METHODS and not record.can_write:
            raise DomainError("token_read_only", _("此API令牌为只读，不能执行写操作。"), status=403)
        if not record.last_used_at or (now - record.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        user = record.user
        user._zy_token = record
        request.user = user
        return user

import time

from django.shortcuts import redirect
from django.urls import reverse

from zhiyuan.accounts.roles import TWO_FACTOR_ROLES
from zhiyuan.accounts.scopes import actor_has_role


class TwoFactorRequiredMiddleware:
    """Region managers and platform admins must set up TOTP before using any page
    (SPEC ACC-1; 等保 level 3 two-factor for administrators). Until then only the TOTP set-up,
    logout, static files and the language switch are reachable."""

    ALLOWED_PREFIXES = ("/accounts/totp/", "/accounts/logout/", "/static/", "/i18n/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.totp_enabled
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and actor_has_role(user, *TWO_FACTOR_ROLES)
        ):
            return redirect(reverse("accounts:totp_setup") + "?required=1")
        return self.get_response(request)


class SessionIdleRefreshMiddleware:
    """The idle time-out (SESSION_COOKIE_AGE after the last request) without a session write on
    every request: a signed-in session is saved, and so extended, at most once per
    ``ZHIYUAN_SESSION_REFRESH_SECONDS`` (60). A session then ends between AGE − 60 s and AGE
    after the last request. On PostgreSQL the write-and-commit per page was most of the cost of
    an authenticated page (docs/benchmarks.md, row 2b)."""

    KEY = "_zy_refreshed"

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.interval = settings.ZHIYUAN_SESSION_REFRESH_SECONDS

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated and not session.is_empty():
            now = int(time.time())
            last = session.get(self.KEY)
            if not isinstance(last, int) or now - last >= self.interval or now < last:
                session[self.KEY] = now  # marks the session modified: SessionMiddleware saves it
        return response

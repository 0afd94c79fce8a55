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

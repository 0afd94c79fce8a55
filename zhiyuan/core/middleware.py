"""Project-wide response policy that no single view should have to remember."""

from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    """Issue #11 item 7: a response that can carry personal data is never stored by a browser or
    proxy cache. That is every ``/api/`` response (a volunteer's own data, a revealed document
    number, a token holder's lists) and every response to a signed-in user (pages and downloads
    with unmasked data) — one rule here instead of a header per view.

    A response that already says how to cache it keeps its header, unless it would let a shared
    cache keep a signed-in user's page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in or request.path.startswith("/api/"):
            if "no-store" not in response.get("Cache-Control", ""):
                patch_cache_control(response, private=True, no_store=True)
        return response

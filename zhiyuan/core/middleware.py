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


# Issue #11 item 6. Every script and style comes from our own origin (vendored, ARCHITECTURE
# "static assets"); no inline script, event-handler attribute or style attribute runs. Images may
# be data: URLs (QR codes). A small middleware rather than django-csp: one fixed policy, no
# nonces or per-view changes needed, no new dependency.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy() -> str:
    """The policy, with the map tile server (``ZHIYUAN_MAP_TILE_URL``, core.maps) allowed as an
    image source when one is configured: tiles are images from that origin."""
    from urllib.parse import urlsplit

    from django.conf import settings

    tiles = urlsplit(getattr(settings, "ZHIYUAN_MAP_TILE_URL", "") or "")
    if tiles.scheme not in ("http", "https") or not tiles.netloc:
        return CONTENT_SECURITY_POLICY
    origin = f"{tiles.scheme}://{tiles.netloc}".replace("{s}", "*")  # Leaflet's {s} subdomains
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


class ContentSecurityPolicyMiddleware:
    """Sends the policy with every response that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response

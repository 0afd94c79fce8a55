"""Map settings shared by every map on the pages (SPEC STA-2: tiles are configurable — 天地图 or
a city's own tile server — and a map must still work with no tiles at all).

``ZHIYUAN_MAP_TILE_URL`` is a Leaflet URL template (``https://…/{z}/{x}/{y}.png``); empty means no
base map: the map then shows a plain grid where a point can still be placed, and coordinates can
still be typed. Leaflet itself is vendored (static/vendor/leaflet-1.9.4); no CDN is used."""

from django.conf import settings
from django.templatetags.static import static

_LEAFLET_IMAGES = "vendor/leaflet-1.9.4/images/"


def _center() -> tuple[float, float, int]:
    raw = str(getattr(settings, "ZHIYUAN_MAP_CENTER", "") or "")
    try:
        lat, lng, *rest = (float(p) for p in raw.split(","))
        zoom = int(rest[0]) if rest else 11
    except ValueError:
        return 35.0, 105.0, 4  # the whole country
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return 35.0, 105.0, 4
    return lat, lng, max(1, min(zoom, 18))


def map_config() -> dict:
    """What a page's map needs, rendered as data-* attributes (no inline script)."""
    lat, lng, zoom = _center()
    return {
        "tile_url": getattr(settings, "ZHIYUAN_MAP_TILE_URL", "") or "",
        "attribution": getattr(settings, "ZHIYUAN_MAP_ATTRIBUTION", "") or "",
        "center_lat": lat,
        "center_lng": lng,
        "zoom": zoom,
        # Leaflet guesses its marker images from leaflet.css's own address, which the hashed
        # static names (ManifestStaticFilesStorage) break: every marker was a broken image.
        "marker_icon": static(_LEAFLET_IMAGES + "marker-icon.png"),
        "marker_icon_2x": static(_LEAFLET_IMAGES + "marker-icon-2x.png"),
        "marker_shadow": static(_LEAFLET_IMAGES + "marker-shadow.png"),
    }

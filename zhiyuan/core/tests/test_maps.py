from zhiyuan.core.maps import map_config


def test_map_center_from_settings(settings):
    settings.ZHIYUAN_MAP_CENTER = "23.11,114.42,12"
    settings.ZHIYUAN_MAP_TILE_URL = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    cfg = map_config()
    assert (cfg["center_lat"], cfg["center_lng"], cfg["zoom"]) == (23.11, 114.42, 12)
    assert cfg["tile_url"].endswith("{y}.png")


def test_a_bad_or_missing_center_falls_back_to_the_country(settings):
    for raw in ("", "north", "95,200", "23.1"):
        settings.ZHIYUAN_MAP_CENTER = raw
        cfg = map_config()
        assert (cfg["center_lat"], cfg["center_lng"], cfg["zoom"]) == (35.0, 105.0, 4), raw


def test_a_configured_tile_server_may_serve_images(client, settings):
    """The map tiles come from ZHIYUAN_MAP_TILE_URL's origin: the CSP lets those images in, and
    nothing else changes; without a tile server the policy stays own-origin only."""
    assert "img-src 'self' data:;" in client.get("/").headers["Content-Security-Policy"]
    settings.ZHIYUAN_MAP_TILE_URL = "https://{s}.tiles.example.gov.cn/{z}/{x}/{y}.png"
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.gov.cn;" in policy
    assert "script-src 'self';" in policy

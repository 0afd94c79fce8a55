// The activity square: "附近的活动" asks the browser for its position and submits the filter
// form sorted by distance (coordinates rounded to ~100 m; nothing is stored); the map view puts
// the page's cards on a Leaflet map (tiles from ZHIYUAN_MAP_TILE_URL, a plain grid without).
(function () {
  "use strict";
  function round(v) { return Math.round(v * 1000) / 1000; }

  function setupLocate(form) {
    var button = form.querySelector("[data-locate]");
    var status = form.querySelector("[data-locate-status]");
    if (!button || !navigator.geolocation) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = form.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("[data-lat]").value = round(pos.coords.latitude);
        form.querySelector("[data-lng]").value = round(pos.coords.longitude);
        var sort = form.querySelector("[name=sort]");
        if (sort) sort.value = "distance";
        form.submit();
      }, function () { status.textContent = form.dataset.locateFailed; }, { timeout: 10000, maximumAge: 300000 });
    });
    var radius = form.querySelector("[data-radius]");
    if (radius) radius.addEventListener("change", function () { form.submit(); });
  }

  // The marker images by their static addresses (data-marker-*, core/maps.py): Leaflet's own
  // guess from leaflet.css's address fails under hashed static names.
  function markerIcons(box) {
    if (!box.dataset.markerIcon) return;
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({
      iconUrl: box.dataset.markerIcon, iconRetinaUrl: box.dataset.markerIcon2x, shadowUrl: box.dataset.markerShadow,
    });
  }

  function setupMap(box) {
    if (!window.L) return;
    markerIcons(box);
    var map = L.map(box.querySelector("[data-map]"), { attributionControl: !!box.dataset.attribution });
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { maxZoom: 18, attribution: box.dataset.attribution }).addTo(map);
    } else {
      box.classList.add("no-tiles");
      box.querySelector("[data-map-status]").textContent = box.dataset.noTiles;
    }
    var points = [];
    document.querySelectorAll(".square-card[data-lat]").forEach(function (card) {
      var ll = [parseFloat(card.dataset.lat), parseFloat(card.dataset.lng)];
      if (!isFinite(ll[0]) || !isFinite(ll[1])) return;
      var link = document.createElement("a");
      link.href = card.dataset.url;
      link.textContent = card.dataset.title;
      L.marker(ll, { keyboard: true, title: card.dataset.title }).addTo(map).bindPopup(link);
      points.push(ll);
    });
    var hereLat = parseFloat(box.dataset.hereLat), hereLng = parseFloat(box.dataset.hereLng);
    if (isFinite(hereLat) && isFinite(hereLng)) {
      L.circleMarker([hereLat, hereLng], { radius: 8 }).addTo(map).bindTooltip(box.dataset.hereLabel);
      points.push([hereLat, hereLng]);
    }
    if (points.length) map.fitBounds(points, { padding: [30, 30], maxZoom: 15 });
    else map.setView([parseFloat(box.dataset.centerLat), parseFloat(box.dataset.centerLng)], parseInt(box.dataset.zoom, 10) || 11);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-square-form]").forEach(setupLocate);
    document.querySelectorAll("[data-square-map]").forEach(setupMap);
  });
})();

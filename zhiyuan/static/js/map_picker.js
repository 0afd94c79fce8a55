// Location picker (volunteers' home location, later activity places): a Leaflet map whose marker
// and the two coordinate inputs stay in step. Tiles come from ZHIYUAN_MAP_TILE_URL; without them
// the map shows a plain grid and still takes a click. Typed coordinates always work, with or
// without this script.
(function () {
  "use strict";
  function round(v) { return Math.round(v * 1e5) / 1e5; }

  // The marker images by their static addresses (data-marker-*, core/maps.py): Leaflet's own
  // guess from leaflet.css's address fails under hashed static names.
  function markerIcons(box) {
    if (!box.dataset.markerIcon) return;
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({
      iconUrl: box.dataset.markerIcon, iconRetinaUrl: box.dataset.markerIcon2x, shadowUrl: box.dataset.markerShadow,
    });
  }

  function setup(box) {
    if (!window.L) return;
    markerIcons(box);
    var lat = document.getElementById(box.dataset.lat);
    var lng = document.getElementById(box.dataset.lng);
    var status = box.querySelector("[data-map-status]");
    if (!lat || !lng) return;
    box.hidden = false;
    var center = [parseFloat(box.dataset.centerLat), parseFloat(box.dataset.centerLng)];
    var map = L.map(box.querySelector("[data-map]"), { attributionControl: !!box.dataset.attribution });
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { maxZoom: 18, attribution: box.dataset.attribution }).addTo(map);
    } else {
      box.classList.add("no-tiles");
      status.textContent = box.dataset.noTiles;
    }
    var marker = null;
    function place(latlng, pan) {
      if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
      marker.off("dragend").on("dragend", function () { fill(marker.getLatLng()); });
      if (pan) map.setView(latlng, Math.max(map.getZoom(), 14));
    }
    function fill(latlng) {
      lat.value = round(latlng.lat);
      lng.value = round(latlng.lng);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function fromInputs() {
      var a = parseFloat(lat.value), b = parseFloat(lng.value);
      if (isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) { place([a, b], true); return true; }
      return false;
    }
    map.setView(center, parseInt(box.dataset.zoom, 10) || 11);
    fromInputs();
    map.on("click", function (e) { place(e.latlng, false); fill(e.latlng); });
    lat.addEventListener("input", fromInputs);
    lng.addEventListener("input", fromInputs);
    box.querySelector("[data-locate]").addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = box.dataset.locateFailed; return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
        place(here, true); fill(here); status.textContent = box.dataset.located;
      }, function () { status.textContent = box.dataset.locateFailed; }, { timeout: 10000, maximumAge: 60000 });
    });
    box.querySelector("[data-clear-location]").addEventListener("click", function () {
      lat.value = ""; lng.value = "";
      if (marker) { map.removeLayer(marker); marker = null; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map-picker]").forEach(setup);
  });
})();

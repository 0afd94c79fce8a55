/* Check-in pages (ACT-4): read a QR code with the phone camera (vendored jsQR), attach the
   device position, and keep a volunteer's check-in on the phone while offline, sending it with
   its device time once the network is back (the server accepts it within the grace period and
   flags it "offline"). No inline script: the pages carry data-* attributes only (CSP). */
(function () {
  "use strict";
  var QUEUE = "zy-attendance-queue";

  function tokenOf(text, prefix) {
    if (!text) return "";
    var t = text.trim();
    var i = t.indexOf("?");
    if (i >= 0) {
      var params = new URLSearchParams(t.slice(i + 1));
      t = (params.get("t") || "").trim();
    }
    return t.indexOf(prefix + ".") === 0 ? t : "";
  }

  var positionPromise = null;
  function locate(form) {
    var lat = form.querySelector("input[name=latitude]");
    var lon = form.querySelector("input[name=longitude]");
    if (!lat || !lon || !navigator.geolocation) return Promise.resolve();
    if (!positionPromise) {
      positionPromise = new Promise(function (resolve) {
        navigator.geolocation.getCurrentPosition(
          function (p) {
            lat.value = p.coords.latitude.toFixed(6);
            lon.value = p.coords.longitude.toFixed(6);
            resolve();
          },
          function () { resolve(); },
          { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }
        );
      });
    }
    return Promise.race([positionPromise, new Promise(function (r) { setTimeout(r, 8000); })]);
  }

  function startCamera(box, form) {
    var video = box.querySelector("[data-video]");
    var canvas = box.querySelector("[data-canvas]");
    var status = box.querySelector("[data-camera-status]");
    var prefix = box.getAttribute("data-accept");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      status.textContent = box.getAttribute("data-msg-unavailable");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      status.textContent = box.getAttribute("data-msg-aim");
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      var last = 0;
      function stop() { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; }
      function tick(now) {
        if (video.readyState === video.HAVE_ENOUGH_DATA && now - last > 150) {
          last = now;
          var w = video.videoWidth, h = video.videoHeight, scale = Math.min(1, 640 / Math.max(w, h));
          canvas.width = Math.round(w * scale);
          canvas.height = Math.round(h * scale);
          ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
          if (found) {
            var token = tokenOf(found.data, prefix);
            if (token) {
              stop();
              form.querySelector("input[name=token]").value = token;
              status.textContent = box.getAttribute("data-msg-found");
              if (form.requestSubmit) form.requestSubmit(); else form.submit();
              return;
            }
            status.textContent = box.getAttribute("data-msg-wrong");
          }
        }
        requestAnimationFrame(tick);
      }
      requestAnimationFrame(tick);
    }).catch(function () {
      status.textContent = box.getAttribute("data-msg-denied");
    });
  }

  function readQueue() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function writeQueue(items) { localStorage.setItem(QUEUE, JSON.stringify(items)); }

  function say(text) {
    var box = document.querySelector("[data-offline-status]");
    if (box) { box.textContent = text; box.hidden = false; }
  }

  function flush(form) {
    var items = readQueue();
    if (!items.length || !navigator.onLine) return;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var left = [];
    var chain = Promise.resolve();
    items.forEach(function (item) {
      chain = chain.then(function () {
        return fetch(item.url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify(item.body)
        }).then(function (r) {
          return r.json().then(function (data) {
            if (r.status >= 500) left.push(item);
            else if (r.status >= 400) say(data.message || "");
            else say(form.getAttribute("data-msg-synced"));
          });
        }).catch(function () { left.push(item); });
      });
    });
    chain.then(function () { writeQueue(left.concat(readQueue().slice(items.length))); });
  }

  function queueOffline(form) {
    var data = new FormData(form);
    var kind = data.get("kind") || "in";
    var token = data.get("token") || "";
    var body = {
      method: token ? "qr" : "code",
      token: token,
      code: token ? "" : (data.get("code") || ""),
      client_request_id: data.get("client_request_id"),
      device_time: new Date().toISOString()
    };
    if (data.get("latitude")) { body.latitude = parseFloat(data.get("latitude")); body.longitude = parseFloat(data.get("longitude")); }
    var items = readQueue();
    items.push({ url: form.getAttribute(kind === "out" ? "data-api-out" : "data-api-in"), body: body });
    writeQueue(items);
    say(form.getAttribute("data-msg-queued"));
    // The next record (usually the check-out) is another request: a new id, or the server
    // would answer it with the kept check-in's stored result. As online, 签退 comes next.
    form.querySelector("input[name=client_request_id]").value = newRequestId();
    var next = form.querySelector("input[name=kind][value=" + (kind === "in" ? "out" : "in") + "]");
    if (next) next.checked = true;
  }

  function newRequestId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-scan-form]").forEach(function (form) {
      var camera = form.querySelector("[data-camera]") || document.querySelector("[data-camera]");
      if (camera) {
        var button = camera.querySelector("[data-camera-start]");
        button.addEventListener("click", function () { button.hidden = true; startCamera(camera, form); });
      }
      locate(form);
      var located = false;
      form.addEventListener("submit", function (ev) {
        if (form.hasAttribute("data-volunteer-form") && !navigator.onLine) {
          ev.preventDefault();
          queueOffline(form);
          return;
        }
        if (!located && form.querySelector("input[name=latitude]") && !form.querySelector("input[name=latitude]").value) {
          ev.preventDefault();
          located = true;
          locate(form).then(function () { form.submit(); });
        }
      });
      if (form.hasAttribute("data-volunteer-form")) {
        flush(form);
        window.addEventListener("online", function () { flush(form); });
      }
    });
  });
})();

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

  // One reading of the position per page; each form (the page's <main> is replaced after a
  // submit) gets it copied in.
  var position = null;
  var positionPromise = null;
  function locate(form) {
    var lat = form.querySelector("input[name=latitude]");
    var lon = form.querySelector("input[name=longitude]");
    if (!lat || !lon || !navigator.geolocation) return Promise.resolve();
    if (!positionPromise) {
      positionPromise = new Promise(function (resolve) {
        navigator.geolocation.getCurrentPosition(
          function (p) { position = p.coords; resolve(); },
          function () { resolve(); },
          { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }
        );
      });
    }
    var filled = positionPromise.then(function () {
      if (position && !lat.value) {
        lat.value = position.latitude.toFixed(6);
        lon.value = position.longitude.toFixed(6);
      }
    });
    return Promise.race([filled, new Promise(function (r) { setTimeout(r, 8000); })]);
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

  // A request the network swallows (dead Wi-Fi, a dropped mobile link) may hang for minutes:
  // past this it counts as a network failure and the record is kept.
  var TIMEOUT_MS = 15000;
  // navigator.onLine may stay true through such a failure, so no "online" event comes: a kept
  // record is also retried on this beat (and when the page is shown again).
  var RETRY_MS = 20000;

  // fetch with a deadline; rejects on a network failure or the timeout, resolves with the
  // answer and its body text for any HTTP status.
  function post(url, init) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
    init.signal = ctrl.signal;
    init.credentials = "same-origin";
    return fetch(url, init).then(function (r) {
      return r.text().then(function (text) { clearTimeout(timer); return { r: r, text: text }; });
    }).catch(function (e) { clearTimeout(timer); throw e; });
  }

  function volunteerForm() { return document.querySelector("[data-volunteer-form]"); }

  function say(text) {
    var box = document.querySelector("[data-offline-status]");
    if (box) { box.textContent = text; box.hidden = false; }
  }

  var flushing = null;
  var retryTimer = null;
  function scheduleRetry() {
    if (retryTimer || !readQueue().length) return;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, RETRY_MS);
  }

  // Send the kept records in order. A network failure or a 5xx keeps a record (and those
  // after it) for the next try; any other answer settles it (a refusal is shown). One run at a
  // time: the same record sent twice at once would be answered twice.
  function flush() {
    if (flushing) return flushing;
    var form = volunteerForm();
    var items = readQueue();
    if (!form || !items.length || !navigator.onLine) return Promise.resolve();
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var left = [];
    var chain = Promise.resolve();
    items.forEach(function (item) {
      chain = chain.then(function () {
        // once one is kept back, the later ones wait too: a check-out sent before its
        // check-in would be refused (尚未签到) and dropped
        if (left.length) { left.push(item); return; }
        return post(item.url, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify(item.body)
        }).then(function (a) {
          var data = {};
          try { data = JSON.parse(a.text); } catch (e) { /* a proxy's error page */ }
          if (a.r.status >= 500) left.push(item);
          else if (a.r.status >= 400) say(data.message || "");
          else say(form.getAttribute("data-msg-synced"));
        }, function () { left.push(item); });
      });
    });
    flushing = chain.then(function () {
      writeQueue(left.concat(readQueue().slice(items.length)));
      flushing = null;
      scheduleRetry();
    });
    return flushing;
  }

  // What the API takes for this form's record, timed by the phone at ``at``: the same
  // client_request_id as the form's, so a copy that did reach the server is answered with
  // its stored result on sync instead of being recorded twice.
  function keptItem(form, at) {
    var data = new FormData(form);
    var kind = data.get("kind") || "in";
    var token = data.get("token") || "";
    var body = {
      method: token ? "qr" : "code",
      token: token,
      code: token ? "" : (data.get("code") || ""),
      client_request_id: data.get("client_request_id"),
      device_time: at.toISOString()
    };
    if (data.get("latitude")) { body.latitude = parseFloat(data.get("latitude")); body.longitude = parseFloat(data.get("longitude")); }
    return { url: form.getAttribute(kind === "out" ? "data-api-out" : "data-api-in"), body: body };
  }

  function keep(form, item, message) {
    var items = readQueue();
    items.push(item);
    writeQueue(items);
    say(message);
    // The next record (usually the check-out) is another request: a new id, or the server
    // would answer it with the kept check-in's stored result. As online, 签退 comes next.
    form.querySelector("input[name=client_request_id]").value = newRequestId();
    var kind = item.url === form.getAttribute("data-api-out") ? "out" : "in";
    var next = form.querySelector("input[name=kind][value=" + (kind === "in" ? "out" : "in") + "]");
    if (next) next.checked = true;
    scheduleRetry();
  }

  function newRequestId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // The page's own POST, sent by fetch so that a network failure can be seen: any HTTP answer
  // (the result, or a refusal with its reason) replaces the page's <main> as a navigation
  // would; a rejected or timed-out fetch keeps the record as without network.
  function send(form, at) {
    var item = keptItem(form, at);
    var submit = form.querySelector("[data-submit]");
    if (submit) submit.disabled = true;
    return post(form.action, { method: "POST", body: new FormData(form) }).then(function (a) {
      show(a.r, a.text);
    }, function () {
      if (submit) submit.disabled = false;
      keep(form, item, form.getAttribute("data-msg-failed"));
    });
  }

  function show(r, html) {
    if (r.redirected && new URL(r.url).pathname !== location.pathname) { location.assign(r.url); return; }
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var main = document.querySelector("main");
    if (fresh && main) main.innerHTML = fresh.innerHTML; else document.body.innerHTML = doc.body.innerHTML;
    if (doc.title) document.title = doc.title;
    setup(document.querySelector("main") || document.body);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
    window.scrollTo(0, 0);
  }

  function setup(root) {
    root.querySelectorAll("[data-scan-form]").forEach(function (form) {
      var camera = form.querySelector("[data-camera]") || document.querySelector("[data-camera]");
      if (camera) {
        var button = camera.querySelector("[data-camera-start]");
        button.addEventListener("click", function () { button.hidden = true; startCamera(camera, form); });
      }
      locate(form);
      if (form.hasAttribute("data-volunteer-form")) {
        var busy = false;
        form.addEventListener("submit", function (ev) {
          ev.preventDefault();
          if (busy) return;
          var at = new Date();
          if (!navigator.onLine) { keep(form, keptItem(form, at), form.getAttribute("data-msg-queued")); return; }
          busy = true;
          // kept records go first (a check-out needs its check-in); while they cannot be sent,
          // this one would fail the same way and is kept behind them
          locate(form).then(flush).then(function () {
            if (readQueue().length) { keep(form, keptItem(form, at), form.getAttribute("data-msg-failed")); return; }
            return send(form, at);
          }).then(function () { busy = false; }, function (e) { busy = false; throw e; });
        });
        return;
      }
      var located = false;
      form.addEventListener("submit", function (ev) {
        if (!located && form.querySelector("input[name=latitude]") && !form.querySelector("input[name=latitude]").value) {
          ev.preventDefault();
          located = true;
          locate(form).then(function () { form.submit(); });
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setup(document);
    if (volunteerForm()) {
      flush();
      window.addEventListener("online", flush);
      document.addEventListener("visibilitychange", function () { if (!document.hidden) flush(); });
    }
  });
})();

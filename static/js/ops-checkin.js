/* The door page (OPS-02): with JS a scan is sent with fetch to /sync (one result, shown big); when the network
   is gone it waits in localStorage (code, random ref, time) and is sent when the phone is back online — the server
   answers a re-sent ref from its log, so nothing counts twice. The camera reads QR codes where the browser has
   BarcodeDetector; otherwise the code field stays (a hardware scanner types into it). Without this file the form
   posts as a plain page. */
(function () {
  var app, form, input, key, sending = false;

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)tc_csrf=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var field = form && form.querySelector('input[name="_csrf_token"]');
    return field ? field.value : "";
  }

  function msg(name) { return app.getAttribute("data-msg-" + name) || name; }

  function load() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }

  function save(queue) { localStorage.setItem(key, JSON.stringify(queue)); showQueue(); }

  function ref() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  function showResult(kind, message, detail) {
    var box = document.getElementById("checkin-result");
    box.textContent = "";
    var div = document.createElement("div");
    div.className = "ops-result " + kind;
    div.setAttribute("role", "status");
    div.appendChild(text("strong", message));
    if (detail) { div.appendChild(text("span", detail)); }
    box.appendChild(div);
  }

  function addRecent(result) {
    var list = document.getElementById("recent");
    var empty = document.getElementById("recent-empty");
    if (empty) { empty.remove(); }
    var li = document.createElement("li");
    li.appendChild(text("span", result.message, "ops-tag " + (result.result === "ok" ? "confirmed" : "rejected")));
    li.appendChild(document.createTextNode(" " + (result.name || "")));
    list.insertBefore(li, list.firstChild);
  }

  function showQueue() {
    var queue = load();
    var card = document.getElementById("queue-card");
    var list = document.getElementById("queue");
    document.getElementById("net-state").textContent = navigator.onLine ? msg("online") : msg("offline");
    card.hidden = queue.length === 0;
    list.textContent = "";
    queue.forEach(function (scan) {
      var li = document.createElement("li");
      li.className = "queued";
      li.appendChild(text("span", scan.code.length > 16 ? scan.code.slice(0, 12) + "…" : scan.code));
      li.appendChild(text("span", new Date(scan.at).toLocaleTimeString(), "muted"));
      list.appendChild(li);
    });
  }

  function post(scans) {
    return fetch(app.getAttribute("data-sync"), {
      method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "accept": "application/json", "x-csrftoken": csrf()},
      body: JSON.stringify(scans)
    }).then(function (response) {
      if (!response.ok) { var err = new Error("http " + response.status); err.http = true; throw err; }
      return response.json();
    });
  }

  function counts(body) {
    if (!body.counts) { return; }
    document.getElementById("count-arrived").textContent = body.counts.arrived;
    document.getElementById("count-expected").textContent = body.counts.expected;
  }

  function forget(refs) {
    save(load().filter(function (scan) { return refs.indexOf(scan.ref) < 0; }));
  }

  function flush() {
    var queue = load();
    if (sending || !queue.length || !navigator.onLine) { showQueue(); return; }
    sending = true;
    post(queue).then(function (body) {
      counts(body);
      body.results.forEach(addRecent);
      forget(body.results.map(function (r) { return r.ref; }));
    }).catch(function () { showQueue(); }).then(function () { sending = false; });
  }

  function scan(code, method) {
    code = (code || "").trim();
    if (!code) { return; }
    var item = {code: code, ref: ref(), at: new Date().toISOString(), method: method};
    if (!navigator.onLine) { queueIt(item); return; }
    showResult("queued", msg("sending"));
    post([item]).then(function (body) {
      var r = body.results[0];
      counts(body);
      addRecent(r);
      showResult(r.result === "ok" ? "ok" : "refused", r.message, r.name);
    }).catch(function (err) {
      if (err.http) { showResult("refused", msg("failed")); } else { queueIt(item); }
    });
  }

  function queueIt(item) {
    var queue = load();
    item.method = "offline";  // the log tells a late scan from one answered at once
    queue.push(item);
    save(queue);
    showResult("queued", msg("queued"), item.code.length > 16 ? "" : item.code);
  }

  function camera() {
    var section = document.getElementById("scanner");
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    section.hidden = false;
    document.getElementById("scan-start").addEventListener("click", function () {
      var video = document.getElementById("scan-video");
      var detector = new window.BarcodeDetector({formats: ["qr_code"]});
      var last = "", lastAt = 0;
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        (function tick() {
          if (!document.body.contains(video)) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
          detector.detect(video).then(function (codes) {
            var value = codes.length ? codes[0].rawValue : "";
            if (value && (value !== last || Date.now() - lastAt > 4000)) {
              last = value; lastAt = Date.now();
              scan(value, "scan");
            }
          }).catch(function () {}).then(function () { setTimeout(tick, 300); });
        })();
      }).catch(function () { showResult("refused", msg("camera")); section.hidden = true; });
    });
  }

  function init() {
    app = document.getElementById("checkin-app");
    if (!app || app.getAttribute("data-ready")) { return; }
    app.setAttribute("data-ready", "1");
    key = "tc-checkin-queue-" + app.getAttribute("data-event");
    form = document.getElementById("checkin-form");
    input = document.getElementById("f-code");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      scan(input.value, "code");
      input.value = "";
      input.focus();
    });
    camera();
    showQueue();
    flush();
  }

  if (!window.tcOpsCheckin) {
    window.tcOpsCheckin = true;
    window.addEventListener("online", function () { flush(); });
    window.addEventListener("offline", function () { if (app) { showQueue(); } });
    setInterval(function () { if (app && document.body.contains(app)) { flush(); } }, 15000);
    document.addEventListener("htmx:load", init);
  }
  init();
})();

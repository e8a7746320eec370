// The big screen: swap in each fragment the SSE stream sends (the page works without this: it meta-refreshes).
(function () {
  var screen = document.getElementById("screen");
  var body = document.getElementById("scr-body");
  if (!screen || !body || !window.EventSource) return;
  var source = new EventSource(screen.getAttribute("data-stream"));
  source.addEventListener("update", function (event) {
    body.innerHTML = event.data;  // server-rendered, autoescaped HTML of our own
    screen.setAttribute("data-updated", String(Date.now()));
  });
})();

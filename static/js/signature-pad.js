/* The e-signature pad (components/signature.html): shows the canvas, draws with pointer events (finger, pen,
   mouse), and keeps a PNG data URL of the drawing in the hidden input; "Clear" empties both. Without this
   script the typed full name is the signature. The server checks the drawing; nothing is decided here. */
(function () {
  function setUp(field) {
    if (field.getAttribute("data-ready")) return;
    field.setAttribute("data-ready", "1");
    var pad = field.querySelector(".signature-pad"), canvas = field.querySelector("canvas");
    var input = pad.querySelector("input[type=hidden]"), clear = field.querySelector(".signature-clear");
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false, last = null;
    pad.hidden = false;
    canvas.style.touchAction = "none";
    canvas.style.width = "100%";
    canvas.style.border = "1px solid #999";
    canvas.style.background = "#fff";
    ctx.lineWidth = 4;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";

    function at(event) {
      var box = canvas.getBoundingClientRect();
      return {x: (event.clientX - box.left) * canvas.width / box.width,
              y: (event.clientY - box.top) * canvas.height / box.height};
    }
    function save() { if (drawn) input.value = canvas.toDataURL("image/png"); }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      last = at(event);
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var point = at(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(point.x, point.y);
      ctx.stroke();
      last = point;
      drawn = true;
      event.preventDefault();
    });
    function stop() { if (drawing) { drawing = false; save(); } }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      input.value = "";
    });
    var form = field.closest("form");
    if (form) form.addEventListener("submit", save);
  }
  function scan() {
    var fields = document.querySelectorAll("[data-signature-pad]");
    for (var i = 0; i < fields.length; i++) setUp(fields[i]);
  }
  scan();
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
})();

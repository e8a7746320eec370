/* Small enhancements only; every page works without this file. */
(function () {
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.classList && t.classList.contains("select-all")) {
      var form = t.closest("form");
      form.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = t.checked; });
    }
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-confirm]") : null;
    if (t && !window.confirm(t.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
  // The language switch submits on change when JS runs; the button stays for no-JS.
  document.addEventListener("change", function (e) {
    if (e.target.id === "lang-select") { e.target.form.requestSubmit ? e.target.form.requestSubmit() : e.target.form.submit(); }
  });
})();

/* Micro-page editor (OPS-06), an enhancement only: the "Add block" form shows just the fields of the chosen kind.
   Without JS every kind's fields are listed and the server uses those of the chosen kind. The block forms post
   through htmx (hx-post on the forms); the server answers with the re-rendered block list. */
(function () {
  function sync(form) {
    var select = form.querySelector('select[name="new_kind"]');
    if (!select) { return; }
    form.classList.add("js-kinds");
    form.querySelectorAll(".mp-kind").forEach(function (box) {
      box.hidden = box.getAttribute("data-kind") !== select.value;
    });
  }
  function init() { document.querySelectorAll("form.mp-add").forEach(sync); }
  document.addEventListener("change", function (e) {
    if (e.target.name === "new_kind") { sync(e.target.form); }
  });
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
  init();
})();

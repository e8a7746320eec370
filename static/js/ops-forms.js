/* Signup forms (OPS-02): hide the questions whose condition (data-show-if) is not met. Without this file every
   question is shown with its condition in the help text; the server decides either way. */
(function () {
  function values(form, name) {
    var out = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      var wrap = el.closest("[data-show-if]");
      if (wrap && wrap.hidden) { return; }  // a hidden question has no answer
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { out.push(el.value === "on" ? "yes" : el.value); }
      } else if (el.value) {
        out.push(el.value);
      }
    });
    return out;
  }

  function apply(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (wrap) {  // document order: earlier ones first
      var rule;
      try { rule = JSON.parse(wrap.getAttribute("data-show-if")); } catch (e) { return; }
      var given = values(form, rule.field);
      wrap.hidden = !given.some(function (v) { return (rule.values || []).indexOf(v) >= 0; });
    });
  }

  function all() { document.querySelectorAll("form.ops-signup").forEach(apply); }

  if (!window.tcOpsForms) {
    window.tcOpsForms = true;
    document.addEventListener("change", function (e) {
      var form = e.target.closest && e.target.closest("form.ops-signup");
      if (form) { apply(form); }
    });
    document.addEventListener("htmx:load", all);
  }
  all();
})();

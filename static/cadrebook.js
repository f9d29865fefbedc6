// The few behaviours of every page. They live here, not in the templates, because the
// Content-Security-Policy runs no inline script and no on...= attribute.
(function () {
  "use strict";

  // A form's summary of what to correct (or of a conflicting edit) takes the focus, so a
  // screen reader reads it first and the keyboard starts from it.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) {
    summary.focus();
  }

  // The language menu applies the choice at once.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-submit-on-change]")) {
      event.target.form.submit();
    }
  });

  // The unit tree: a toggle's first click fetches the children by htmx (its hx-get); a click
  // on an open toggle cancels that request and folds the children away instead.
  var CHEVRONS = { true: "ti ti-chevron-down", false: "ti ti-chevron-right" };
  document.addEventListener("htmx:confirm", function (event) {
    var button = event.detail.elt;
    if (!button.matches("button.toggle[aria-expanded]")) {
      return;
    }
    var open = button.getAttribute("aria-expanded") === "true";
    if (open) {
      event.preventDefault();
      event.detail.target.replaceChildren();
    }
    button.setAttribute("aria-expanded", String(!open));
    button.querySelector("i").className = CHEVRONS[!open];
  });
})();

// When a form comes back with errors, move focus to the error summary so that screen
// readers read it out and keyboard users start from the list of what to fix; a link in
// the summary then takes focus to its field. A file of its own: the CSP allows no inline
// script. Without JavaScript the summary is still first in the form, marked role="alert".
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#"]');
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    // A group of radios is named by its fieldset: focus its first choice.
    var field = target.matches("input, select, textarea, button")
      ? target
      : target.querySelector("input, select, textarea");
    if (!field) return;
    event.preventDefault();
    field.focus();
    target.scrollIntoView({ block: "center" });
  });
})();

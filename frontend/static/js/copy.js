// Progressive enhancement: a button that copies a block's text, or a read-only field's
// value, to the clipboard. Without JavaScript the button stays hidden and the text can be
// selected and copied by hand (a read-only field selects itself when focused).
(function () {
  "use strict";
  function textOf(source) {
    return ("value" in source ? source.value : source.textContent).trim();
  }
  function fallback(source) {
    // Older browsers and pages not served over HTTPS have no navigator.clipboard.
    if (!("select" in source)) return Promise.reject(new Error("cannot copy"));
    source.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("cannot copy"));
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || (!navigator.clipboard && !("select" in source))) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = navigator.clipboard ? navigator.clipboard.writeText(textOf(source)) : fallback(source);
      done.then(function () {
        button.textContent = button.dataset.copied || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () { if ("select" in source) source.select(); });
    });
  });
  document.querySelectorAll("input[readonly].copyable").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();

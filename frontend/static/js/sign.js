// Progressive enhancement for the sign form: show only the fields for the chosen kind of
// signer, and send only those (a hidden section's fields are disabled). Without JavaScript
// every field is shown, each labelled with whom it is for, and the server reads the ones
// that fit the kind chosen. Adding or removing an organisation block is a submit button
// either way: the server gives the form back with what was typed.
(function () {
  "use strict";
  var radios = document.querySelectorAll('input[name="kind"]');
  if (!radios.length) return;
  function update() {
    var chosen = document.querySelector('input[name="kind"]:checked');
    document.querySelectorAll("[data-for-kind]").forEach(function (el) {
      var hide = chosen ? el.dataset.forKind !== chosen.value : false;
      el.hidden = hide;
      el.querySelectorAll("input, select, textarea, button").forEach(function (control) {
        control.disabled = hide;
      });
    });
  }
  radios.forEach(function (r) { r.addEventListener("change", update); });
  update();
})();

// Progressive enhancement for the sign form: show only the fields for the chosen kind of
// signer. Without JavaScript every field is shown, each labelled with whom it is for.
(function () {
  "use strict";
  var radios = document.querySelectorAll('input[name="kind"]');
  if (!radios.length) return;
  function update() {
    var chosen = document.querySelector('input[name="kind"]:checked');
    document.querySelectorAll("[data-for-kind]").forEach(function (el) {
      el.hidden = chosen ? el.dataset.forKind !== chosen.value : false;
    });
  }
  radios.forEach(function (r) { r.addEventListener("change", update); });
  update();
})();

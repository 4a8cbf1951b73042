// Live preview for the statement editor. Without JavaScript the "Preview" button
// submits the form and the page comes back with the preview filled in.
(function () {
  "use strict";
  var body = document.getElementById("f-body");
  var preview = document.getElementById("preview");
  var target = document.getElementById("preview-body");
  var token = document.querySelector('input[name="csrf_token"]');
  if (!body || !preview || !target || !token || !window.fetch) return;
  var timer = null;
  var pending = null;
  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    var data = new URLSearchParams();
    data.set("body", body.value);
    fetch(preview.dataset.previewUrl, {
      method: "POST",
      body: data,
      headers: { "X-CSRF-Token": token.value },
      credentials: "same-origin",
      signal: pending.signal
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      // The server sanitises the HTML (nh3 allow-list) before sending it.
      if (html !== null) target.innerHTML = html;
    }).catch(function () {});
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  if (body.value) refresh();
})();

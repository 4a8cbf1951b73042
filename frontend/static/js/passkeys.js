// Passkeys: a form marked data-passkey="register" or "authenticate" asks its
// data-options address for WebAuthn options (the challenge stays on the server, bound to
// this browser), hands them to the browser's authenticator, and submits the answer in
// the form's hidden "credential" field as JSON with base64url-encoded bytes. A file of
// its own: the CSP allows no inline script. Without JavaScript or WebAuthn the code
// forms beside it still work.
(function () {
  "use strict";

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64url(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var text = atob(base64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function creationOptions(options) {
    options.challenge = fromBase64url(options.challenge);
    options.user.id = fromBase64url(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = fromBase64url(c.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = fromBase64url(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = fromBase64url(c.id); });
    return options;
  }

  function encodeCredential(credential) {
    var response = credential.response;
    var encoded = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
    if (response.attestationObject) {
      encoded.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) encoded.response.transports = response.getTransports();
    } else {
      encoded.response.authenticatorData = toBase64url(response.authenticatorData);
      encoded.response.signature = toBase64url(response.signature);
      if (response.userHandle) encoded.response.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify(encoded);
  }

  function showError(form, message) {
    var note = form.querySelector("[data-passkey-error]");
    if (!note) {
      note = document.createElement("p");
      note.setAttribute("data-passkey-error", "");
      note.setAttribute("role", "alert");
      note.className = "error";
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = message;
  }

  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    if (!supported) {
      var unsupported = form.querySelector("[data-passkey-unsupported]");
      if (unsupported) unsupported.hidden = false;
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      return;
    }
    if (form.hasAttribute("data-passkey-only-when-supported")) form.hidden = false;
    var field = form.querySelector("input[name=credential]");
    form.addEventListener("submit", function (event) {
      if (field.value) return;
      event.preventDefault();
      var csrf = form.querySelector("input[name=csrf_token]").value;
      fetch(form.getAttribute("data-options"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf },
      })
        .then(function (reply) {
          if (!reply.ok) throw new Error(String(reply.status));
          return reply.json();
        })
        .then(function (options) {
          if (form.getAttribute("data-passkey") === "register") {
            return navigator.credentials.create({ publicKey: creationOptions(options) });
          }
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          field.value = encodeCredential(credential);
          form.submit();
        })
        .catch(function () {
          showError(form, form.getAttribute("data-passkey-failed") || "The passkey did not answer. Try again, or use a code.");
        });
    });
  });
})();

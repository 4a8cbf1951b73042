// Starts Swagger UI on /docs. A file of its own because the CSP allows no inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url") || "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Without deep links the operation summaries hold no link inside their button (axe:
    // nested-interactive), which screen readers cannot reach.
    deepLinking: false,
    // No badge fetched from the public validator: nothing leaves this site.
    validatorUrl: null
  });
})();

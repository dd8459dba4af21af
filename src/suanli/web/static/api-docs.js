// Starts Swagger UI on /docs from a file (the content security policy refuses inline
// scripts). No validator badge: it would call a third-party site.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
  });
})();

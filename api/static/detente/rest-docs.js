// The REST docs page (/v1/docs): Swagger UI over the service's own OpenAPI document.
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: true,
  });
})();

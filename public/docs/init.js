// Swagger UI on this Worker's own OpenAPI document. validatorUrl: null keeps it from asking an
// online validator for a badge: the page loads nothing from any other origin.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
  tryItOutEnabled: false,
});

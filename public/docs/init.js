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
  onComplete: askForFirstResponseType,
});

// "Try it out" sends `Accept: */*` until someone picks a media type under Responses, although the
// picker shows one already; the chat endpoint answers */* with an NDJSON stream, which Swagger UI
// then fails to parse as JSON. Pick each operation's first 200 media type at load (for
// POST /api/chat, the JSON envelope), as choosing it in the picker would: the request asks for it.
function askForFirstResponseType() {
  const spec = window.ui.specSelectors.specJson().toJS();
  for (const [path, operations] of Object.entries(spec.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const first = Object.keys(operation?.responses?.["200"]?.content ?? {})[0];
      if (!first) continue;
      window.ui.specActions.changeProducesValue([path, method], first);
      window.ui.oas3Actions.setResponseContentType({ path, method, value: first });
    }
  }
}

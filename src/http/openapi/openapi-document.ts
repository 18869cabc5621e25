import { z } from "zod";
import * as responses from "./response-schemas.ts";
import { type Auth, documentedRoutes, parameterDescriptions, problemStatuses } from "./route-table.ts";

const toJson = (schema: z.ZodType) => {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
  return json;
};

/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate the requests (JSON
 * Schema 2020-12 is OpenAPI 3.1's schema dialect, so `z.toJSONSchema` output goes in as it is).
 *
 * @example
 *   const document = buildOpenApiDocument({ maxQueryTextChars: 20_000 });
 */
export function buildOpenApiDocument(options: { maxQueryTextChars: number; version?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of documentedRoutes(options.maxQueryTextChars)) {
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1]!, in: "path", required: true, schema: { type: "string" } }));
    const querySchema =
      route.query === undefined ? null : (toJson(route.query) as { properties?: Record<string, Record<string, unknown>>; required?: string[] });
    const queryParameters = Object.entries(querySchema?.properties ?? {}).map(([name, schema]) => ({
      name,
      in: "query",
      required: querySchema?.required?.includes(name) ?? false,
      ...(parameterDescriptions[name] === undefined ? {} : { description: parameterDescriptions[name] }),
      schema,
      ...(schema.type === "array" ? { style: "form", explode: true } : {}),
    }));
    const security = route.auth === "none" ? [] : [{ bearer: [] }, { apiKeyHeader: [] }];
    const ok = route.ok;
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, next: string | undefined) => (next ?? "").toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth === "none" ? {} : { security, description: authDescription(route.auth) }),
      parameters: [...pathParameters, ...queryParameters],
      ...(route.body === undefined
        ? {}
        : {
            requestBody: { required: true, content: Object.fromEntries(route.body.contentTypes.map((type) => [type, { schema: toJson(route.body!.schema) }])) },
          }),
      responses: {
        [String(ok.status)]: {
          description: ok.description,
          ...(ok.schema !== undefined
            ? { content: { "application/json": { schema: toJson(ok.schema) } } }
            : ok.contentType !== undefined
              ? { content: { [ok.contentType]: { schema: { type: "string" } } } }
              : {}),
        },
        ...Object.fromEntries(route.errors.map((status) => [String(status), { $ref: `#/components/responses/problem${status}` }])),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "kindred",
      version: options.version ?? "0.1.0",
      description: "Self-hosted related news: related articles by id, page URL or text, the widget and its HTML fragment, impressions and clicks.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: 'An API key (docs/http-api.md, "API keys")' },
        apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
      schemas: { Problem: toJson(responses.problemSchema) },
      responses: Object.fromEntries(
        Object.entries(problemStatuses).map(([status, description]) => [
          `problem${status}`,
          { description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
        ]),
      ),
    },
  };
}

function authDescription(auth: Exclude<Auth, "none">): string {
  if (auth === "write") return "Needs an API key with the write scope.";
  if (auth === "stats") return "Needs an API key that may read once any key is configured.";
  return "Public unless readsRequireKey is set; then an API key that may read.";
}

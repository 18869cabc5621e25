/**
 * One error vocabulary for the whole service (GUIDE.md: "One error vocabulary").
 *
 * Each code maps to an HTTP status and a title; the message says what was expected and, where
 * there is one, the fix. The HTTP layer renders these as RFC 9457 problem+json in one place;
 * the CLI prints `message`. Core raises them; nothing here knows about HTTP.
 */
export const errorCatalog = {
  invalid_parameter: { status: 400, title: "Invalid parameter" },
  unknown_parameter: { status: 400, title: "Unknown parameter" },
  invalid_body: { status: 400, title: "Invalid request body" },
  invalid_article: { status: 400, title: "Invalid article" },
  query_too_short: { status: 400, title: "Too little text to find related articles" },
  unauthorized: { status: 401, title: "API key required" },
  forbidden: { status: 403, title: "API key lacks the required scope" },
  cross_origin_refused: { status: 403, title: "Cross-origin request refused" },
  article_not_found: { status: 404, title: "Article not found" },
  route_not_found: { status: 404, title: "No such route" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  url_conflict: { status: 409, title: "URL belongs to another article" },
  url_not_found: { status: 404, title: "No article has this URL" },
  rate_limited: { status: 429, title: "Too many requests" },
  body_too_large: { status: 413, title: "Request body too large" },
  batch_too_large: { status: 413, title: "Too many articles in one batch" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  not_ready: { status: 503, title: "Index not ready" },
  index_model_mismatch: { status: 500, title: "Index was built with another model" },
  model_switched: { status: 503, title: "The index is switching models" },
  write_conflict: { status: 409, title: "The article changed on another replica meanwhile" },
  index_corrupt: { status: 500, title: "Index files are unreadable" },
  invalid_config: { status: 500, title: "Invalid configuration" },
  input_unreadable: { status: 400, title: "Input file unreadable" },
  model_unavailable: { status: 500, title: "Model unavailable" },
  internal: { status: 500, title: "Internal error" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

/**
 * The one error class kindred throws on purpose. `details` carries machine-readable context
 * (the parameter, the record number, the field) and is included in problem responses.
 *
 * @example
 *   throw new KindredError("article_not_found", `No article with id "${id}".`, { id });
 */
export class KindredError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "KindredError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }

  get title(): string {
    return errorCatalog[this.code].title;
  }
}

export function isKindredError(error: unknown): error is KindredError {
  return error instanceof KindredError;
}

/** The one wording of "no such article", for the engine, the routes and the CLI alike. */
export function articleNotFoundError(id: string): KindredError {
  return new KindredError("article_not_found", `No article with id "${id}" is indexed.`, { id });
}

/** A model switch (`kindred reindex`) met a request midway: its client retries it. */
export function modelSwitchedError(from: string, to: string): KindredError {
  return new KindredError("model_switched", `The index switched from model "${from}" to "${to}" while this request ran; retry it.`, { from, to });
}

import { z } from "zod";
import { KindredError } from "../core/errors.ts";

/** Most articles one `POST /v1/articles:batch` may carry. */
export const maxBatchArticles = 1_000;

/** POST /v1/articles:batch: `{"articles": [...]}`; each article is validated on its own. */
export const articleBatchBodySchema = z.object({ articles: z.array(z.unknown(), { message: "must be a list of articles" }) }).strict();

/**
 * The body of a PUT or PATCH of one article: a JSON object whose `id`, if it has one, is the
 * path's. `what` completes "The body must be a JSON object ...".
 */
export function parseArticleBody(raw: unknown, id: string, what: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new KindredError("invalid_body", `The body must be a JSON object ${what}.`, { parameter: "(body)" });
  }
  const body = raw as Record<string, unknown>;
  if ("id" in body && String(body.id) !== id) {
    throw new KindredError("invalid_body", `Field "id" does not match the article in the path ("${id}").`, { parameter: "id" });
  }
  return body;
}

/** Fields a PATCH may change: metadata only, never what the model reads. */
export const patchableFields = ["url", "topics", "published_at", "lang", "source", "image_url", "section", "author"] as const;
const textFields = ["title", "text", "html"] as const;

/**
 * PATCH /v1/articles/{id}: a JSON merge patch (RFC 7396) of metadata; `null` clears a field.
 * Values are validated by the one article schema once merged into the stored article.
 */
export function parseArticlePatch(raw: unknown, id: string): Record<string, unknown> {
  const patch = parseArticleBody(raw, id, "of fields to change");
  const textField = textFields.find((field) => field in patch);
  if (textField !== undefined) {
    throw new KindredError(
      "invalid_body",
      `PATCH changes metadata only (${patchableFields.join(", ")}); send "${textField}" with the whole article in PUT /v1/articles/{id}.`,
      { parameter: textField },
    );
  }
  const { id: _id, ...fields } = patch;
  const unknown = Object.keys(fields).find((field) => !(patchableFields as readonly string[]).includes(field));
  if (unknown !== undefined)
    throw new KindredError("unknown_parameter", `Unknown field "${unknown}"; PATCH accepts ${patchableFields.join(", ")}.`, { parameter: unknown });
  return fields;
}

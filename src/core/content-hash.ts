import * as crypto from "node:crypto";
import type { Article } from "./article.ts";
import { collapseWhitespace } from "./collapse-whitespace.ts";

/**
 * Hash of what a reader reads (title and body, case and whitespace folded): two articles with
 * the same text hash are copies of one text, and only one of them may appear in a list.
 */
export function hashArticleText(article: Pick<Article, "title" | "body">): string {
  return sha256(`${foldText(article.title)}\u0000${foldText(article.body)}`);
}

/** NFKC, lower case, every run of whitespace one space, trimmed. */
function foldText(text: string): string {
  return collapseWhitespace(text.normalize("NFKC").toLowerCase()).trim();
}

/** Hash of the exact model input and the model: unchanged means the stored vector is current. */
export function hashEmbedInput(modelId: string, embedText: string): string {
  return sha256(`${modelId}\u0000${embedText}`);
}

/** The one-shot hash where Node has it (20.12 and later): no Hash object per call. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: "base64url") => string }).hash;

/** The SHA-256 of a text (as UTF-8) or of bytes, base64url. */
export function sha256Base64Url(text: string | Uint8Array): string {
  return oneShot === undefined ? crypto.createHash("sha256").update(text).digest("base64url") : oneShot("sha256", text, "base64url");
}

function sha256(text: string): string {
  return sha256Base64Url(text).slice(0, 32);
}

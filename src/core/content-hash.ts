import { createHash } from "node:crypto";
import type { Article } from "./article.ts";

/**
 * Hash of what a reader reads (title and body, case and whitespace folded): two articles with
 * the same text hash are copies of one text, and only one of them may appear in a list.
 */
export function hashArticleText(article: Pick<Article, "title" | "body">): string {
  const fold = (text: string) => text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
  return sha256(`${fold(article.title)}\u0000${fold(article.body)}`);
}

/** Hash of the exact model input and the model: unchanged means the stored vector is current. */
export function hashEmbedInput(modelId: string, embedText: string): string {
  return sha256(`${modelId}\u0000${embedText}`);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 32);
}

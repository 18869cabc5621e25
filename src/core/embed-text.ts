import type { Article } from "./article.ts";

/**
 * How many characters of an article the model is shown. The bundled encoder reads about the
 * first 128 tokens (~600 characters of English); the margin keeps longer-window models fed
 * while capping what crosses to the worker threads.
 */
export const embedInputMaxChars = 2_000;

/**
 * The text the model embeds for an article: the title, then the start of the body (the lead,
 * where news puts who, what, where). When the body already begins with the title, as in short
 * wire items whose headline is their first sentence, the title is not repeated.
 * Measured with `kindred eval` (README, "What text is embedded").
 */
export function buildEmbedText(article: Pick<Article, "title" | "body">, maxChars = embedInputMaxChars): string {
  const title = article.title.trim();
  const body = article.body.trim();
  const titleStem = title.replace(/(…|\.\.\.)$/, "").trim();
  const text = titleStem !== "" && body.startsWith(titleStem) ? body : [title, body].filter((part) => part !== "").join("\n");
  return truncateAtWord(text, maxChars);
}

/** Cuts text to at most `maxChars`, at a word boundary when one is near. */
export function truncateAtWord(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const lastSpace = cut.search(/\s\S*$/);
  return lastSpace > maxChars * 0.8 ? cut.slice(0, lastSpace) : cut;
}

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
 * Measured with `kindred eval` (docs/evaluation.md).
 */
export function buildEmbedText(article: Pick<Article, "title" | "body">, maxChars = embedInputMaxChars): string {
  const title = article.title.trim();
  const body = article.body.trim();
  const titleStem = title.replace(/(…|\.\.\.)$/, "").trim();
  const text = titleStem !== "" && body.startsWith(titleStem) ? body : [title, body].filter((part) => part !== "").join("\n");
  return truncateAtWord(text, maxChars);
}

/** Passages: the lead window, then the body in chunks that each fit the bundled encoder's 128 tokens. */
export const passageLimits = Object.freeze({ leadWords: 90, chunkWords: 60, maxChunks: 10 });

/**
 * The texts the model embeds for an article; its vector is their mean (normalised). An article
 * of at most 90 words is one passage, `buildEmbedText`. A longer one adds its body in 60-word
 * chunks (at most 10, the first 600 words), so more than the first 128 tokens count: the
 * bundled encoder ignores everything after them (research: +1.7 points P@10 on bbc).
 */
export function buildEmbedPassages(article: Pick<Article, "title" | "body">): string[] {
  const text = buildEmbedText(article);
  const words = text.split(/\s+/).filter((word) => word !== "");
  if (words.length <= passageLimits.leadWords) return [text];
  const title = article.title.trim();
  const body = article.body.trim();
  const bodyWords = (title !== "" && body.startsWith(title) ? body.slice(title.length) : body).split(/\s+/).filter((word) => word !== "");
  const passages = [words.slice(0, passageLimits.leadWords).join(" ")];
  for (let start = 0; start < bodyWords.length && passages.length <= passageLimits.maxChunks; start += passageLimits.chunkWords) {
    passages.push(bodyWords.slice(start, start + passageLimits.chunkWords).join(" "));
  }
  return passages;
}

/** Cuts text to at most `maxChars`, at a word boundary when one is near. */
export function truncateAtWord(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const lastSpace = cut.search(/\s\S*$/);
  return lastSpace > maxChars * 0.8 ? cut.slice(0, lastSpace) : cut;
}

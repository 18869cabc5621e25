import type { Article } from "./article.ts";
import { isStopWord } from "./related/query-terms.ts";

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

/**
 * Passages: the lead window, then the body in chunks that each fit the bundled encoder's 128
 * tokens. `selectedChunks` is how many of those chunks the default plan keeps: one, not two, since
 * a second chunk is a third passage of model work on a full-length article, and leaving it out
 * moved no figure of the served (hybrid) ranking outside its interval (docs/evaluation.md,
 * "Which passages are embedded"). `leadWeight` is how many times the lead counts in the article's
 * vector (engine/embed-articles.ts, `articleVector`): a news article says what happened in its
 * lead, and a chunk counting as much pulled the vector toward the article's background
 * (docs/evaluation.md, "Tenth session").
 */
export const passageLimits = Object.freeze({ leadWords: 90, chunkWords: 60, maxChunks: 10, selectedChunks: 1, leadWeight: 2 });

/**
 * Which passages of a long article the model embeds. `selected` (the default): the lead plus
 * the body chunk after it that carries most of the article's recurring terms not already in the
 * lead (at most `passageLimits.selectedChunks` such chunks). `all`: the lead plus every 60-word chunk of the
 * first 600 body words, the earlier plan (several times the model work on full-length
 * articles; docs/performance.md and docs/evaluation.md compare the two).
 */
export type PassagePlan = "selected" | "all";
export const passagePlans: readonly PassagePlan[] = Object.freeze(["selected", "all"]);

/**
 * The texts the model embeds for an article; its vector is their mean (normalised). An article
 * of at most 90 words is one passage, `buildEmbedText`, under either plan. A longer one adds
 * body chunks, so more than the first 128 tokens count: the bundled encoder ignores everything
 * after them (research: +1.7 points P@10 on bbc).
 */
export function buildEmbedPassages(article: Pick<Article, "title" | "body">, plan: PassagePlan = "selected"): string[] {
  const text = buildEmbedText(article);
  if (!hasMoreWordsThan(text, passageLimits.leadWords)) return [text];
  const words = splitOnSpace(text);
  const title = article.title.trim();
  const body = article.body.trim();
  const bodyWords = splitOnSpace(title !== "" && body.startsWith(title) ? body.slice(title.length) : body);
  const lead = words.slice(0, passageLimits.leadWords).join(" ");
  return plan === "all"
    ? [lead, ...chunkAllOfBody(bodyWords)]
    : [lead, ...selectDistinctiveChunks(lead, bodyWords, splitOnSpace(title).length, passageLimits.selectedChunks)];
}

/** The earlier plan: every chunk from the body's first word (the first overlaps the lead). */
function chunkAllOfBody(bodyWords: readonly string[]): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < bodyWords.length && chunks.length < passageLimits.maxChunks; start += passageLimits.chunkWords) {
    chunks.push(bodyWords.slice(start, start + passageLimits.chunkWords).join(" "));
  }
  return chunks;
}

/**
 * The body chunks after the lead (within the first 600 body words) that add most of what the
 * lead misses: greedily, the chunk whose terms not yet covered weigh most, where a term weighs
 * how often it recurs in the article beyond its first use (a word used once says little about
 * what the whole article is about). Kept in text order; a chunk that adds nothing is not embedded.
 * `maxChunks`: at most that many (the default plan passes `passageLimits.selectedChunks`).
 */
export function selectDistinctiveChunks(lead: string, bodyWords: readonly string[], titleWords: number, maxChunks: number): string[] {
  // The lead is the title, then the body up to 90 words in all.
  const firstBodyWord = Math.max(0, passageLimits.leadWords - titleWords);
  const lastBodyWord = Math.min(bodyWords.length, passageLimits.maxChunks * passageLimits.chunkWords);
  const chunks: { start: number; text: string; terms: Set<string> }[] = [];
  for (let start = firstBodyWord; start < lastBodyWord; start += passageLimits.chunkWords) {
    const text = bodyWords.slice(start, Math.min(lastBodyWord, start + passageLimits.chunkWords)).join(" ");
    chunks.push({ start, text, terms: new Set(contentTerms(text)) });
  }
  if (chunks.length === 0) return [];
  const counts = new Map<string, number>();
  for (const term of contentTerms(`${lead} ${chunks.map((chunk) => chunk.text).join(" ")}`)) counts.set(term, (counts.get(term) ?? 0) + 1);
  const covered = new Set(contentTerms(lead));
  const chosen: typeof chunks = [];
  while (chosen.length < maxChunks) {
    let best: (typeof chunks)[number] | null = null;
    let bestGain = 0;
    for (const chunk of chunks) {
      if (chosen.includes(chunk)) continue;
      let gain = 0;
      for (const term of chunk.terms) if (!covered.has(term)) gain += counts.get(term)! - 1;
      if (gain > bestGain) [best, bestGain] = [chunk, gain];
    }
    if (best === null) break;
    chosen.push(best);
    for (const term of best.terms) covered.add(term);
  }
  return chosen.sort((a, b) => a.start - b.start).map((chunk) => chunk.text);
}

const termPattern = /[\p{L}\p{N}]+/gu;

/** Lower-cased words of three or more characters that are not function words. */
function contentTerms(text: string): string[] {
  const terms: string[] = [];
  for (const [word] of text.toLowerCase().matchAll(termPattern)) if (word.length >= 3 && !isStopWord(word)) terms.push(word);
  return terms;
}

/**
 * `splitOnSpace(text).length > count` without the array: most articles a re-index hashes are
 * one passage, and splitting each into words only to count them was a share of its time.
 */
function hasMoreWordsThan(text: string, count: number): boolean {
  let words = 0;
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    const space = isWhitespace(text.charCodeAt(index));
    if (!space && !inWord && ++words > count) return true;
    inWord = !space;
  }
  return false;
}

/** Exactly the code units `\s` matches (ECMAScript WhiteSpace and LineTerminator). */
function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function splitOnSpace(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** Cuts text to at most `maxChars`, at a word boundary when one is near. */
export function truncateAtWord(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const lastSpace = cut.search(/\s\S*$/);
  return lastSpace > maxChars * 0.8 ? cut.slice(0, lastSpace) : cut;
}

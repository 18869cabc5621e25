import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { collapseWhitespace } from "../../src/core/collapse-whitespace.ts";
import { hashArticleText, hashEmbedInput } from "../../src/core/content-hash.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { normalizeTopic } from "../../src/core/topics.ts";

/** The folding and hashing as they were written before the fast paths: the results must not move. */
const reference = {
  collapse: (text: string) => text.replace(/\s+/g, " "),
  fold: (text: string) => text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim(),
  sha256: (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 32),
  topic: (topic: string) => topic.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase(),
};

const pieces = ["a", "Storm", "É", "ﬁ", "Ｆｕｌｌ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\ufeff", "\u2028", "ß", "İ", "😀", "-", "."];

/** Texts made of the pieces above in a seeded random order, so every kind of whitespace meets every other. */
function sampleTexts(count: number): string[] {
  const random = mulberry32(14);
  const texts = ["", " ", "plain words with single spaces", " leading and trailing ", "double  space", "tab\tinside", "line\nbreak"];
  while (texts.length < count) {
    const length = Math.floor(random() * 12);
    texts.push(Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]).join(""));
  }
  return texts;
}

describe("text folding for content hashes and topics", () => {
  const texts = sampleTexts(3_000);

  it("collapses whitespace exactly as replace(/\\s+/g, ' ') does, skipping the copy only where nothing changes", () => {
    for (const text of texts) expect([text, collapseWhitespace(text)]).toEqual([text, reference.collapse(text)]);
    expect(collapseWhitespace("no runs here")).toBe("no runs here");
  });

  it("hashes an article's text as before: the stored text hashes of existing indexes stay valid", () => {
    for (let index = 0; index + 1 < texts.length; index += 2) {
      const article = { title: texts[index]!, body: texts[index + 1]! };
      expect(hashArticleText(article)).toBe(reference.sha256(`${reference.fold(article.title)}\u0000${reference.fold(article.body)}`));
    }
    expect(hashEmbedInput("google/use-lite", "Storm closes the harbour")).toBe(reference.sha256("google/use-lite\u0000Storm closes the harbour"));
  });

  it("normalises topics as before", () => {
    for (const text of texts) expect([text, normalizeTopic(text)]).toEqual([text, reference.topic(text)]);
  });
});

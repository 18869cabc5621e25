import { describe, expect, it } from "vitest";
import { buildEmbedPassages, passageLimits, selectDistinctiveChunks } from "../../src/core/embed-text.ts";

/** `count` distinct filler words that recur nowhere else ("w0 w1 ..." with a prefix per chunk). */
const filler = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index}x`).join(" ");

describe("passages the model embeds for an article", () => {
  it("makes one passage of an article of at most 90 words however its words are spaced, and more of one past 90", () => {
    // Every kind of whitespace, and two look-alikes that are not (a zero-width space, a joiner).
    const spaces = [
      " ",
      "  ",
      "\t",
      "\n",
      "\v",
      "\f",
      "\u00a0",
      "\u1680",
      "\u2007",
      "\u200a",
      "\u2028",
      "\u2029",
      "\u202f",
      "\u205f",
      "\u3000",
      "\ufeff",
      " \r\n ",
      "\u200b",
      "\u2060",
    ];
    for (let words = 85; words <= 95; words++) {
      for (const [index, space] of spaces.entries()) {
        // Words joined by one kind of whitespace, with some at the ends, in the title and body both.
        const text = Array.from({ length: words }, (_, word) => `w${word}`).join(space);
        const article = { title: `${space}t${index}`, body: `${text}${space}` };
        const counted = `t${index} ${text}`.split(/\s+/).filter((word) => word !== "").length;
        expect([words, index, buildEmbedPassages(article, "all").length === 1]).toEqual([words, index, counted <= passageLimits.leadWords]);
      }
    }
  });

  it("gives a short article one passage under either plan", () => {
    const article = { title: "Quake hits Japan", body: "A strong earthquake struck the west coast of Japan on Monday." };
    expect(buildEmbedPassages(article, "selected")).toEqual(["Quake hits Japan\nA strong earthquake struck the west coast of Japan on Monday."]);
    expect(buildEmbedPassages(article, "all")).toEqual(buildEmbedPassages(article, "selected"));
  });

  it("embeds every 60-word chunk of the body under the old plan", () => {
    const article = { title: "Title words here", body: filler("a", 300) };
    const passages = buildEmbedPassages(article, "all");
    // The lead, then chunks from the body's first word: 300 words make 5 of them.
    expect(passages).toHaveLength(1 + 5);
    expect(passages[1]!.split(" ")[0]).toBe("a0x");
  });

  it("keeps the lead and the chunks that carry the article's recurring terms, in text order", () => {
    // Lead: the title and the first 87 body words. After it: a chunk of filler, one that repeats
    // a name the lead never mentions, filler again, and one that repeats another name.
    const lead = filler("lead", 87);
    const repeats = (name: string, words: number) =>
      Array.from({ length: words }, (_, index) => (index % 4 === 0 ? name : `${name.slice(0, 3)}${index}z`)).join(" ");
    const body = [lead, filler("b", 60), repeats("Zelensky", 60), filler("c", 60), repeats("Rutte", 60)].join(" ");
    const passages = buildEmbedPassages({ title: "Talks in Kyiv", body }, "selected");
    expect(passages).toHaveLength(1 + passageLimits.selectedChunks);
    expect(passages[0]!.startsWith("Talks in Kyiv")).toBe(true);
    expect(passages[1]!.startsWith("Zelensky")).toBe(true);
    // Allowed two chunks, the selection adds the other name's chunk, still in text order.
    const twoChunks = selectDistinctiveChunks(passages[0]!, body.split(" "), 3, 2);
    expect(twoChunks).toHaveLength(2);
    expect(twoChunks[0]!.startsWith("Zelensky")).toBe(true);
    expect(twoChunks[1]!.startsWith("Rutte")).toBe(true);
    // The whole article under the old plan would be the lead and six chunks.
    expect(buildEmbedPassages({ title: "Talks in Kyiv", body }, "all")).toHaveLength(7);
  });

  it("keeps one chunk beside the lead by default: the one that adds most, wherever it lies", () => {
    const repeats = (name: string, every: number) =>
      Array.from({ length: 60 }, (_, index) => (index % every === 0 ? name : `${name.slice(0, 3)}${index}z`)).join(" ");
    // The later chunk repeats its name twice as often, so it is the one kept.
    const body = [filler("lead", 87), repeats("Zelensky", 6), filler("c", 60), repeats("Rutte", 3)].join(" ");
    const passages = buildEmbedPassages({ title: "Talks in Kyiv", body }, "selected");
    expect(passageLimits.selectedChunks).toBe(1);
    expect(passages).toHaveLength(2);
    expect(passages[1]!.startsWith("Rutte")).toBe(true);
  });

  it("does not embed a chunk that adds no recurring term", () => {
    const body = `${filler("lead", 87)} ${filler("tail", 100)}`;
    expect(buildEmbedPassages({ title: "Talks in Kyiv", body }, "selected")).toHaveLength(1);
  });

  it("never repeats the lead's words in a selected chunk", () => {
    const body = `${filler("lead", 87)} ${Array.from({ length: 120 }, (_, index) => (index % 3 === 0 ? "ceasefire" : `w${index}q`)).join(" ")}`;
    const passages = buildEmbedPassages({ title: "Talks in Kyiv", body }, "selected");
    expect(passages.slice(1).join(" ")).not.toMatch(/lead\d+x/);
    expect(passages.length).toBeGreaterThan(1);
  });
});

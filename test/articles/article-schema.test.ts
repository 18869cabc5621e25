import { describe, expect, it } from "vitest";
import { parseArticle, parseIsoTimestamp } from "../../src/articles/article-schema.ts";

describe("article schema", () => {
  it("accepts a full record and normalises topics, dates and ids", () => {
    const parsed = parseArticle({
      id: 42,
      title: "  Pentagon denies report  ",
      text: "The Department of Defense denies it.",
      url: "https://example.org/a",
      topics: ["  Russia–United States relations ", "SPORTS", "sports", ""],
      published_at: "2025-03-05",
      lang: "en",
      source: "Wire",
      image_url: " https://example.org/a.jpg ",
      section: " World ",
      author: "A. Reporter",
      category: "ignored extra field",
    });
    expect(parsed).toEqual({
      ok: true,
      article: {
        id: "42",
        title: "Pentagon denies report",
        body: "The Department of Defense denies it.",
        url: "https://example.org/a",
        topics: ["russia–united states relations", "sports"],
        publishedAt: "2025-03-05",
        publishedMs: Date.UTC(2025, 2, 5),
        lang: "en",
        source: "Wire",
        imageUrl: "https://example.org/a.jpg",
        section: "World",
        author: "A. Reporter",
      },
    });
  });

  it("rejects a display image that is not an http(s) URL and an over-long section", () => {
    const parsed = parseArticle({ id: "d", title: "T", image_url: "javascript:alert(1)", section: "x".repeat(201) });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues.map((issue) => issue.field)).toEqual(["image_url", "section"]);
  });

  it("reduces HTML to text when no text is given", () => {
    const parsed = parseArticle({ id: "h", title: "T", html: "<p>First &amp; <b>bold</b></p><script>x()</script><p>Second</p>" });
    expect(parsed.ok && parsed.article.body).toBe("First & bold\n\nSecond");
  });

  it("splits topics given as one delimited string (CSV cells)", () => {
    const parsed = parseArticle({ id: "c", title: "T", topics: "Politics|Economy; Trade" });
    expect(parsed.ok && parsed.article.topics).toEqual(["politics", "economy", "trade"]);
  });

  it("reports every bad field with its reason", () => {
    const parsed = parseArticle({ id: "", url: "ftp://x", published_at: "2025-02-30", topics: 7 });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((issue) => issue.field).sort()).toEqual(["id", "published_at", "topics", "url"]);
    expect(parsed.issues.find((issue) => issue.field === "published_at")?.reason).toMatch(/ISO 8601/);
  });

  it("requires a title, text or html", () => {
    const parsed = parseArticle({ id: "empty", title: " ", text: "" });
    expect(parsed).toMatchObject({ ok: false, id: "empty", issues: [{ field: "text", reason: "an article needs a title, text or html" }] });
  });

  it("rejects a record that is not an object", () => {
    expect(parseArticle([1, 2])).toMatchObject({ ok: false, id: null, issues: [{ field: "(record)" }] });
  });

  it.each([
    ["2025-03-02", Date.UTC(2025, 2, 2)],
    ["2025-03-02T10:15:00Z", Date.UTC(2025, 2, 2, 10, 15)],
    ["2025-03-02T10:15:00+02:00", Date.UTC(2025, 2, 2, 8, 15)],
    ["2025-03-02T10:15", Date.UTC(2025, 2, 2, 10, 15)],
    ["2025-02-29", null],
    ["March 2, 2025", null],
    ["2025-3-2", null],
  ])("parses the timestamp %s", (text, expected) => {
    expect(parseIsoTimestamp(text)).toBe(expected);
  });
});

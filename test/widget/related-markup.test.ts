import { describe, expect, it } from "vitest";
import { escapeHtml, formatPublished, renderRelatedMarkup } from "../../src/widget/related-markup.js";

const result = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Title ${id}`,
  url: `https://news.example/${id}`,
  published_at: "2025-03-05",
  ...extra,
});

describe("the related box's markup (widget and fragment)", () => {
  it("is an ordered list of linked titles with section, date and position, labelled by its heading", () => {
    const html = renderRelatedMarkup(
      { recommendation_id: "rec1", results: [result("a", { section: "World" }), result("b"), result("c")] },
      { minResults: 3, heading: "More news" },
    );
    expect(html).toContain('<section class="kindred-related" aria-label="More news" data-recommendation-id="rec1">');
    expect(html).toContain('<h2 class="kindred-related__heading">More news</h2>');
    expect(html).toContain(
      '<li class="kindred-related__item" data-position="1" data-article="a"><div><a class="kindred-related__link" href="https://news.example/a">Title a</a>',
    );
    expect(html).toContain('<span class="kindred-related__section">World</span><time datetime="2025-03-05">5 March 2025</time>');
    expect(html.match(/<li /g)).toHaveLength(3);
    expect(html).toContain('data-position="3" data-article="c"');
  });

  it("shows an image only for an http(s) image_url, with empty alt text (the title says it)", () => {
    const html = renderRelatedMarkup(
      { results: [result("a", { image_url: "https://news.example/a.jpg" }), result("b", { image_url: "javascript:alert(1)" }), result("c")] },
      { minResults: 1 },
    );
    expect(html).toContain('<img class="kindred-related__image" src="https://news.example/a.jpg" alt="" loading="lazy">');
    expect(html.match(/<img /g)).toHaveLength(1);
    expect(html).not.toContain("javascript:");
  });

  it("never links a non-http URL and escapes every text", () => {
    const html = renderRelatedMarkup(
      { results: [result('x"><script>', { url: "javascript:alert(1)", title: "<b>&</b>", section: "'quoted'" })] },
      { minResults: 1 },
    );
    expect(html).not.toContain("<a ");
    expect(html).toContain('<span class="kindred-related__title">&#60;b&#62;&#38;&#60;/b&#62;</span>');
    expect(html).toContain('data-article="x&#34;&#62;&#60;script&#62;"');
    expect(html).toContain("&#39;quoted&#39;");
  });

  it("is empty below min_results or without results", () => {
    expect(renderRelatedMarkup({ results: [result("a"), result("b")] }, { minResults: 3 })).toBe("");
    expect(renderRelatedMarkup({ results: [] }, { minResults: 0 })).toBe("");
  });

  it("formats dates the same everywhere, in UTC, and escapes the five HTML characters", () => {
    expect(formatPublished("2025-12-31T23:30:00-05:00")).toBe("31 December 2025");
    expect(formatPublished("not a date")).toBe("");
    expect(escapeHtml(`<>&"'`)).toBe("&#60;&#62;&#38;&#34;&#39;");
  });
});

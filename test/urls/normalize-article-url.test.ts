import { describe, expect, it } from "vitest";
import { isArticleUrl, normalizeArticleUrl } from "../../src/core/urls/normalize-article-url.ts";

describe("normalizeArticleUrl", () => {
  it.each([
    ["lower-cases scheme and host, keeps path case", "HTTPS://News.Example.COM/World/Story", "https://news.example.com/World/Story"],
    ["drops the default https port", "https://news.example:443/a", "https://news.example/a"],
    ["drops the default http port", "http://news.example:80/a", "http://news.example/a"],
    ["keeps another port", "http://news.example:8080/a", "http://news.example:8080/a"],
    ["keeps 80 on https (not its default)", "https://news.example:80/a", "https://news.example:80/a"],
    ["drops the fragment", "https://news.example/a#comments", "https://news.example/a"],
    ["drops a trailing slash", "https://news.example/world/story/", "https://news.example/world/story"],
    ["drops several trailing slashes", "https://news.example/world//", "https://news.example/world"],
    ["keeps the root path", "https://news.example/", "https://news.example/"],
    ["adds the root path to a bare host", "https://news.example", "https://news.example/"],
    ["drops utm_* in any case", "https://news.example/a?UTM_Source=x&utm_medium=y&utm_campaign=z", "https://news.example/a"],
    ["drops click ids", "https://news.example/a?fbclid=1&gclid=2&msclkid=3&mc_cid=4&mc_eid=5&_ga=6&igshid=7", "https://news.example/a"],
    ["keeps real parameters, sorted by name", "https://news.example/a?page=2&id=7&utm_source=x", "https://news.example/a?id=7&page=2"],
    ["keeps repeated parameters in their order", "https://news.example/a?tag=b&tag=a", "https://news.example/a?tag=b&tag=a"],
    ["drops an empty query", "https://news.example/a?", "https://news.example/a"],
    ["drops credentials", "https://user:secret@news.example/a", "https://news.example/a"],
    ["trims spaces", "  https://news.example/a  ", "https://news.example/a"],
    ["encodes an international host as punycode", "https://bücher.example/a", "https://xn--bcher-kva.example/a"],
    ["normalises percent-encoding of the path", "https://news.example/caf%C3%A9", "https://news.example/caf%C3%A9"],
    ["combines everything", "HTTPS://News.Example:443/world/story/?utm_source=x&b=2&a=1#top", "https://news.example/world/story?a=1&b=2"],
  ])("%s", (_name, input, expected) => {
    expect(normalizeArticleUrl(input)).toBe(expected);
  });

  it("maps the forms a page may report to one URL", () => {
    const forms = [
      "https://news.example/world/story",
      "https://NEWS.example/world/story/",
      "https://news.example:443/world/story#top",
      "https://news.example/world/story?utm_source=twitter&fbclid=abc",
    ];
    expect(new Set(forms.map(normalizeArticleUrl))).toEqual(new Set(["https://news.example/world/story"]));
  });

  it("tells different pages apart", () => {
    expect(normalizeArticleUrl("https://news.example/a?id=1")).not.toBe(normalizeArticleUrl("https://news.example/a?id=2"));
    expect(normalizeArticleUrl("http://news.example/a")).not.toBe(normalizeArticleUrl("https://news.example/a"));
    expect(normalizeArticleUrl("https://news.example/A")).not.toBe(normalizeArticleUrl("https://news.example/a"));
  });

  it.each(["", "not a url", "/relative/path", "ftp://news.example/a", "javascript:alert(1)", "mailto:a@news.example", "http://"])(
    "returns null for %j",
    (input) => {
      expect(normalizeArticleUrl(input)).toBeNull();
    },
  );

  it("is idempotent", () => {
    for (const input of ["HTTPS://News.Example:443/world/story/?utm_source=x&b=2&a=1#top", "https://news.example/?q=a%20b&q=c", "https://bücher.example/Ä/"]) {
      const once = normalizeArticleUrl(input)!;
      expect(normalizeArticleUrl(once)).toBe(once);
    }
  });

  it("isArticleUrl (what validating a record asks) is true exactly where normalizeArticleUrl gives a URL", () => {
    const inputs = [
      "",
      "not a url",
      "/relative/path",
      "ftp://news.example/a",
      "javascript:alert(1)",
      "mailto:a@news.example",
      "http://",
      "https://",
      "http:///a",
    ];
    inputs.push(
      "https://news.example/a",
      "  https://news.example/a  ",
      "HTTPS://News.Example:443/x/?utm_source=x#top",
      "https://bücher.example/a",
      "http://[::1]:8080/a",
    );
    inputs.push("https://user:secret@news.example/a", "https://news.example:99999/a", "https://exa mple.com/a", "http://%zz/a", "https:news.example/a");
    for (const input of inputs) expect([input, isArticleUrl(input)]).toEqual([input, normalizeArticleUrl(input) !== null]);
    expect(inputs.filter(isArticleUrl).length).toBeGreaterThan(4);
    expect(inputs.filter((input) => !isArticleUrl(input)).length).toBeGreaterThan(6);
  });
});

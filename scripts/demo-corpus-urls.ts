/**
 * Gives every item of the demo corpus a URL of its own, once (the result is what ships in data/).
 *
 * The portal's items all pointed at their day page (`Portal:Current_events/2025_March_2`), the
 * attribution link, shared by every item of that day; kindred keeps an article's URL unique
 * among live articles (a page URL finds one article), so the corpus could not be indexed as it
 * was. Each item now has as `url` the first outlet it cites that no earlier item took (the news
 * story the item reports), or none; the day page moves to `attribution_url` (which the indexer
 * ignores) and the portal's section heading becomes `section`. Running it again changes nothing.
 *
 *   npx tsx scripts/demo-corpus-urls.ts data/wcep-2025-2026.jsonl.gz
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { normalizeArticleUrl } from "../src/core/urls/normalize-article-url.ts";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: npx tsx scripts/demo-corpus-urls.ts FILE.jsonl.gz");
const lines = gunzipSync(readFileSync(path))
  .toString("utf8")
  .split("\n")
  .filter((line) => line.trim() !== "");
const taken = new Set<string>();
let withoutUrl = 0;
const out = lines.map((line) => {
  const item = JSON.parse(line) as Record<string, unknown>;
  const attribution = (item.attribution_url ?? item.url) as string;
  const cited = ((item.cited_sources as { url?: string }[] | undefined) ?? [])
    .map((source) => source.url)
    .filter((url): url is string => typeof url === "string");
  const url = cited.find((candidate) => {
    const key = normalizeArticleUrl(candidate);
    return key !== null && !taken.has(key);
  });
  if (url === undefined) withoutUrl++;
  else taken.add(normalizeArticleUrl(url)!);
  // Key order kept readable: the new fields sit where the old url was.
  const { id, title, text, url: _old, attribution_url: _attribution, section: _section, ...rest } = item;
  return JSON.stringify({
    id,
    title,
    text,
    url: url ?? null,
    attribution_url: attribution,
    published_at: rest.published_at,
    section: item.category ?? null,
    ...rest,
  });
});
writeFileSync(`${path}.tmp`, gzipSync(`${out.join("\n")}\n`, { level: 9 }));
renameSync(`${path}.tmp`, path);
console.log(`${lines.length} items, ${lines.length - withoutUrl} with a URL of their own, ${withoutUrl} without`);

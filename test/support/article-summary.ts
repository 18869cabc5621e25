import type { ArticleSummary } from "../../src/store/article-store.ts";

/** A catalog row for label `label` (id `a<label>`, text hash `t<label>`, no topics or date), with `fields` over it. */
export function articleSummary(label: number, fields: Partial<ArticleSummary> = {}): ArticleSummary {
  return {
    label,
    id: `a${label}`,
    title: `Article ${label}`,
    url: null,
    topics: [],
    publishedAt: null,
    publishedMs: null,
    textHash: `t${label}`,
    embedHash: `e${label}`,
    seq: label,
    ...fields,
  };
}

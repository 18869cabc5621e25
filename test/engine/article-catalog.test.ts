import { describe, expect, it } from "vitest";
import { ArticleCatalog } from "../../src/engine/article-catalog.ts";
import { articleSummary } from "../support/article-summary.ts";

const summary = (label: number, textHash: string) => articleSummary(label, { textHash });

describe("the article catalog's copies by text hash", () => {
  it("lists every article holding a text through upserts, re-writes and removes of its copies", () => {
    const catalog = new ArticleCatalog();
    catalog.upsert(summary(1, "same"));
    catalog.upsert(summary(2, "other"));
    expect(catalog.labelsWithTextHash("same")).toEqual([1]);
    catalog.upsert(summary(3, "same"));
    catalog.upsert(summary(4, "same"));
    expect(catalog.labelsWithTextHash("same")).toEqual([1, 3, 4]);
    catalog.remove(3);
    expect(catalog.labelsWithTextHash("same")).toEqual([1, 4]);
    catalog.upsert(summary(1, "edited"));
    expect(catalog.labelsWithTextHash("same")).toEqual([4]);
    expect(catalog.labelsWithTextHash("edited")).toEqual([1]);
    catalog.upsert(summary(2, "same"));
    expect(catalog.labelsWithTextHash("same")).toEqual([4, 2]);
    catalog.remove(4);
    catalog.remove(2);
    expect(catalog.labelsWithTextHash("same")).toEqual([]);
    expect(catalog.labelsWithTextHash("other")).toEqual([]);
    expect(catalog.labelsWithTextHash("edited")).toEqual([1]);
  });
});

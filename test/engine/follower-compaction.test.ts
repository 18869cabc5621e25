import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseArticle } from "../../src/articles/article-schema.ts";
import type { Article } from "../../src/core/article.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { type OpenedEngine, openEngine } from "../../src/engine/open-engine.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { CountingEmbedder, openTestEngine, testConfig } from "../support/open-test-engine.ts";
import { copyDataDir } from "../support/temp-dir.ts";

const topics = ["Storm floods coastal towns", "Parliament passes budget", "New vaccine trial begins", "Court rules on strike", "Markets fall on rates"];
/** A record as a CMS would send it, through the same schema as every write. */
function article(id: string, round: number): Article {
  const parsed = parseArticle({
    id,
    title: `${topics[round % topics.length]} (update ${round})`,
    text: `Round ${round} of edits to this story, each one a new vector.`,
    lang: "en",
    published_at: "2025-03-07",
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.article;
}

// A reader process of `kindred serve` is a follower: it replays the writer's changes but never
// compacts, so each rewrite it replays used to leave one more tombstoned node in its graph for good.
describe("a follower's graph under many rewrites", () => {
  const dataDir = copyDataDir(inject("demoIndexDir"));
  /** About 230 articles: 10 tombstones pass this threshold. */
  const compaction = { compactDeletedFraction: 0.04, compactMinDeleted: 10 };
  let embedder: CountingEmbedder;
  let writer: OpenedEngine;
  let follower: OpenedEngine;

  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
    writer = await openTestEngine(dataDir, embedder, compaction);
    follower = await openEngine(testConfig({ dataDir, ...compaction }), silentLogger(), { follower: true, embedder, checkRecallOnOpen: false });
  });
  afterAll(async () => {
    await follower?.close();
    await writer?.close();
    await embedder?.close();
  });

  it("stays about the corpus's size: it takes the writer's compacted graph, and answers as the writer does", async () => {
    const ids = ["rewrite-1", "rewrite-2", "rewrite-3", "rewrite-4", "rewrite-5"];
    const rounds = 40;
    let mostSlots = 0;
    for (let round = 0; round < rounds; round++) {
      await writer.engine.writeArticles(ids.map((id, i) => article(id, round + i)));
      await follower.engine.syncFromStore();
      const stats = follower.engine.graphStats();
      mostSlots = Math.max(mostSlots, stats.live + stats.tombstones);
    }
    await writer.engine.waitForCompaction();
    await follower.engine.syncFromStore();
    await follower.engine.waitForCompaction();
    const live = follower.engine.size();
    const { tombstones } = follower.engine.graphStats();
    // Without it: 195 tombstones (every rewrite after the first of each article), 431 slots for 236 articles.
    expect(tombstones).toBeLessThan(60);
    expect(mostSlots).toBeLessThan(live + 100);
    expect(follower.engine.graphStats().live).toBe(live);
    for (const id of [hegsethId, pentagonDenialId, ...ids]) {
      const related = (opened: OpenedEngine) =>
        opened.engine.findRelatedToArticle(id, { k: 10, filters: noFilters }, { cache: false }).results.map((result) => result.entry.id);
      expect(related(follower), id).toEqual(related(writer));
    }
  });
});

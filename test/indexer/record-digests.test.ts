import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModelId } from "../../src/config/config.ts";
import type { Article } from "../../src/core/article.ts";
import type { PassagePlan } from "../../src/core/embed-text.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { type IndexFilesOptions, indexFiles } from "../../src/indexer/index-files.ts";
import { openRecordDigests } from "../../src/indexer/record-digests.ts";
import { createUnchangedCheck } from "../../src/indexer/unchanged-articles.ts";
import { SqliteArticleLookup } from "../../src/store/sqlite-article-lookup.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * `kindred index`'s record digests, through the indexer as the command wires it, on the real
 * store, engine and model: a record whose exact bytes were stored is counted unchanged without
 * being compared, and every way its article can change since makes it compared (and written)
 * again. `compared` counts the articles that reached the field-by-field check.
 */
describe("records the store holds exactly, by the digest of their bytes", () => {
  const dir = useTempDir();
  const dataDir = join(dir, "index");
  const feed = join(dir, "feed.jsonl");
  const records = [
    { id: "d1", title: "Central bank raises interest rates to fight inflation", text: "The central bank raised its main rate by half a point on Tuesday." },
    { id: "d2", title: "Earthquake shakes the west coast of Japan", text: "Authorities warned of a tsunami along the coast.", lang: "en" },
    { id: "d3", title: "Home side wins the cup final on penalties", text: "The match ended level after extra time.", topics: ["sport"] },
  ];
  const writeFeed = (lines: string[]) => writeFileSync(feed, `${lines.join("\n")}\n`);
  const asLines = (items: object[]) => items.map((item) => JSON.stringify(item));
  let embedder: CountingEmbedder;
  let opened: OpenedEngine;

  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
    opened = await openTestEngine(dataDir, embedder);
  });
  afterAll(async () => {
    await opened.close();
    await embedder.close();
  });

  const run = async (options: { plan?: PassagePlan; prune?: boolean } = {}) => {
    const plan = options.plan ?? "selected";
    const lookup = SqliteArticleLookup.open(dataDir);
    const digests = openRecordDigests(dataDir, defaultModelId, plan);
    const check = createUnchangedCheck((ids) => lookup.findByIds(ids), defaultModelId, plan);
    let compared = 0;
    const rejected: string[] = [];
    const indexOptions: IndexFilesOptions = {
      unchangedAmong: (articles) => {
        compared += articles.length;
        return check(articles);
      },
      recordDigests: digests,
      onRejected: (message) => rejected.push(message),
      prune: options.prune === true,
    };
    try {
      const report = await indexFiles(opened.engine, [feed], indexOptions);
      return { report, compared, rejected };
    } finally {
      digests.close();
      lookup.close();
    }
  };
  const counts = ({ report }: Awaited<ReturnType<typeof run>>) => [report.indexed, report.updated, report.unchanged, report.failed];

  it("counts a stored record's bytes unchanged without comparing it", async () => {
    writeFeed(asLines(records));
    const first = await run();
    expect(counts(first)).toEqual([3, 0, 0, 0]);
    const again = await run();
    expect(counts(again)).toEqual([0, 0, 3, 0]);
    expect(again.compared).toBe(0);
  });

  it("compares a record whose article was written since by anything else, and writes the record's version back", async () => {
    const [changed] = await opened.engine.writeArticles([{ ...(opened.engine.getArticle("d1") as Article), title: "Central bank raises rates again" }]);
    expect(changed?.status).toBe("updated");
    const run1 = await run();
    expect(counts(run1)).toEqual([0, 1, 2, 0]);
    expect(run1.compared).toBe(1);
    expect(opened.engine.getArticle("d1")?.title).toBe(records[0]!.title);
    const run2 = await run();
    expect(counts(run2)).toEqual([0, 0, 3, 0]);
    expect(run2.compared).toBe(0);
  });

  it("compares a record whose bytes differ but whose article does not, and remembers those bytes too", async () => {
    // The same fields in another order and with spaces: another digest, the same article.
    const reordered = `{ "text": ${JSON.stringify(records[2]!.text)}, "id": "d3", "topics": ["sport"], "title": ${JSON.stringify(records[2]!.title)} }`;
    writeFeed([...asLines(records.slice(0, 2)), reordered]);
    const run1 = await run();
    expect(counts(run1)).toEqual([0, 0, 3, 0]);
    expect(run1.compared).toBe(1);
    expect((await run()).compared).toBe(0);
  });

  it("compares again after the article was deleted, and indexes it anew", async () => {
    writeFeed(asLines(records));
    await run();
    await opened.engine.deleteArticles(["d2"]);
    const run1 = await run();
    expect(counts(run1)).toEqual([1, 0, 2, 0]);
    expect(run1.compared).toBe(1);
  });

  it("finds none of the digests under another pipeline (here the passage plan)", async () => {
    const all = await run({ plan: "all" });
    expect(counts(all)).toEqual([0, 0, 3, 0]);
    expect(all.compared).toBe(3);
    expect((await run({ plan: "all" })).compared).toBe(0);
    // An article keeps the entry of its last run: back under the default plan, compared once more.
    expect((await run()).compared).toBe(3);
    expect((await run()).compared).toBe(0);
  });

  it("rejects a stored record's bytes repeated later in the feed as a repeated id, and prunes by the ids of stored records", async () => {
    writeFeed([...asLines(records.slice(0, 2)), JSON.stringify(records[0])]);
    const repeated = await run({ prune: true });
    expect(counts(repeated)).toEqual([0, 0, 2, 1]);
    expect(repeated.rejected).toEqual([
      `${feed}:3 (record 3) id "d1": id: repeats ${feed}:1 (record 1); the first record with an id is indexed and later ones are not`,
    ]);
    expect(repeated.report.deleted).toBe(1);
    expect(opened.engine.getArticle("d3")).toBeNull();
  });

  it("keeps one entry an article, and drops the entry of a deleted article", () => {
    const db = new Database(join(dataDir, "kindred.sqlite"), { readonly: true });
    try {
      expect(db.prepare("SELECT article_id FROM record_digests ORDER BY article_id").pluck().all()).toEqual(["d1", "d2"]);
    } finally {
      db.close();
    }
  });
});

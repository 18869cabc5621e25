import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runEval } from "../../src/eval/run-eval.ts";
import { indexFiles } from "../../src/indexer/index-files.ts";
import type { SourceRecord } from "../../src/ingest/source-record.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { CountingEmbedder, testConfig } from "../support/open-test-engine.ts";
import { useTempDir } from "../support/temp-dir.ts";

/** How many times each input file was opened for reading (every reader goes through openInput). */
const opens = vi.hoisted(() => new Map<string, number>());
vi.mock("../../src/ingest/open-input.ts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/ingest/open-input.ts")>();
  return {
    ...original,
    openInput: (path: string) => {
      opens.set(path, (opens.get(path) ?? 0) + 1);
      return original.openInput(path);
    },
  };
});

const items = [
  ["r1", "Central bank raises interest rates to fight inflation", "economy", "rates"],
  ["r2", "Inflation slows after the central bank's rate rise", "economy", "rates"],
  ["f1", "Home side wins the cup final on penalties", "sport", "final"],
  ["f2", "Cup final goes to penalties and the home side holds its nerve", "sport", "final"],
] as const;

describe("an input is read once", () => {
  const dir = useTempDir();
  let embedder: CountingEmbedder;
  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
  });
  afterAll(() => embedder.close());

  it("kindred eval reads its labels while indexing, not in a pass of their own", async () => {
    const file = join(dir, "labelled.jsonl");
    writeFileSync(file, `${items.map(([id, title, label, story]) => JSON.stringify({ id, title, text: title, label, story })).join("\n")}\n`);
    opens.clear();
    const report = await runEval(file, testConfig({}), silentLogger(), { k: 1, compare: ["tfidf", "hybrid"], dataDir: join(dir, "eval-index"), embedder });
    expect(opens.get(file)).toBe(1);
    // The labels and the baseline's texts still arrived: every article was judged, in both modes.
    expect(report.evaluated).toBe(items.length);
    expect(report.configs.map((config) => config.mode)).toEqual(["tfidf", "hybrid"]);
    expect(report.configs.every((config) => config.precisionLabel !== null && config.precisionLabel.mean > 0)).toBe(true);
  });

  it("the indexer shows every raw record to onRecord, valid or not, in file order", async () => {
    const file = join(dir, "mixed.jsonl");
    writeFileSync(file, '{"id":"a","title":"One"}\nnot json\n{"id":"b"}\n{"id":"c","title":"Three"}\n');
    const seen: SourceRecord[] = [];
    opens.clear();
    const report = await indexFiles(async () => Promise.reject(new Error("no engine needed")), [file], {
      onRecord: (record) => seen.push(record),
      unchangedAmong: (articles) => articles.map(() => ({ seq: 1, embedHash: "stored" })),
    });
    expect(opens.get(file)).toBe(1);
    expect(seen.map((record) => [record.lineNumber, record.syntaxError === undefined ? (record.value as { id: string }).id : "syntax"])).toEqual([
      [1, "a"],
      [2, "syntax"],
      [3, "b"],
      [4, "c"],
    ]);
    expect(report).toMatchObject({ unchanged: 2, failed: 2 });
  });
});

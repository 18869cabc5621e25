import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

const items = [
  ["r1", "Central bank raises interest rates to fight inflation", "economy", "rates"],
  ["r2", "Inflation slows after the central bank's rate rise", "economy", "rates"],
  ["r3", "Mortgage costs climb as the central bank lifts rates again", "economy", "rates"],
  ["j1", "Factory jobs fall for a third month as orders dry up", "economy", "jobs"],
  ["j2", "Manufacturers cut jobs after a third month of falling orders", "economy", "jobs"],
  ["f1", "Home side wins the cup final on penalties", "sport", "final"],
  ["f2", "Cup final goes to penalties and the home side holds its nerve", "sport", "final"],
  ["f3", "Fans celebrate the cup final win late into the night", "sport", "final"],
  ["t1", "Tennis champion retires after a record twentieth title", "sport", "tennis"],
  ["t2", "Record-breaking tennis champion announces her retirement", "sport", "tennis"],
  // A wire copy of r1 under another id: every mode must fold it (or drop it as the query's copy).
  ["r1-copy", "Central bank raises interest rates to fight inflation", "economy", "rates"],
] as const;

describe("kindred eval", () => {
  const dir = useTempDir();
  const write = (name: string, withTopics: boolean) => {
    const file = join(dir, name);
    // The topics are deliberately the labels, as in ../shared/eval: they must not change a thing.
    const lines = items.map(([id, title, label, story]) =>
      JSON.stringify({ id, title, text: title, label, story, ...(withTopics ? { topics: [label] } : {}) }),
    );
    writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  };

  it("compares modes side by side with intervals and folding counts, ignoring the files' topics", async () => {
    const run = async (file: string) => {
      const result = await kindred(["eval", file, "--compare", "lexical,dense,hybrid", "--k", "3", "--json", "--workers", "1"]);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as {
        configs: {
          mode: string;
          precisionLabel: { mean: number; low: number; high: number };
          precisionStory: { mean: number };
          foldedCopies: number;
          versus: Record<string, unknown>;
        }[];
      }[];
    };
    const [withTopics] = await run(write("labelled.jsonl", true));
    const [withoutTopics] = await run(write("bare.jsonl", false));
    expect(withTopics!.configs.map((config) => config.mode)).toEqual(["lexical", "dense", "hybrid"]);
    for (const config of withTopics!.configs) {
      expect(config.precisionLabel.low).toBeLessThanOrEqual(config.precisionLabel.mean);
      expect(config.precisionLabel.high).toBeGreaterThanOrEqual(config.precisionLabel.mean);
      expect(config.foldedCopies, config.mode).toBeGreaterThan(0);
    }
    expect(withTopics!.configs[0]!.versus).toEqual({});
    expect(Object.keys(withTopics!.configs[2]!.versus)).toEqual(["lexical", "dense"]);
    expect(withTopics!.configs.map((config) => [config.precisionLabel.mean, config.precisionStory.mean])).toEqual(
      withoutTopics!.configs.map((config) => [config.precisionLabel.mean, config.precisionStory.mean]),
    );
  });

  it("measures the plain TF-IDF baseline beside kindred, with paired differences, and without folding on --fold false", async () => {
    const file = write("baseline.jsonl", false);
    const result = await kindred(["eval", file, "--compare", "tfidf,lexical", "--fold", "false", "--k", "3", "--json", "--workers", "1"]);
    expect(result.code, result.stderr).toBe(0);
    const [report] = JSON.parse(result.stdout) as {
      configs: { mode: string; precisionLabel: { mean: number }; foldedCopies: number; versus: Record<string, { rPrecisionStory: { mean: number } | null }> }[];
    }[];
    expect(report!.configs.map((config) => config.mode)).toEqual(["tfidf", "lexical"]);
    expect(report!.configs[0]!.precisionLabel.mean).toBeGreaterThan(0.5);
    expect(report!.configs[0]!.versus).toEqual({});
    expect(report!.configs[1]!.versus.tfidf!.rPrecisionStory).not.toBeNull();
    expect(report!.configs.map((config) => config.foldedCopies)).toEqual([0, 0]);
    const refused = await kindred(["eval", file, "--fold", "maybe"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--fold takes true or false");
  });

  it("measures the baseline folded as kindred folds beside the plain one, which keeps every copy", async () => {
    const file = write("folded-baseline.jsonl", false);
    const result = await kindred(["eval", file, "--compare", "tfidf,tfidf-folded", "--k", "3", "--json", "--workers", "1"]);
    expect(result.code, result.stderr).toBe(0);
    const [report] = JSON.parse(result.stdout) as {
      configs: { mode: string; precisionStory: { mean: number }; foldedCopies: number; versus: Record<string, { precisionStory: { mean: number } | null }> }[];
    }[];
    expect(report!.configs.map((config) => config.mode)).toEqual(["tfidf", "tfidf-folded"]);
    // r1 and r1-copy each find the other in the plain list; folded, each drops it as its own copy,
    // and the other rates queries see the two as one result.
    expect(report!.configs[0]!.foldedCopies).toBe(0);
    expect(report!.configs[1]!.foldedCopies).toBeGreaterThanOrEqual(2);
    expect(report!.configs[1]!.precisionStory.mean).toBeLessThan(report!.configs[0]!.precisionStory.mean);
    expect(report!.configs[1]!.versus.tfidf!.precisionStory!.mean).toBeLessThan(0);
  });

  it("reports the R-precision a perfect ranking keeps once folded, below 1 where a story holds copies", async () => {
    const file = write("ceiling.jsonl", false);
    const ceilingOf = async (flags: string[]) => {
      const result = await kindred(["eval", file, "--compare", "tfidf", "--k", "3", "--json", "--workers", "1", ...flags]);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { foldedCeiling: { mean: number } | null }[])[0]!.foldedCeiling;
    };
    // Of the rates story (r1, r2, r3, r1-copy), r1 and r1-copy reach 2 of 3 (each drops the
    // other as its copy), r2 and r3 2 of 3 (the two show once); every other story is whole:
    // (4 x 2/3 + 7 x 1) / 11.
    expect((await ceilingOf([]))!.mean).toBeCloseTo((4 * (2 / 3) + 7) / 11, 10);
    expect(await ceilingOf(["--fold", "false"])).toBeNull();
  });

  it("splits the story figures by story size, each group with its own folded ceiling", async () => {
    // The final story grows to six articles (the 6-10 group); the others stay at two to four.
    const extra = [
      ["f4", "The cup final ends on penalties as the home side prevails", "sport", "final"],
      ["f5", "Penalty shoot-out decides the cup final for the home side", "sport", "final"],
      ["f6", "Home side lifts the cup after the final's penalty shoot-out", "sport", "final"],
    ];
    const file = join(dir, "sizes.jsonl");
    writeFileSync(file, `${[...items, ...extra].map(([id, title, label, story]) => JSON.stringify({ id, title, text: title, label, story })).join("\n")}\n`);
    const result = await kindred(["eval", file, "--compare", "tfidf,hybrid", "--k", "3", "--json", "--workers", "1"]);
    expect(result.code, result.stderr).toBe(0);
    type Figure = { mean: number } | null;
    const [report] = JSON.parse(result.stdout) as {
      configs: { mode: string; rPrecisionStory: Figure }[];
      byStorySize: { stories: string; queries: number; foldedCeiling: Figure; configs: { mode: string; precisionStory: Figure; rPrecisionStory: Figure }[] }[];
    }[];
    expect(report!.byStorySize.map((group) => [group.stories, group.queries])).toEqual([
      ["2-5", 8],
      ["6-10", 6],
    ]);
    // Rates (four, one a copy of r1: each of r1 and r1-copy reaches 2 of 3, as r2 and r3 do), jobs and tennis (two each, whole).
    expect(report!.byStorySize[0]!.foldedCeiling!.mean).toBeCloseTo((4 * (2 / 3) + 4) / 8, 10);
    expect(report!.byStorySize[1]!.foldedCeiling!.mean).toBe(1);
    // The groups split the queries: their means, weighted by their queries, are the whole set's.
    report!.configs.forEach((config, index) => {
      const weighted = report!.byStorySize.reduce((sum, group) => sum + group.queries * group.configs[index]!.rPrecisionStory!.mean, 0) / 14;
      expect(report!.byStorySize[0]!.configs[index]!.mode).toBe(config.mode);
      expect(weighted).toBeCloseTo(config.rPrecisionStory!.mean, 10);
    });
    const table = await kindred(["eval", file, "--k", "3", "--workers", "1", "--by-story-size"]);
    expect(table.stdout).toMatch(/stories of 6-10: queries\s+6\n/);
    expect(table.stdout).toMatch(/ {2}R-precision ceiling, folded\s+1\.000 \[1\.000, 1\.000\]\n/);
    const plain = await kindred(["eval", file, "--k", "3", "--workers", "1"]);
    expect(plain.stdout).not.toContain("stories of");
  });

  it("indexes the articles without their dates on --ignore-dates, and dated without it", async () => {
    const file = join(dir, "dated.jsonl");
    const lines = items.map(([id, title, label, story], index) =>
      JSON.stringify({ id, title, text: title, label, story, published_at: `2025-03-${String(index + 1).padStart(2, "0")}` }),
    );
    writeFileSync(file, `${lines.join("\n")}\n`);
    const datedCount = async (dataDir: string, flags: string[]) => {
      const result = await kindred(["eval", file, "--compare", "tfidf,hybrid", "--k", "3", "--json", "--workers", "1", "--data-dir", dataDir, ...flags]);
      expect(result.code, result.stderr).toBe(0);
      const [report] = JSON.parse(result.stdout) as { evaluated: number }[];
      expect(report!.evaluated).toBe(items.length);
      const db = new Database(join(dataDir, "kindred.sqlite"), { readonly: true });
      try {
        return (db.prepare("SELECT count(published_at) AS dated FROM articles").get() as { dated: number }).dated;
      } finally {
        db.close();
      }
    };
    expect(await datedCount(join(dir, "dated-index"), [])).toBe(items.length);
    expect(await datedCount(join(dir, "undated-index"), ["--ignore-dates"])).toBe(0);
  });
  it("writes each query's measured list on --lists, with every story member it missed and why", async () => {
    const file = write("lists.jsonl", false);
    const listsFile = join(dir, "lists.jsonl.out");
    const result = await kindred(["eval", file, "--compare", "tfidf,hybrid", "--k", "3", "--json", "--workers", "1", "--lists", listsFile]);
    expect(result.code, result.stderr).toBe(0);
    type Row = {
      file: string;
      mode: string;
      id: string;
      story: string;
      results: { id: string; sameStory: boolean; sameLabel: boolean; copies: string[] }[];
      missed: { id: string; reason: string; into?: string }[];
    };
    const rows = readFileSync(listsFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Row);
    expect(rows.length).toBe(2 * items.length);
    expect(rows.every((row) => row.file === "lists.jsonl")).toBe(true);
    const storyOf = new Map<string, string>(items.map(([id, , , story]) => [id, story]));
    const labelOf = new Map<string, string>(items.map(([id, , label]) => [id, label]));
    for (const row of rows) {
      const where = `${row.mode} ${row.id}`;
      // k results, or fewer where the baseline finds fewer articles sharing a word with the query.
      expect(row.results.length, where).toBeGreaterThan(0);
      expect(row.results.length, where).toBeLessThanOrEqual(3);
      for (const result of row.results) {
        expect(result.sameStory, where).toBe(storyOf.get(result.id) === row.story);
        expect(result.sameLabel, where).toBe(labelOf.get(result.id) === labelOf.get(row.id));
      }
      // Every other member of the query's story is either shown or missed, never both.
      const shown = row.results.filter((result) => result.sameStory).map((result) => result.id);
      const members = items.filter(([id, , , story]) => story === row.story && id !== row.id).map(([id]) => id);
      expect([...shown, ...row.missed.map((miss) => miss.id)].sort(), where).toEqual([...members].sort());
      for (const miss of row.missed.filter((m) => m.reason === "folded")) {
        expect(row.results.find((result) => result.id === miss.into)?.copies, where).toContain(miss.id);
      }
    }
    const rowOf = (mode: string, id: string) => rows.find((row) => row.mode === mode && row.id === id)!;
    // The baseline never folds: r1 lists its own copy. kindred drops it as the query's copy, and
    // for r2 shows r1 and r1-copy once, the other folded into it.
    expect(rowOf("tfidf", "r1").results[0]!.id).toBe("r1-copy");
    expect(rowOf("tfidf", "r1").missed).toEqual([]);
    expect(rowOf("hybrid", "r1").missed).toContainEqual({ id: "r1-copy", reason: "copy-of-query" });
    const r2 = rowOf("hybrid", "r2");
    const foldedCopy = r2.missed.find((miss) => miss.reason === "folded");
    expect(foldedCopy && [foldedCopy.id, foldedCopy.into].sort()).toEqual(["r1", "r1-copy"]);
    // The report sums the same reasons.
    const [report] = JSON.parse(result.stdout) as { configs: { mode: string; missedMembers: { folded: number; copyOfQuery: number; notListed: number } }[] }[];
    for (const config of report!.configs) {
      const missed = rows.filter((row) => row.mode === config.mode).flatMap((row) => row.missed);
      expect(config.missedMembers).toEqual({
        folded: missed.filter((miss) => miss.reason === "folded").length,
        copyOfQuery: missed.filter((miss) => miss.reason === "copy-of-query").length,
        notListed: missed.filter((miss) => miss.reason === "not-listed").length,
      });
    }
    expect(report!.configs[0]!.missedMembers.folded + report!.configs[0]!.missedMembers.copyOfQuery).toBe(0);
    expect(report!.configs[1]!.missedMembers.copyOfQuery).toBe(2);
  });

  it("writes each query's figures on --per-query and pairs a later run with them on --against, query by query", async () => {
    const file = write("paired.jsonl", false);
    const saved = join(dir, "saved-run.jsonl");
    const first = await kindred(["eval", file, "--compare", "tfidf,hybrid", "--k", "3", "--json", "--workers", "1", "--per-query", saved]);
    expect(first.code, first.stderr).toBe(0);
    const rows = readFileSync(saved, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { file: string; mode: string; id: string; rPrecisionStory: number | null });
    // One row per query and mode, named by the file's name so a copy of the set elsewhere pairs too.
    expect(rows.length).toBe(2 * items.length);
    expect(new Set(rows.map((row) => `${row.mode} ${row.id}`)).size).toBe(rows.length);
    expect(rows.every((row) => row.file === "paired.jsonl")).toBe(true);
    const [firstReport] = JSON.parse(first.stdout) as { configs: { mode: string; rPrecisionStory: { mean: number }; versusSaved?: unknown }[] }[];
    const hybridRows = rows.filter((row) => row.mode === "hybrid" && row.rPrecisionStory !== null);
    const hybridMean = hybridRows.reduce((sum, row) => sum + row.rPrecisionStory!, 0) / hybridRows.length;
    expect(hybridMean).toBeCloseTo(firstReport!.configs[1]!.rPrecisionStory.mean, 12);
    expect(firstReport!.configs[1]!.versusSaved).toBeUndefined();

    // Against itself every query pairs and every difference is exactly nothing; a mode the saved run lacks pairs with nothing.
    const second = await kindred(["eval", file, "--compare", "hybrid,lexical", "--k", "3", "--json", "--workers", "1", "--against", saved]);
    expect(second.code, second.stderr).toBe(0);
    const [report] = JSON.parse(second.stdout) as {
      configs: { mode: string; versusSaved: { queries: number; precisionLabel: { mean: number; low: number; high: number } } | null }[];
    }[];
    expect(report!.configs[0]!.versusSaved!.queries).toBe(items.length);
    expect(report!.configs[0]!.versusSaved!.precisionLabel).toEqual({ mean: 0, low: 0, high: 0 });
    expect(report!.configs[1]!.versusSaved).toBeNull();
    const table = await kindred(["eval", file, "--k", "3", "--workers", "1", "--against", saved]);
    expect(table.stdout).toMatch(/queries paired with the saved run\s+11\n/);

    // A damaged saved run is refused before any indexing, naming its line and field.
    writeFileSync(saved, `${JSON.stringify(rows[0])}\n${JSON.stringify({ ...rows[1], ndcg: "high" })}\n`);
    const refused = await kindred(["eval", file, "--against", saved]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("line 2, field ndcg");
  });
});

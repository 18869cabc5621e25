import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { type IndexReport, indexFiles } from "../../src/indexer/index-files.ts";
import { openTestEngine } from "../support/open-test-engine.ts";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * A corpus of damaged import files, generated here (repeated ids, bytes that are not UTF-8, cut
 * and non-gzip `.gz`, CSV quoting and header mistakes), each with the exact report `kindred
 * index` must give and the records it must keep, indexed by the real model.
 */
const dir = useTempDir("kindred-damaged-");

const topicsPool = ["economy", "sport", "science", "politics", "weather"];
/** A small, deterministic article: `prefix-n`. */
const article = (prefix: string, n: number, extra: Record<string, unknown> = {}) => ({
  id: `${prefix}-${n}`,
  title: `${topicsPool[n % topicsPool.length]} report number ${n} from the ${prefix} feed`,
  text: `Item ${n} of the ${prefix} feed: a short article about ${topicsPool[(n * 3) % topicsPool.length]} with a few words.`,
  ...extra,
});
const jsonLines = (items: readonly unknown[]) => `${items.map((item) => JSON.stringify(item)).join("\n")}\n`;
const csvOf = (header: string, rows: readonly string[], eol = "\n") => [header, ...rows].join(eol) + eol;

/** Complete lines in what gunzip recovers from a cut file, counted independently of kindred's reader. */
function completeLinesBeforeCut(cut: Buffer): number {
  const recovered = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString("utf8");
  return recovered.split("\n").length - 1;
}

interface DamagedFile {
  name: string;
  what: string;
  content: Buffer;
  /** The exact `rejected:` lines (after the data directory's path is taken out). */
  reports: string[];
  /** Ids that must be stored afterwards (every id of the file not listed here must not be). */
  kept: string[];
  /** Ids the file mentions that must not be stored. */
  notKept?: string[];
}

function buildCorpus(): DamagedFile[] {
  const files: DamagedFile[] = [];
  const add = (file: Omit<DamagedFile, "content"> & { content: string | Buffer }) =>
    files.push({ ...file, content: typeof file.content === "string" ? Buffer.from(file.content) : file.content });

  add({
    name: "repeats.jsonl",
    what: "ids repeated later in the file (one with changed text, one identical)",
    content: jsonLines([
      article("rj", 1),
      article("rj", 2),
      { ...article("rj", 1), text: "Changed text for the same id." },
      article("rj", 3),
      article("rj", 2),
    ]),
    reports: [
      'repeats.jsonl:3 (record 3) id "rj-1": id: repeats repeats.jsonl:1 (record 1); the first record with an id is indexed and later ones are not',
      'repeats.jsonl:5 (record 5) id "rj-2": id: repeats repeats.jsonl:2 (record 2); the first record with an id is indexed and later ones are not',
    ],
    kept: ["rj-1", "rj-2", "rj-3"],
  });
  add({
    name: "repeats.json",
    what: "a JSON array, one record per line, with an id repeated",
    content: `[\n${[article("ra", 1), article("ra", 2), article("ra", 1)].map((item) => `  ${JSON.stringify(item)}`).join(",\n")}\n]\n`,
    reports: ['repeats.json:4 (record 3) id "ra-1": id: repeats repeats.json:2 (record 1); the first record with an id is indexed and later ones are not'],
    kept: ["ra-1", "ra-2"],
  });
  add({
    name: "repeats.csv",
    what: "a CSV with an id repeated",
    content: csvOf("id,title,text", ["rc-1,First title,Some text", "rc-2,Second title,More text", "rc-1,First title again,Other text"]),
    reports: ['repeats.csv:4 (record 3) id "rc-1": id: repeats repeats.csv:2 (record 1); the first record with an id is indexed and later ones are not'],
    kept: ["rc-1", "rc-2"],
  });
  add({
    name: "bad-utf8.jsonl",
    what: "bytes 0xFE and 0xFF in two ids that would both decode to x-\uFFFD",
    content: Buffer.concat([
      Buffer.from('{"id":"x-'),
      Buffer.from([0xfe]),
      Buffer.from('","title":"first"}\n{"id":"x-'),
      Buffer.from([0xff]),
      Buffer.from('","title":"second"}\n'),
      Buffer.from(jsonLines([article("u", 1)])),
    ]),
    reports: [
      "bad-utf8.jsonl:1 (record 1): (record): not valid UTF-8: byte 0xfe at column 10; save the file as UTF-8 (the record was not indexed rather than altered)",
      "bad-utf8.jsonl:2 (record 2): (record): not valid UTF-8: byte 0xff at column 10; save the file as UTF-8 (the record was not indexed rather than altered)",
    ],
    kept: ["u-1"],
    notKept: ["x-\uFFFD"],
  });
  add({
    name: "bad-utf8.json",
    what: "a JSON array whose second record holds a truncated UTF-8 sequence (0xC3 then a quote)",
    content: Buffer.concat([
      Buffer.from(`[\n${JSON.stringify(article("uj", 1))},\n{"id": "uj-2", "title": "caf`),
      Buffer.from([0xc3]),
      Buffer.from(`"},\n${JSON.stringify(article("uj", 3))}\n]`),
    ]),
    reports: [
      "bad-utf8.json:3 (record 2): (record): not valid UTF-8: byte 0xc3 at column 29; save the file as UTF-8 (the record was not indexed rather than altered)",
    ],
    kept: ["uj-1", "uj-3"],
    notKept: ["uj-2"],
  });
  add({
    name: "bad-utf8.csv",
    what: "a CSV row with a Latin-1 byte (0xE9) in its title",
    content: Buffer.concat([Buffer.from("id,title\nuc-1,Plain title\nuc-2,Caf"), Buffer.from([0xe9]), Buffer.from(" au lait\nuc-3,Another title\n")]),
    reports: [
      "bad-utf8.csv:3 (record 2): (record): not valid UTF-8: byte 0xe9 at byte 4 of cell 2; save the file as UTF-8 (the record was not indexed rather than altered)",
    ],
    kept: ["uc-1", "uc-3"],
    notKept: ["uc-2"],
  });

  const gzLines = jsonLines(Array.from({ length: 400 }, (_, n) => article("gz", n + 1)));
  const gzWhole = gzipSync(gzLines);
  const gzCut = gzWhole.subarray(0, Math.floor(gzWhole.length * 0.6));
  const gzComplete = completeLinesBeforeCut(gzCut);
  add({
    name: "cut.jsonl.gz",
    what: `a gzipped JSON Lines file cut at 60% (${gzCut.length} of ${gzWhole.length} bytes)`,
    content: gzCut,
    reports: [
      `cut.jsonl.gz:${gzComplete + 1}: the file is damaged at byte ${gzCut.length} (unexpected end of file): the records before line ${gzComplete + 1} were read, the rest of the file could not be`,
    ],
    kept: Array.from({ length: gzComplete }, (_, n) => `gz-${n + 1}`),
    notKept: [`gz-${gzComplete + 1}`, "gz-400"],
  });
  add({
    name: "not-gzip.jsonl.gz",
    what: "plain JSON Lines named .gz",
    content: jsonLines([article("ng", 1)]),
    reports: ["not-gzip.jsonl.gz:1: the file is damaged at byte 0 (incorrect header check): nothing in it could be read"],
    kept: [],
    notKept: ["ng-1"],
  });
  const csvRows = Array.from({ length: 300 }, (_, n) => `cz-${n + 1},"Title ${n + 1}, with a comma","Text of row ${n + 1}"`);
  const csvWhole = gzipSync(csvOf("id,title,text", csvRows));
  const csvCut = csvWhole.subarray(0, Math.floor(csvWhole.length / 2));
  const csvComplete = completeLinesBeforeCut(csvCut) - 1;
  add({
    name: "cut.csv.gz",
    what: `a gzipped CSV cut in half (${csvCut.length} of ${csvWhole.length} bytes)`,
    content: csvCut,
    reports: [
      `cut.csv.gz:${csvComplete + 2}: the file is damaged at byte ${csvCut.length} (unexpected end of file): the records before line ${csvComplete + 2} were read, the rest of the file could not be`,
    ],
    kept: Array.from({ length: csvComplete }, (_, n) => `cz-${n + 1}`),
    notKept: [`cz-${csvComplete + 1}`],
  });
  const arrayItems = Array.from({ length: 200 }, (_, n) => JSON.stringify(article("jz", n + 1)));
  const arrayWhole = gzipSync(`[\n${arrayItems.join(",\n")}\n]\n`);
  const arrayCut = arrayWhole.subarray(0, Math.floor(arrayWhole.length / 2));
  const arrayComplete = completeLinesBeforeCut(arrayCut) - 1;
  add({
    name: "cut.json.gz",
    what: `a gzipped JSON array cut in half (${arrayCut.length} of ${arrayWhole.length} bytes)`,
    content: arrayCut,
    reports: [
      `cut.json.gz:${arrayComplete + 2}: the file is damaged at byte ${arrayCut.length} (unexpected end of file): the records before line ${arrayComplete + 2} were read, the rest of the file could not be`,
    ],
    kept: Array.from({ length: arrayComplete }, (_, n) => `jz-${n + 1}`),
    notKept: [`jz-${arrayComplete + 1}`],
  });
  add({
    name: "crlf-quoted.csv",
    what: "CRLF line ends, a quoted cell holding a CRLF, then a row with a bad date",
    content: csvOf(
      "id,title,text,published_at",
      ['cr-1,One,"first line\r\nsecond line",2025-01-02', "cr-2,Two,plain,2025-13-01", "cr-3,Three,plain,2025-01-03"],
      "\r\n",
    ),
    reports: ['crlf-quoted.csv:4 (record 2) id "cr-2": published_at: must be an ISO 8601 date (2025-03-02) or date-time (2025-03-02T10:15:00Z)'],
    kept: ["cr-1", "cr-3"],
  });
  add({
    name: "bad-quote.csv",
    what: "text after a closing quote, then a quote never closed, each followed by a valid row",
    content: csvOf("id,title,text", ['bq-1,"Closed" too early,text', "bq-2,Valid after it,text", 'bq-3,"Never closed,text', "bq-4,Valid after that,text"]),
    reports: [
      'bad-quote.csv:2 (record 1): (record): malformed CSV row: text after the closing quote of a cell at line 2 (write a quote inside a quoted cell as "")',
      "bad-quote.csv:4 (record 3): (record): malformed CSV row: a quote opened at line 4 is never closed",
    ],
    kept: ["bq-2", "bq-4"],
  });
  add({
    name: "no-id-column.csv",
    what: "a CSV whose header has no id column",
    content: csvOf("title,text", ["First,one", "Second,two", "Third,three"]),
    reports: ['no-id-column.csv:1: the header has no "id" column (its columns: title, text), so none of its 3 rows was read'],
    kept: [],
  });
  return files;
}

describe("a corpus of damaged import files", () => {
  const corpus = buildCorpus();
  const dataDir = join(dir, "index");
  let opened: OpenedEngine;
  const outcomes = new Map<string, { report: IndexReport | null; rejected: string[]; thrown: string | null }>();

  beforeAll(async () => {
    for (const file of corpus) writeFileSync(join(dir, file.name), file.content);
    opened = await openTestEngine(dataDir, undefined, { embedWorkers: 1 });
    for (const file of corpus) {
      const rejected: string[] = [];
      // A run that throws is an outcome to check, not a reason to skip the other files.
      const run = indexFiles(opened.engine, [join(dir, file.name)], { onRejected: (message) => rejected.push(message.replaceAll(`${dir}/`, "")) });
      const report = await run.catch(() => null);
      const thrown = report === null ? String(await run.catch((error: Error) => error.message)) : null;
      outcomes.set(file.name, { report, rejected, thrown });
    }
  });
  afterAll(async () => {
    // The table for the issue's note: file, what is wrong, report, records kept.
    const rows = corpus.map((file) => `| ${file.name} | ${file.what} | ${outcomes.get(file.name)?.rejected.join("<br>")} | ${file.kept.length} |`);
    console.log(["| file | what is wrong | report | records kept |", "|---|---|---|---:|", ...rows].join("\n"));
    await opened.close();
  });

  it.each(buildCorpus().map((file) => [file.name, file.what] as const))(
    "%s (%s): the exact report, and every complete record before or after the damage kept",
    (name) => {
      const file = corpus.find((candidate) => candidate.name === name)!;
      const outcome = outcomes.get(name)!;
      expect(outcome.thrown).toBeNull();
      expect(outcome.rejected).toEqual(file.reports);
      expect(outcome.report!.failed).toBe(file.reports.length);
      expect(outcome.report!.indexed).toBe(file.kept.length);
      for (const id of file.kept) expect(opened.engine.getArticle(id), id).not.toBeNull();
      for (const id of file.notKept ?? []) expect(opened.engine.getArticle(id), id).toBeNull();
    },
  );

  it("runs every file a second time without a new failure: what was kept comes back unchanged", async () => {
    for (const file of corpus) {
      const rejected: string[] = [];
      const report = await indexFiles(opened.engine, [join(dir, file.name)], { onRejected: (message) => rejected.push(message.replaceAll(`${dir}/`, "")) });
      expect(rejected, file.name).toEqual(file.reports);
      expect({ indexed: report.indexed, updated: report.updated, unchanged: report.unchanged }, file.name).toEqual({
        indexed: 0,
        updated: 0,
        unchanged: file.kept.length,
      });
    }
  });

  it("kindred index reports a cut .gz in one line, with no stack trace, and exits 0; a second run of repeated ids exits 0 too", async () => {
    const cliDataDir = join(dir, "cli-index");
    const cut = await kindred(["index", join(dir, "cut.jsonl.gz"), "--data-dir", cliDataDir, "--workers", "1"]);
    expect(cut.code).toBe(0);
    const rejectedLines = cut.stderr.split("\n").filter((line) => line.startsWith("rejected: "));
    expect(rejectedLines).toEqual([`rejected: ${join(dir, corpus.find((file) => file.name === "cut.jsonl.gz")!.reports[0]!)}`]);
    expect(cut.stderr).not.toMatch(/\n\s+at /);
    for (const run of [1, 2]) {
      const repeats = await kindred(["index", join(dir, "repeats.jsonl"), "--data-dir", cliDataDir, "--workers", "1"]);
      expect(repeats.code, `run ${run}: ${repeats.stderr}`).toBe(0);
      expect(repeats.stdout).toMatch(run === 1 ? /indexed 3, updated 0, unchanged 0, failed 2/ : /indexed 0, updated 0, unchanged 3, failed 2/);
    }
  });
});

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

describe("kindred CLI", () => {
  const dir = useTempDir();
  const dataDir = join(dir, "index");
  const feed = join(dir, "feed.jsonl");
  writeFileSync(
    feed,
    [
      { id: "c1", title: "Central bank raises interest rates to fight inflation", topics: ["Economy"], published_at: "2025-05-01" },
      { id: "c2", title: "Inflation slows after the central bank's rate rise", topics: ["Economy"], published_at: "2025-05-20" },
      { id: "s1", title: "Home side wins the cup final on penalties", topics: ["Sport"], published_at: "2025-05-02" },
    ]
      .map((item) => JSON.stringify(item))
      .concat(['{"id":"broken", "title": ', '{"id":"c3","title":"Rates","published_at":"May 2025"}'])
      .join("\n"),
  );

  it("indexes a file with bad lines, reporting each and keeping the rest", async () => {
    const result = await kindred(["index", feed, "--data-dir", dataDir, "--workers", "1"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/indexed 3, updated 0, unchanged 0, failed 2/);
    expect(result.stderr).toMatch(/feed\.jsonl:4 \(record 4\): \(record\): not valid JSON/);
    expect(result.stderr).toMatch(/feed\.jsonl:5 \(record 5\) id "c3": published_at: must be an ISO 8601 date/);
  });

  it("exits non-zero with --strict when a record failed, and re-embeds nothing unchanged", async () => {
    const result = await kindred(["index", feed, "--data-dir", dataDir, "--workers", "1", "--strict"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/indexed 0, updated 0, unchanged 3, failed 2/);
  });

  it("exits non-zero when nothing was readable", async () => {
    const empty = join(dir, "garbage.jsonl");
    writeFileSync(empty, "not json\nstill not\n");
    const result = await kindred(["index", empty, "--data-dir", join(dir, "other")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed 2/);
  });

  it("lists related articles by id, as a table and as JSON", async () => {
    const table = await kindred(["related", "c1", "--data-dir", dataDir, "--k", "2"]);
    expect(table.code).toBe(0);
    // Line 1 is the table's header (issue 16); the first result follows it, with its cosine.
    expect(table.stdout.split("\n")[2]).toMatch(/^\s*1\s+-?\d+\.\d{3}\s+-?\d\.\d{3}\s+2025-05-20\s+c2\s+Inflation slows/);
    const json = await kindred(["related", "c1", "--data-dir", dataDir, "--topics", "sport", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ article: "c1", results: [{ id: "s1" }] });
  });

  it("finds articles similar to a free text", async () => {
    const result = await kindred(["similar", "--text", "football final decided by a penalty shootout", "--data-dir", dataDir, "--k", "1"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/s1\s+Home side wins/);
  });

  it("explains each command with --help and names bad settings", async () => {
    for (const command of ["index", "serve", "related", "similar", "eval"]) {
      const help = await kindred([command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: kindred ${command}`);
    }
    const badFlag = await kindred(["related", "c1", "--k", "0", "--data-dir", dataDir]);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toMatch(/Parameter "k" must be at least 1/);
    const badEnv = await kindred(["related", "c1"], { PORT: "eighty" });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toMatch(/environment variable PORT/);
    const unknown = await kindred(["frobnicate"]);
    expect(unknown.code).toBe(2);
  });
});

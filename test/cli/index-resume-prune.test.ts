import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, inject, it } from "vitest";
import { databaseFileName } from "../../src/store/sqlite-article-store.ts";
import { kindred, kindredBin } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

/** Articles committed so far, read beside the running indexer (WAL lets a reader in). */
function committedCount(dataDir: string): number {
  const path = join(dataDir, databaseFileName);
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const created = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'articles'").get() !== undefined;
    return created ? (db.prepare("SELECT COUNT(*) AS n FROM articles").get() as { n: number }).n : 0;
  } finally {
    db.close();
  }
}

const countsOf = (stdout: string) => {
  const match = stdout.match(/indexed (\d+), updated (\d+), unchanged (\d+), failed (\d+)(?:, deleted (\d+))?/);
  expect(match, stdout).not.toBeNull();
  const [indexed, updated, unchanged, failed, deleted] = match!.slice(1).map((value) => Number(value ?? 0));
  return { indexed: indexed!, updated: updated!, unchanged: unchanged!, failed: failed!, deleted: deleted! };
};

describe("kindred index: resume and prune", () => {
  const dir = useTempDir();

  it("resumes an interrupted run: a second run keeps what was committed and indexes the rest", async () => {
    const dataDir = join(dir, "resume");
    const slice = join(dir, "resume.jsonl");
    writeFileSync(slice, readFileSync(inject("demoSlicePath"), "utf8").split("\n").slice(0, 80).join("\n"));
    const child = spawn("node", [kindredBin, "index", slice, "--data-dir", dataDir, "--workers", "1", "--batch-size", "8"], {
      env: { ...process.env, KINDRED_LOG_LEVEL: "warn" },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    while (committedCount(dataDir) < 8) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGKILL");
    await exited;
    const committed = committedCount(dataDir);

    const second = await kindred(["index", slice, "--data-dir", dataDir, "--workers", "1"]);
    expect(second.code).toBe(0);
    const counts = countsOf(second.stdout);
    expect(counts.unchanged).toBe(committed);
    expect(counts.indexed).toBeGreaterThan(0);
    expect(counts.indexed + counts.unchanged).toBe(committedCount(dataDir));
    expect(counts).toMatchObject({ updated: 0, failed: 0 });
  });

  it("with --prune, deletes what the input no longer holds, and skips pruning when an id is unreadable", async () => {
    const dataDir = join(dir, "prune");
    const feed = (name: string, lines: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, lines.join("\n"));
      return path;
    };
    const first = feed("all.jsonl", [
      JSON.stringify({ id: "p1", title: "Central bank raises interest rates" }),
      JSON.stringify({ id: "p2", title: "Inflation slows after the rate rise" }),
      JSON.stringify({ id: "p3", title: "Home side wins the cup final" }),
    ]);
    expect((await kindred(["index", first, "--data-dir", dataDir, "--workers", "1"])).code).toBe(0);

    const broken = feed("broken.jsonl", [JSON.stringify({ id: "p1", title: "Central bank raises interest rates" }), '{"id": "p2", "title": ']);
    const skipped = await kindred(["index", broken, "--data-dir", dataDir, "--workers", "1", "--prune"]);
    expect(skipped.stderr).toContain("--prune skipped: 1 record(s) had no readable id");
    expect(countsOf(skipped.stdout).deleted).toBe(0);

    // p2 is invalid but present: an article whose new record is bad is kept, not pruned.
    const smaller = feed("smaller.jsonl", [
      JSON.stringify({ id: "p1", title: "Central bank raises interest rates" }),
      JSON.stringify({ id: "p2", title: "x", published_at: "soon" }),
    ]);
    const pruned = await kindred(["index", smaller, "--data-dir", dataDir, "--workers", "1", "--prune"]);
    expect(countsOf(pruned.stdout)).toMatchObject({ unchanged: 1, failed: 1, deleted: 1 });
    expect((await kindred(["related", "p3", "--data-dir", dataDir])).stderr).toMatch(/No article with id "p3"/);
    const remaining = await kindred(["related", "p1", "--data-dir", dataDir, "--json"]);
    expect(JSON.parse(remaining.stdout).results.map((result: { id: string }) => result.id)).toEqual(["p2"]);
  });
});

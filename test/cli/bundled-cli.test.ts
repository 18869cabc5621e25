import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKindredServer } from "../support/kindred-server.ts";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

const repo = new URL("../..", import.meta.url).pathname;

/**
 * `npm run build`'s steps (package.json "build") run into `root/dist`: tsc with that output
 * directory, then each build script given it, as the scripts take it.
 */
function buildInto(root: string): void {
  const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts: { build: string } };
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  for (const step of manifest.scripts.build.split("&&").map((part) => part.trim().split(/\s+/))) {
    const [command, ...args] = step;
    const argv = command === "tsc" ? [tsc, ...args, "--outDir", join(root, "dist")] : command === "node" ? [...args, join(root, "dist")] : null;
    if (argv === null) throw new Error(`the build step "${step.join(" ")}" is neither tsc nor a node script: teach this test to run it`);
    execFileSync(process.execPath, argv, { cwd: repo, stdio: "pipe" });
  }
}

describe("the bundled `kindred` command (scripts/bundle-cli.mjs)", () => {
  const root = join(useTempDir("kindred-bundle-"), "kindred");
  const bin = join(root, "bin", "kindred.js");
  const dataDir = join(root, "index");
  const feed = join(root, "feed.jsonl");
  // The built code reads this copy's manifest (record digests name kindred's version), not the checkout's.
  const version = "0.0.0-bundle-test";
  const writerKey = "bundle-test-writer-key";
  // Run the build, never the sources (the suite sets KINDRED_RUN_SOURCES=1).
  const env = { KINDRED_RUN_SOURCES: "0" };

  beforeAll(() => {
    mkdirSync(join(root, "bin"), { recursive: true });
    copyFileSync(join(repo, "bin", "kindred.js"), bin);
    const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(root, "package.json"), JSON.stringify({ ...manifest, version }));
    symlinkSync(join(repo, "node_modules"), join(root, "node_modules"));
    buildInto(root);
    // Without tsc's tree of the CLI, what runs is the bundle (bin/kindred.js would fall back to it).
    rmSync(join(root, "dist", "cli"), { recursive: true });
    writeFileSync(
      feed,
      [
        { id: "n1", title: "Central bank raises interest rates to fight inflation", text: "The central bank raised its main rate by half a point on Tuesday." },
        { id: "n2", title: "Ein schweres Erdbeben hat die Westküste Japans erschüttert", text: "Die Behörden warnten vor einem Tsunami an der Küste." },
        {
          id: "n3",
          title: "Bank of England holds rates as inflation eases",
          text: "The central bank kept its main rate unchanged and said inflation was falling.",
        },
      ]
        .map((article) => JSON.stringify(article))
        .join("\n"),
    );
  }, 300_000);

  it("indexes a feed (store writer and embedding workers), then finds it unchanged and lists related articles", async () => {
    const index = () => kindred(["index", feed, "--data-dir", dataDir, "--workers", "1"], env, bin);
    const first = await index();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/indexed 3, updated 0, unchanged 0, failed 0/);
    const db = new Database(join(dataDir, "kindred.sqlite"), { readonly: true });
    try {
      const pipelines = db.prepare("SELECT DISTINCT pipeline FROM record_digests").all() as { pipeline: string }[];
      expect(pipelines.map(({ pipeline }) => pipeline.split(" ").at(-1))).toEqual([version]);
      expect(db.prepare("SELECT lang FROM articles WHERE id = 'n2'").get()).toEqual({ lang: "de" });
    } finally {
      db.close();
    }

    const again = await index();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/indexed 0, updated 0, unchanged 3, failed 0/);

    const related = await kindred(["related", "n1", "--data-dir", dataDir], env, bin);
    expect(related.code, related.stderr).toBe(0);
    expect(related.stdout).toMatch(/^1\s.*\bn3\s+Bank of England holds rates/m);
  }, 120_000);

  describe("serving", () => {
    let server: Awaited<ReturnType<typeof startKindredServer>>;
    beforeAll(async () => {
      server = await startKindredServer(dataDir, { ...env, KINDRED_API_KEYS: `cms:write:${writerKey}`, KINDRED_EMBED_WORKERS: "1" }, 120_000, [], bin);
    }, 150_000);
    afterAll(async () => {
      server?.child.kill("SIGTERM");
      await server?.exited;
    });

    it("serves the widget script, the workbench and related lists", async () => {
      const widget = await fetch(`${server.baseUrl}/widget.js`);
      expect(widget.status).toBe(200);
      const script = await widget.text();
      expect(script).toContain("kindred related-articles widget");
      expect(script).toContain("function renderRelatedMarkup");

      const page = await fetch(`${server.baseUrl}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>kindred workbench</title>");
      const workbenchScript = await fetch(`${server.baseUrl}/workbench/workbench.js`);
      expect(workbenchScript.status).toBe(200);

      const related = await fetch(`${server.baseUrl}/v1/articles/n1/related?k=2`);
      expect(related.status).toBe(200);
      expect(((await related.json()) as { results: { id: string }[] }).results[0]).toMatchObject({ id: "n3" });
    });

    it("stores an article written over HTTP whose body is parsed on the parser thread", async () => {
      // Above the size parsed inline (http/write-body-parser.ts), so the parser worker reads it.
      const text = "The central bank raised rates again as inflation stayed high. ".repeat(1_200);
      const put = await fetch(`${server.baseUrl}/v1/articles/n4?wait=true`, {
        method: "PUT",
        headers: { authorization: `Bearer ${writerKey}`, "content-type": "application/json" },
        body: JSON.stringify({ title: "Rates rise again", text }),
      });
      expect(put.status, server.stderr()).toBe(201);
      const related = await fetch(`${server.baseUrl}/v1/articles/n4/related?k=3`);
      expect(((await related.json()) as { results: { id: string }[] }).results.map(({ id }) => id)).toContain("n1");
    });
  });
});

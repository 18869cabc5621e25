import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readArticleIds } from "../../bench/support/article-ids.ts";
import { kindredBin } from "../support/run-kindred.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/**
 * What a computed list served over HTTP leaves for the young-generation collector. The route
 * memoises a list's JSON in a WeakMap by the answer object, for answers the engine's cache may
 * serve again; it entered every answer, also those computed with the cache off, which no request
 * finds again. That table lives in the old generation and scavenges kept what it held alive until
 * a full collection, so every computed answer and its JSON were promoted: under load, megabytes a
 * second and full collections with requests queued behind them (issue 14, docs/performance.md).
 * The real `kindred serve` with V8's GC trace; the bytes its scavenges promote per request.
 */
describe("garbage of lists served with the cache off", () => {
  let child: ChildProcess;
  let output = "";
  let baseUrl = "";
  let ids: string[] = [];
  beforeAll(async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    ids = readArticleIds(dataDir);
    child = spawn(process.execPath, ["--trace-gc-nvp", kindredBin, "serve", "--data-dir", dataDir, "--port", "0", "--host", "127.0.0.1"], {
      env: { ...process.env, KINDRED_LOG_LEVEL: "warn", KINDRED_HTTP_WORKERS: "1", KINDRED_RELATED_CACHE_ENTRIES: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    for (const started = Date.now(); ; ) {
      const match = output.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (match !== null) {
        baseUrl = match[1]!;
        break;
      }
      if (child.exitCode !== null || Date.now() - started > 120_000) throw new Error("kindred serve did not start");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 130_000);
  afterAll(async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  });

  it("promotes a small part of what it did per computed list", async () => {
    expect(ids.length).toBeGreaterThan(100);
    // Four clients, each asking the next list as its last one is answered.
    const ask = async (count: number) => {
      let shown = 0;
      const client = async (offset: number) => {
        for (let n = offset; n < count; n += 4) {
          const response = await fetch(`${baseUrl}/v1/articles/${encodeURIComponent(ids[(n * 37) % ids.length]!)}/related?k=10`);
          expect(response.headers.get("x-kindred-cache")).toBe("miss");
          shown += ((await response.json()) as { results: unknown[] }).results.length;
        }
      };
      await Promise.all([0, 1, 2, 3].map(client));
      return shown;
    };
    await ask(600); // code compiled, the young generation grown to its working size
    const from = output.length;
    const lists = 2_000;
    expect(await ask(lists)).toBe(lists * 10);
    const traces = output
      .slice(from)
      .split("\n")
      .filter((line) => / gc=s /.test(line));
    const promoted = traces.reduce((sum, line) => sum + Number(line.match(/ promoted=(\d+)/)?.[1] ?? 0), 0);
    expect(traces.length).toBeGreaterThan(3);
    expect(promoted / lists).toBeLessThan(11_000);
  }, 120_000);
});

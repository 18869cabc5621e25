import { readFileSync } from "node:fs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runSoak, soakServerEnv } from "../../bench/soak.ts";
import { type KindredServer, startKindredServer } from "../support/kindred-server.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/**
 * A short mixed soak (bench/soak.ts runs the 10-minute one): 4 connections send related-by-id
 * queries, GETs, PUTs, batches and DELETEs to a real `kindred serve`, 8 s as fast as it answers,
 * then 15 s paced at half that rate, then read-only traffic at the same rate for 6 s. Every request must be answered; the RSS and p99 figures are
 * printed (timing bounds belong in the bench, not here, except one generous enough for a
 * loaded CI machine that a frozen event loop still breaks).
 */
describe("mixed soak (short)", () => {
  const dataDir = copyDataDir(inject("demoIndexDir"));
  const ids = readFileSync(inject("demoSlicePath"), "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { id: string }).id);
  let server: KindredServer | null = null;
  afterAll(() => {
    server?.child.kill("SIGKILL");
  });

  it("answers every request of a mixed load and reports RSS and p99", async () => {
    server = await startKindredServer(dataDir, { ...soakServerEnv, KINDRED_EMBED_WORKERS: "1" });
    const figures = await runSoak(server.baseUrl, server.child.pid!, ids, { warmupSeconds: 8, seconds: 15, readSeconds: 6, connections: 4 });
    console.log(
      `mixed soak: ${JSON.stringify({ pacedRatePerSecond: figures.pacedRatePerSecond, mixed: figures.mixed, readOnly: figures.readOnly, p99Ratio: figures.p99Ratio, rssMiB: figures.rssMiB, rssGrowthPercent: figures.rssGrowthPercent, loadAverage: figures.loadAverage })}`,
    );
    expect(figures.mixed.failed, "failed requests under mixed load").toBe(0);
    expect(figures.readOnly!.failed).toBe(0);
    expect(figures.mixed.requests).toBeGreaterThan(20);
    expect(figures.rssMiB.length).toBeGreaterThanOrEqual(3);
    expect(figures.mixed.latency.maxMs, "slowest request under mixed load").toBeLessThan(20_000);
  }, 120_000);
});

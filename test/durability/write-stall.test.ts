import { afterAll, describe, expect, it } from "vitest";
import { type KindredServer, startKindredServer } from "../support/kindred-server.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * Writes must not freeze reads (docs/http-api.md, "Concurrency"): a batch of long articles is prepared,
 * tokenised and stored on the store writer's thread, and replayed onto the indexes in slices,
 * so /healthz keeps answering while it is written. Before, the whole batch was one synchronous
 * transaction on the event loop: about half a second per 1,000,000-character article on a quiet
 * machine (seconds for this batch), and polls were cut off. The bound (1.5 s for the slowest
 * poll) is generous for a loaded 2-core CI box; bench/write-stall.ts measures the figures.
 */

const writerKey = "stall-test-writer-key-0123456789";
const articles = 8;
const chars = 1_000_000;

function longText(seed: number): string {
  const words = ["minister", "parliament", "budget", "reform", "pension", "health", "school", "defence", "region", "council", "election", "court"];
  const parts: string[] = [];
  let length = 0;
  for (let n = 0; length < chars; n++) {
    const word = `${words[(n * 7 + seed) % words.length]} ${n % 5 === 0 ? `w${(n * 31 + seed) % 4000} ` : ""}`;
    parts.push(word);
    length += word.length;
  }
  return parts.join("").slice(0, chars);
}

describe("writes never freeze reads", () => {
  const dataDir = useTempDir("kindred-stall-");
  let server: KindredServer | null = null;
  afterAll(() => {
    server?.child.kill("SIGKILL");
  });

  it(`answers /healthz while a batch of ${articles} articles of ${chars.toLocaleString("en")} characters is written`, async () => {
    server = await startKindredServer(dataDir, { KINDRED_API_KEYS: `stall-test:write:${writerKey}`, KINDRED_EMBED_WORKERS: "1" });
    const { baseUrl } = server;
    const batch = { articles: Array.from({ length: articles }, (_, n) => ({ id: `long-${n}`, title: `Long report ${n}`, text: longText(n) })) };
    // Serialised before polling starts: 8 MB of JSON.stringify here would stall this process's
    // own poller and count as the server's stall.
    const body = JSON.stringify(batch);
    const latencies: number[] = [];
    const failures: string[] = [];
    let writing = true;
    const poller = (async () => {
      while (writing) {
        const started = performance.now();
        try {
          const response = await fetch(`${baseUrl}/healthz`);
          await response.arrayBuffer();
          if (response.status !== 200) failures.push(`status ${response.status}`);
        } catch (error) {
          failures.push(String((error as Error).cause ?? error));
        }
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const response = await fetch(`${baseUrl}/v1/articles:batch?wait=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${writerKey}`, "content-type": "application/json" },
      body,
    });
    const answer = (await response.json()) as { created: number };
    writing = false;
    await poller;
    expect(response.status).toBe(200);
    expect(answer.created).toBe(articles);
    const sorted = [...latencies].sort((a, b) => a - b);
    const summary = {
      polls: sorted.length,
      p50Ms: Math.round(sorted[sorted.length >> 1]!),
      p99Ms: Math.round(sorted[Math.ceil(sorted.length * 0.99) - 1]!),
      maxMs: Math.round(sorted[sorted.length - 1]!),
    };
    console.log(`/healthz during the batch: ${JSON.stringify(summary)}`);
    expect(failures, "polls that failed").toEqual([]);
    expect(summary.polls).toBeGreaterThan(5);
    expect(summary.maxMs, "slowest /healthz while the batch was written").toBeLessThan(1_500);
  }, 180_000);
});

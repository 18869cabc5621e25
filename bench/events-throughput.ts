/**
 * POST /v1/events: how many impression and click reports one `kindred serve` process counts per
 * second, as the widget sends them (text/plain JSON, as sendBeacon sends a string; a box of 5
 * impressions, or one click), with autocannon on loopback. The per-client rate limit is raised
 * for the run (every request comes from 127.0.0.1); afterwards /v1/stats must account for every
 * accepted event, so the figure counts only events that were stored.
 *
 *   npx tsx bench/events-throughput.ts DATA_DIR [--duration 10] [--connections 10]
 *
 * DATA_DIR is an indexed data directory (e.g. `npx kindred index data/wcep-2025-2026.jsonl.gz
 * --data-dir DATA_DIR`); the run counts into a copy of it. Writes bench/events-throughput-results.json.
 */

import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { startKindredServer } from "./support/kindred-process.ts";
import { describeMachine, readLoadAverage } from "./support/machine-info.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "10" } },
});
const source = positionals[0];
if (source === undefined) throw new Error("usage: npx tsx bench/events-throughput.ts DATA_DIR [--duration 10] [--connections 10]");
const durationS = Number(values.duration);
const connections = Number(values.connections);

const dataDir = join(mkdtempSync(join(tmpdir(), "kindred-events-bench-")), "index");
cpSync(source, dataDir, { recursive: true });
const readerKey = "events-bench-reader-key-01";
const server = await startKindredServer(dataDir, { env: { KINDRED_EVENTS_PER_MINUTE_PER_CLIENT: "1000000", KINDRED_API_KEYS: `bench:read:${readerKey}` } });
try {
  const stats = async () =>
    (await (await fetch(`${server.baseUrl}/v1/stats`, { headers: { authorization: `Bearer ${readerKey}` } })).json()) as {
      totals: { impressions: number; clicks: number };
    };
  const ready = (await (await fetch(`${server.baseUrl}/readyz`)).json()) as { articles: number };
  // Real article ids: a list's results are what a widget reports.
  const someId = await findSomeArticle(server.baseUrl);
  const list = (await (await fetch(`${server.baseUrl}/v1/articles/${encodeURIComponent(someId)}/related?k=5`)).json()) as {
    recommendation_id: string;
    results: { id: string }[];
  };
  const impressions = JSON.stringify({
    recommendation_id: list.recommendation_id,
    placement: "bench",
    events: list.results.map((result, index) => ({ type: "impression", position: index + 1, article: result.id })),
  });
  const click = JSON.stringify({
    recommendation_id: list.recommendation_id,
    placement: "bench",
    events: [{ type: "click", position: 1, article: list.results[0]!.id }],
  });
  const before = await stats();
  const loadBefore = readLoadAverage();
  let sent = 0;
  const result = await autocannon({
    url: `${server.baseUrl}/v1/events`,
    connections,
    duration: durationS,
    // Nine boxes shown for each click, alternating in one fixed pattern.
    requests: [
      {
        method: "POST",
        headers: { "content-type": "text/plain;charset=UTF-8" },
        setupRequest: (request) => ({ ...request, body: sent++ % 10 === 9 ? click : impressions }),
      },
    ],
  });
  const after = await stats();
  const counted = after.totals.impressions - before.totals.impressions + (after.totals.clicks - before.totals.clicks);
  const accepted = result["2xx"];
  const figures = {
    articles: ready.articles,
    connections,
    durationS,
    requestsPerSecond: Math.round(accepted / durationS),
    eventsPerSecond: Math.round(counted / durationS),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    accepted,
    non2xx: result.non2xx,
    errors: result.errors,
    eventsCounted: counted,
    loadAverageBefore: loadBefore,
    loadAverageAfter: readLoadAverage(),
    machine: describeMachine(),
  };
  console.log(JSON.stringify(figures, null, 2));
  writeFileSync(new URL("events-throughput-results.json", import.meta.url), `${JSON.stringify(figures, null, 2)}\n`);
  if (result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(join(dataDir, ".."), { recursive: true, force: true });
}

/** An article id with a related list: the demo's seed item if present, else the first listed. */
async function findSomeArticle(baseUrl: string): Promise<string> {
  const seed = "wcep-2025-03-02-01055";
  if ((await fetch(`${baseUrl}/v1/articles/${seed}`)).status === 200) return seed;
  throw new Error(`The data directory has no article "${seed}": index the demo corpus (or its slice around 2025-03-02) into it.`);
}

/**
 * Do writes freeze reads? Starts `kindred serve`, sends write batches (by default one batch of
 * 30 articles of 1,000,000 characters, then 1,000 small articles, then a 1 MB PUT) while a client
 * polls GET /healthz every 10 ms, and prints the /healthz latencies during each write.
 *
 *   npx tsx bench/write-stall.ts [--data-dir DIR] [--big-articles 30] [--big-chars 1000000] [--small-articles 1000]
 *
 * Without --data-dir it serves an empty temporary directory (the writes pin the bundled model).
 * Loopback only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startKindredServer } from "./support/kindred-process.ts";
import { type LatencySummary, summariseLatencies } from "./support/latency-stats.ts";

const writerKey = "write-stall-bench-key-0123456789";

export interface StallFigures {
  write: string;
  writeMs: number;
  status: number;
  healthz: LatencySummary & { maxMs: number };
  loadAverage: number;
}

/** A long text of ordinary words (distinct enough that FTS5 and the shingles have work to do). */
export function longText(chars: number, seed: number): string {
  const words = [
    "minister",
    "parliament",
    "budget",
    "reform",
    "pension",
    "health",
    "school",
    "defence",
    "region",
    "council",
    "election",
    "court",
    "ruling",
    "market",
    "energy",
    "price",
    "storm",
    "river",
    "harbour",
    "strike",
  ];
  const parts: string[] = [];
  let length = 0;
  for (let n = 0; length < chars; n++) {
    const word = `${words[(n * 7 + seed) % words.length]}${n % 97 === 0 ? ". " : " "}${n % 5 === 0 ? `w${(n * 31 + seed) % 5000} ` : ""}`;
    parts.push(word);
    length += word.length;
  }
  return parts.join("").slice(0, chars);
}

/** Sends `write` while polling /healthz; returns the latencies seen during the write. */
export async function measureDuringWrite(baseUrl: string, name: string, write: () => Promise<Response>): Promise<StallFigures> {
  const samples: number[] = [];
  let writing = true;
  const poller = (async () => {
    while (writing) {
      const started = performance.now();
      const response = await fetch(`${baseUrl}/healthz`);
      await response.arrayBuffer();
      samples.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const started = performance.now();
  const response = await write();
  await response.arrayBuffer();
  const writeMs = performance.now() - started;
  writing = false;
  await poller;
  return {
    write: name,
    writeMs: Math.round(writeMs),
    status: response.status,
    healthz: { ...summariseLatencies(samples), maxMs: Math.round(Math.max(...samples) * 10) / 10 },
    loadAverage: loadavg()[0]!,
  };
}

/**
 * A write whose body is serialised now, before the returned function sends it: serialising
 * 30 MB inside the measured window would stall this process's own /healthz poller and be
 * counted as the server's stall.
 */
export function writeRequest(baseUrl: string, method: string, path: string, body: unknown): () => Promise<Response> {
  const json = JSON.stringify(body);
  return () =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${writerKey}`, "content-type": "application/json" },
      body: json,
    });
}

export const stallServerEnv = { KINDRED_API_KEYS: `bench:write:${writerKey}`, KINDRED_MAX_WRITE_REQUEST_BYTES: String(64 * 1024 * 1024) };

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { "data-dir": { type: "string" }, "big-articles": { type: "string" }, "big-chars": { type: "string" }, "small-articles": { type: "string" } },
  });
  const ownDir = values["data-dir"] === undefined ? mkdtempSync(join(tmpdir(), "kindred-stall-")) : null;
  const server = await startKindredServer(ownDir ?? values["data-dir"]!, { env: stallServerEnv });
  try {
    const bigArticles = Number(values["big-articles"] ?? 30);
    const bigChars = Number(values["big-chars"] ?? 1_000_000);
    const smallArticles = Number(values["small-articles"] ?? 1_000);
    const figures: StallFigures[] = [];
    const big = Array.from({ length: bigArticles }, (_, n) => ({ id: `stall-big-${n}`, title: `Long report ${n}`, text: longText(bigChars, n) }));
    figures.push(
      await measureDuringWrite(
        server.baseUrl,
        `batch of ${bigArticles} x ${bigChars} chars`,
        writeRequest(server.baseUrl, "POST", "/v1/articles:batch?wait=true", { articles: big }),
      ),
    );
    const small = Array.from({ length: smallArticles }, (_, n) => ({ id: `stall-small-${n}`, title: `Short item ${n}`, text: longText(400, n) }));
    figures.push(
      await measureDuringWrite(
        server.baseUrl,
        `batch of ${smallArticles} small articles`,
        writeRequest(server.baseUrl, "POST", "/v1/articles:batch?wait=true", { articles: small }),
      ),
    );
    figures.push(
      await measureDuringWrite(
        server.baseUrl,
        "PUT of 1,000,000 chars",
        writeRequest(server.baseUrl, "PUT", "/v1/articles/stall-put?wait=true", { title: "One long article", text: longText(1_000_000, 99) }),
      ),
    );
    for (const figure of figures) process.stdout.write(`${JSON.stringify(figure)}\n`);
  } finally {
    await server.stop();
    if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
  }
}

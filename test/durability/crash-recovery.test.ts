import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { requestServerJson } from "../support/http-client.ts";
import { type KindredServer, startKindredServer } from "../support/kindred-server.ts";
import { mulberry32 } from "../support/synthetic-vectors.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/**
 * The durability promise, tested the hard way: a real `kindred serve` takes a stream of writes
 * over HTTP and is killed with SIGKILL at a random moment; a new process on the same data
 * directory must hold every write that was acknowledged (PUTs and batches are acknowledged
 * once journaled, so the kill often lands before their embedding), searchable through the
 * graph once the restart has indexed them, and none of the acknowledged deletes. Graph saves every 200 ms and compaction after a few
 * deletes make the kill land, now and then, in the middle of those too.
 */

const writerKey = "crash-test-writer-key-0123456789";
const serverEnv = {
  KINDRED_API_KEYS: `crash-test:write:${writerKey}`,
  KINDRED_EMBED_WORKERS: "1",
  KINDRED_GRAPH_SAVE_INTERVAL_MS: "200",
  KINDRED_COMPACT_MIN_DELETED: "4",
  KINDRED_COMPACT_DELETED_FRACTION: "0.01",
};
// More rounds for a longer reproduction: KINDRED_CRASH_ROUNDS=10 (each round then gets fewer of the demo slice's articles).
const rounds = Number(process.env.KINDRED_CRASH_ROUNDS ?? 3);
const seed = Number(process.env.KINDRED_CRASH_SEED ?? Date.now() % 100_000);

interface DemoItem {
  id: string;
  title: string;
  text: string;
  topics: string[];
  published_at: string;
}

/** A write the test attempted, and whether the server acknowledged it before dying. */
type Attempt =
  | { kind: "put"; id: string; title: string; baseId: string; acked: boolean }
  | { kind: "patch"; id: string; topic: string; acked: boolean }
  | { kind: "delete"; id: string; neighbourId: string; acked: boolean };

describe(`crash recovery under SIGKILL (seed ${seed}; rerun with KINDRED_CRASH_SEED=${seed})`, () => {
  const dataDir = copyDataDir(inject("demoIndexDir"));
  const items = readFileSync(inject("demoSlicePath"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as DemoItem);
  const random = mulberry32(seed);
  const attempts: Attempt[] = [];
  let server: KindredServer | null = null;
  afterAll(() => {
    server?.child.kill("SIGKILL");
  });

  const call = (method: string, path: string, body?: unknown) => requestServerJson(server!.baseUrl, writerKey, method, path, body);
  // The writes are near-copies of their base (its text under an "Update:" title), which folding
  // would rightly hide from the base's list: look with folding off.
  const relatedIds = async (id: string, k: number): Promise<string[]> => {
    const { status, body } = await call("GET", `/v1/articles/${encodeURIComponent(id)}/related?k=${k}&fold_duplicates=false`);
    expect(status, `related list of ${id}`).toBe(200);
    return body!.results.map((result: { id: string }) => result.id);
  };

  // Disjoint pools, so that each id is written by exactly one attempt.
  const shuffled = [...items].sort(() => random() - 0.5);
  // Per round: 20 deletes, 8 patches and 36 bases (18 PUTs, 6 batches of 3) while the slice lasts.
  const perRound = Math.floor(items.length / rounds);
  const deletesPerRound = Math.min(20, Math.floor(perRound * 0.2));
  const patchesPerRound = Math.min(8, Math.floor(perRound * 0.08));
  const basesPerRound = Math.min(36, perRound - deletesPerRound - patchesPerRound);
  const deletePool = shuffled.slice(0, deletesPerRound * rounds);
  const deletePoolIds = deletePool.map((item) => item.id);
  const patchPool = shuffled.slice(deletesPerRound * rounds, (deletesPerRound + patchesPerRound) * rounds);
  const basePool = shuffled.slice((deletesPerRound + patchesPerRound) * rounds);

  /** Streams writes from three clients until the server dies, killing it after a random number of acks. */
  const runRound = async (round: number) => {
    const killAfterAcks = 4 + Math.floor(random() * 30);
    const killDelayMs = Math.floor(random() * 40);
    let acks = 0;
    let dead = false;
    const victim = server!;
    const acked = () => {
      acks++;
      if (acks === killAfterAcks) {
        setTimeout(() => {
          dead = true;
          victim.child.kill("SIGKILL");
        }, killDelayMs);
      }
    };
    const attempt = async (record: Attempt, send: () => Promise<boolean>) => {
      attempts.push(record);
      // A request cut off by the kill rejects: unacknowledged, its outcome is unknown.
      if (await send().catch(() => false)) {
        record.acked = true;
        acked();
      }
    };
    const deletes = deletePool.splice(0, deletesPerRound);
    const patches = patchPool.splice(0, patchesPerRound);
    const bases = basePool.splice(0, basesPerRound);
    const puts = Math.ceil(bases.length / 2);
    const neighbours = new Map<string, string>();
    // The nearest article that no round deletes: a ghost of the deleted one would show in its list.
    const deleted = new Set(deletePoolIds);
    for (const item of deletes) neighbours.set(item.id, (await relatedIds(item.id, 20)).find((id) => !deleted.has(id))!);

    const putter = async () => {
      for (const [n, base] of bases.slice(0, puts).entries()) {
        if (dead) return;
        const id = `crash-${round}-put-${n}`;
        const title = `Update: ${base.title}`;
        await attempt({ kind: "put", id, title, baseId: base.id, acked: false }, async () => {
          const { status } = await call("PUT", `/v1/articles/${id}`, { title, text: base.text, topics: base.topics, published_at: base.published_at });
          // Acknowledged once durable (202); embedded and indexed after the answer, or after a restart.
          return status === 202;
        });
      }
    };
    const deleter = async () => {
      for (const item of deletes) {
        if (dead) return;
        await attempt(
          { kind: "delete", id: item.id, neighbourId: neighbours.get(item.id)!, acked: false },
          // Acknowledged once journaled (202); applied after the answer, or after a restart.
          async () => (await call("DELETE", `/v1/articles/${item.id}`)).status === 202,
        );
      }
    };
    // PATCH changes metadata only: the vector stays, the change log still records it.
    const patcher = async () => {
      for (const item of patches) {
        if (dead) return;
        const topic = `patched in round ${round}`;
        await attempt(
          { kind: "patch", id: item.id, topic, acked: false },
          async () => (await call("PATCH", `/v1/articles/${item.id}`, { topics: [...item.topics, topic] })).status === 200,
        );
      }
    };
    const batcher = async () => {
      for (let b = 0; puts + b * 3 < bases.length; b++) {
        if (dead) return;
        const group = bases.slice(puts + b * 3, puts + 3 + b * 3).map((base, n) => ({
          id: `crash-${round}-batch-${b}-${n}`,
          title: `Follow-up: ${base.title}`,
          text: base.text,
          topics: base.topics,
          published_at: base.published_at,
          baseId: base.id,
        }));
        const records: Attempt[] = group.map((article) => ({ kind: "put", id: article.id, title: article.title, baseId: article.baseId, acked: false }));
        attempts.push(...records);
        const ok = await call("POST", "/v1/articles:batch", { articles: group.map(({ baseId: _baseId, ...article }) => article) })
          .then(({ status, body }) => status === 202 && body!.accepted === group.length)
          .catch(() => false);
        if (ok) {
          for (const record of records) record.acked = true;
          acked();
        }
      }
    };
    await Promise.all([putter(), deleter(), patcher(), batcher()]);
    if (!dead) victim.child.kill("SIGKILL"); // every write finished before the kill point: kill now
    await victim.exited;
    return { killAfterAcks, acks };
  };

  /** Every acknowledged write is there and searchable; every acknowledged delete is gone; nothing is half-written. */
  const verifyAfterRestart = async () => {
    // Writes acknowledged before the kill and never stored are indexed while the server serves.
    await untilNoWritePending();
    for (const record of attempts) {
      const { status, body } = await call("GET", `/v1/articles/${encodeURIComponent(record.id)}`);
      if (record.kind === "put") {
        if (record.acked) expect(status, `acknowledged write ${record.id}`).toBe(200);
        if (status === 200) {
          expect(body!.title, `${record.id} is whole`).toBe(record.title);
          // Searchable through the graph (no filter: the HNSW plan) from the article it updates.
          expect(await relatedIds(record.baseId, 5), `${record.id} in the list of ${record.baseId}`).toContain(record.id);
        }
      } else if (record.kind === "patch") {
        expect(status, `patched article ${record.id}`).toBe(200);
        if (record.acked) expect(body!.topics, `acknowledged patch of ${record.id}`).toContain(record.topic);
      } else {
        if (record.acked) expect(status, `acknowledged delete ${record.id}`).toBe(404);
        if (status === 404)
          expect(await relatedIds(record.neighbourId, 20), `ghost of ${record.id} in the list of ${record.neighbourId}`).not.toContain(record.id);
      }
    }
    const ready = await call("GET", "/readyz");
    expect(ready.body!.graph.live, "graph and store hold the same articles").toBe(ready.body!.articles);
  };

  it(`keeps every acknowledged write through ${rounds} kills at random moments`, async () => {
    server = await startKindredServer(dataDir, serverEnv);
    for (let round = 1; round <= rounds; round++) {
      const { killAfterAcks, acks } = await runRound(round);
      server = await startKindredServer(dataDir, serverEnv);
      await verifyAfterRestart();
      expect(acks, `round ${round}: killed after ack ${killAfterAcks}`).toBeGreaterThanOrEqual(Math.min(killAfterAcks, 4));
    }
    expect(attempts.filter((record) => record.acked).length).toBeGreaterThan(rounds * 4);

    // The recovered graph is as good as one rebuilt from the same vectors: the recall self-check
    // (recall@10 against the exact index, half its queries on the written articles) after the
    // last restart, then again with the graph files removed, so the server rebuilds the graph.
    const recovered = await graphRecall();
    server.child.kill("SIGKILL");
    await server.exited;
    for (const name of readdirSync(dataDir)) if (/^graph[-.]/.test(name)) rmSync(join(dataDir, name));
    server = await startKindredServer(dataDir, serverEnv);
    const rebuilt = await graphRecall();
    console.log(
      `graph recall@10 after ${rounds} kills and ${attempts.filter((record) => record.acked).length} acknowledged writes: recovered ${recovered.recall.toFixed(4)}, rebuilt ${rebuilt.recall.toFixed(4)} (${recovered.queries} queries)`,
    );
    expect(recovered.queries).toBeGreaterThan(50);
    expect(recovered.recall).toBeGreaterThanOrEqual(rebuilt.recall - 0.01);
  }, 300_000);

  const untilNoWritePending = async () => {
    for (let attempt = 0; attempt < 1200; attempt++) {
      if ((await call("GET", "/readyz")).body?.pending_writes === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("accepted writes still pending 120 s after the restart");
  };

  /** The server's recall self-check, once it has run after the start (/readyz graph_recall). */
  const graphRecall = async (): Promise<{ recall: number; queries: number }> => {
    for (let attempt = 0; attempt < 600; attempt++) {
      const ready = await call("GET", "/readyz");
      const report = ready.body?.graph_recall;
      if (report != null) return report;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("no graph recall check reported in /readyz");
  };
});

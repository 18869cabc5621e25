import { describe, expect, it } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import { createApp } from "../../src/http/app.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { requestJson, waitingForIndexes } from "../support/http-client.ts";
import { useDemoSliceEngine } from "../support/open-test-engine.ts";

const writerKey = "barrier-test-writer-key-0123456789";

describe("the writer process of a multi-process server and its readers", () => {
  const slice = useDemoSliceEngine();
  /** The app as the writer process builds it, recording each wait for the readers: the sequence asked for, and what this process had applied then. */
  const writerApp = () => {
    const barriers: { seq: number | undefined; appliedThen: number }[] = [];
    const app = createApp(
      { engine: slice.opened.engine, phase: "ready" },
      {
        maxRequestBytes: 10_000,
        maxQueryTextChars: 2_000,
        logger: silentLogger(),
        apiKeys: [{ name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) }],
        workerRouting: {
          role: "writer",
          name: "1",
          awaitReaders: async (seq) => {
            barriers.push({ seq, appliedThen: slice.opened.engine.appliedSeq });
          },
        },
      },
    );
    // The barrier is what `wait=true` asks for; without it the answer waits for no reader.
    const write = (method: string, path: string, body?: unknown) =>
      requestJson(app, method, waitingForIndexes(path), { ...(body === undefined ? {} : { body }), headers: { authorization: `Bearer ${writerKey}` } });
    return { barriers, write };
  };

  it("asks the readers to replay a write as soon as it is committed, while the writer applies it itself", async () => {
    const { barriers, write } = writerApp();
    const put = await write("PUT", "/v1/articles/barrier-1", {
      title: "Harbour council approves ferry budget",
      text: "The council approved the ferry budget.",
    });
    expect(put.status).toBe(201);
    const committed = slice.opened.engine.appliedSeq;
    // One wait, for the write's own change, asked before this process had applied it (before: after, with no sequence).
    expect(barriers).toEqual([{ seq: committed, appliedThen: expect.any(Number) }]);
    expect(barriers[0]!.appliedThen).toBeLessThan(committed);

    const deleted = await write("DELETE", "/v1/articles/barrier-1");
    expect(deleted.status).toBe(204);
    expect(barriers[1]).toEqual({ seq: slice.opened.engine.appliedSeq, appliedThen: expect.any(Number) });
    expect(barriers[1]!.appliedThen).toBeLessThan(barriers[1]!.seq!);
  });

  it("waits for the readers to reach what this process applied when a write commits nothing", async () => {
    const { barriers, write } = writerApp();
    expect((await write("DELETE", "/v1/articles/no-such-article")).status).toBe(404);
    expect(barriers).toEqual([{ seq: undefined, appliedThen: slice.opened.engine.appliedSeq }]);
  });
});

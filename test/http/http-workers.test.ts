import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, describe, expect, inject, it } from "vitest";
import { httpWorkerV8Flags, workerExecArgv, writerV8Flags } from "../../src/cli/serve-workers.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { type KindredServer, startKindredServer } from "../support/kindred-server.ts";
import { copyDataDir } from "../support/temp-dir.ts";

const writerKey = "workers-test-key-0123456789";

/** One request on a connection of its own, so the cluster's round-robin spreads them over the workers. */
function get(baseUrl: string, path: string): Promise<{ status: number; worker: string; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(`${baseUrl}${path}`, { agent: false, headers: { connection: "close" } }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, worker: String(response.headers["x-kindred-worker"]), body }));
    });
    call.on("error", reject);
    call.end();
  });
}

/** Four distinct texts on the Hegseth story (distinct, so none folds into another as a copy). */
const stories = [
  {
    title: "Hegseth orders a pause of US cyber operations against Russia",
    text: "The defence secretary told Cyber Command to stand down planning against Moscow during talks.",
  },
  {
    title: "Pentagon denies that Hegseth halted cyber planning on Russia",
    text: "A spokesman said no order to stop offensive cyber operations against Russia had been given.",
  },
  {
    title: "Cyber Command's Russia operations on hold, officials say",
    text: "Officials described the Hegseth directive as part of the administration's reset with the Kremlin.",
  },
  {
    title: "Senators question Hegseth over the Russia cyber pause",
    text: "Democrats asked the defence secretary to explain the stand-down of Cyber Command against Russia.",
  },
];

const relatedIds = (body: string) => (JSON.parse(body) as { results: { id: string }[] }).results.map((result) => result.id);

describe("kindred serve --http-workers 2", () => {
  let server: KindredServer | null = null;
  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
  });

  it("answers from both processes, and every read after a write's answer sees the write, whichever process answers", async () => {
    server = await startKindredServer(
      copyDataDir(inject("demoIndexDir")),
      { KINDRED_API_KEYS: `cms:write:${writerKey}`, KINDRED_EMBED_WORKERS: "1" },
      180_000,
      ["--http-workers", "2"],
    );
    const { baseUrl } = server;
    const before = await Promise.all(Array.from({ length: 8 }, () => get(baseUrl, `/v1/articles/${hegsethId}/related?k=10`)));
    expect(new Set(before.map((answer) => answer.worker))).toEqual(new Set(["1", "2"]));
    expect(new Set(before.map((answer) => JSON.stringify(relatedIds(answer.body)))).size).toBe(1); // the same list from both

    // Each write (wait=true: answered once every process holds it) goes in through whichever process takes the connection (a reader forwards it),
    // and the reads start the moment its answer arrives: no process may answer from before it.
    for (let round = 0; round < 4; round++) {
      const id = `workers-${round}`;
      const written = await fetch(`${baseUrl}/v1/articles/${id}?wait=true`, {
        method: "PUT",
        headers: { authorization: `Bearer ${writerKey}`, "content-type": "application/json" },
        body: JSON.stringify({ ...stories[round]!, published_at: "2025-03-03" }),
      });
      expect(written.status, await written.text()).toBe(201);
      const after = await Promise.all(Array.from({ length: 6 }, () => get(baseUrl, `/v1/articles/${id}/related?k=10`)));
      for (const answer of after) expect(answer.status, `worker ${answer.worker}: ${answer.body}`).toBe(200);
      expect(new Set(after.map((answer) => answer.worker))).toEqual(new Set(["1", "2"]));
      expect(new Set(after.map((answer) => JSON.stringify(relatedIds(answer.body)))).size).toBe(1);
      const lists = await Promise.all(Array.from({ length: 6 }, () => get(baseUrl, `/v1/articles/${hegsethId}/related?k=50`)));
      for (const answer of lists) expect(relatedIds(answer.body), `worker ${answer.worker}`).toContain(id);
    }

    const removed = await fetch(`${baseUrl}/v1/articles/workers-0?wait=true`, { method: "DELETE", headers: { authorization: `Bearer ${writerKey}` } });
    expect(removed.status).toBe(204);
    const gone = await Promise.all(Array.from({ length: 6 }, () => get(baseUrl, "/v1/articles/workers-0/related")));
    for (const answer of gone) expect(answer.status, `worker ${answer.worker}`).toBe(404);
    expect(new Set(gone.map((answer) => answer.worker))).toEqual(new Set(["1", "2"]));
  }, 300_000);

  it("starts the writer with the heap growing factor fixed, so its write garbage cannot grow its heap to several times its live data, the reader with V8's heap sizing, and both without concurrent marking", () => {
    const pid = server!.child.pid!;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).map(Number);
    expect(children).toHaveLength(2);
    // The writer is forked first; the reader once the writer is ready.
    const startTime = (child: number) =>
      Number(
        readFileSync(`/proc/${child}/stat`, "utf8")
          .replace(/^.*\) /s, "")
          .split(" ")[19],
      );
    const [writer, reader] = [...children].sort((a, b) => startTime(a) - startTime(b));
    const argvOf = (child: number) => readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0");
    expect(argvOf(writer!), `writer ${writer}`).toEqual(expect.arrayContaining([...writerV8Flags]));
    // A full collection whose concurrent markers fell behind on busy cores ends in one long pause (docs/performance.md).
    expect(argvOf(reader!), `reader ${reader}`).toEqual(expect.arrayContaining([...httpWorkerV8Flags]));
    // Under the fixed factor a reader ran full collections again and again under read load (docs/performance.md).
    expect(
      argvOf(reader!).filter((argument) => argument.startsWith("--heap-growing-percent")),
      `reader ${reader}`,
    ).toEqual([]);
  });
});

describe("workerExecArgv", () => {
  it("adds each V8 default the command line does not set, and keeps one it sets", () => {
    expect(workerExecArgv(["--enable-source-maps"], writerV8Flags)).toEqual(["--enable-source-maps", "--no-concurrent-marking", "--heap-growing-percent=30"]);
    expect(workerExecArgv(["--heap_growing_percent=80"], writerV8Flags)).toEqual(["--heap_growing_percent=80", "--no-concurrent-marking"]);
    // Turning a boolean flag back on wins too.
    expect(workerExecArgv(["--concurrent_marking"], httpWorkerV8Flags)).toEqual(["--concurrent_marking"]);
  });
});

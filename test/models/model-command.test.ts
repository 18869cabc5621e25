import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kindred } from "../support/run-kindred.ts";
import { fixtureModelsDir, tinyBertModelId } from "../support/fixture-models.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * `kindred model fetch` against stand-ins for the Hugging Face Hub on loopback (the real one is
 * never contacted): one serving the tiny BERT fixture under the Hub's URL layout, one that
 * cuts the connection half-way through the model file, one that never answers, and a port
 * nothing listens on.
 */
type Behaviour = "serve" | "cut-model" | "hang";

function startFakeHub(behaviour: Behaviour): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response: ServerResponse) => {
    requests.push(request.url ?? "");
    if (behaviour === "hang") return;
    // /<org>/<name>/resolve/<revision>/<file>
    const match = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(request.url ?? "");
    const file = match?.[2]?.replace("model_quantized.onnx", "model.onnx");
    const path = match === null ? null : join(fixtureModelsDir, match[1]!, file!);
    if (path === null || !existsSync(path)) {
      response.writeHead(404).end("Entry not found");
      return;
    }
    const bytes = readFileSync(path);
    response.writeHead(200, { "content-length": String(bytes.length) });
    if (behaviour === "cut-model" && file!.endsWith(".onnx")) {
      response.write(bytes.subarray(0, bytes.length >> 1), () => response.destroy());
      return;
    }
    response.end(bytes);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests })));
}

/** Everything under a directory, so a test can say nothing at all was written. */
function listTree(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, encoding: "utf8" });
}

describe("kindred model fetch and list", () => {
  const servers: Server[] = [];
  const hub = (behaviour: Behaviour) => startFakeHub(behaviour).then((started) => (servers.push(started.server), started));
  afterAll(() => {
    for (const server of servers) server.closeAllConnections(), server.close();
  });

  let closedPortUrl: string;
  beforeAll(async () => {
    const { server, url } = await startFakeHub("serve");
    await new Promise((resolve) => server.close(resolve));
    closedPortUrl = url;
  });

  it("fails in one line, non-zero, writing nothing, when the Hub cannot be reached", async () => {
    const modelsDir = join(useTempDir(), "models");
    const result = await kindred(["model", "fetch", "Xenova/all-MiniLM-L6-v2", "--models-dir", modelsDir, "--hub-url", closedPortUrl]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^kindred model: cannot reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:\d+\/ \(ECONNREFUSED\); nothing was written\./);
    expect(listTree(modelsDir)).toEqual([]);
  });

  it("gives up on a Hub that never answers after --timeout-ms, in one line", async () => {
    const { url, requests } = await hub("hang");
    const modelsDir = join(useTempDir(), "models");
    const started = Date.now();
    const result = await kindred(["model", "fetch", "Xenova/all-MiniLM-L6-v2", "--models-dir", modelsDir, "--hub-url", url, "--timeout-ms", "500"]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot reach the Hugging Face Hub .*no data for 500 ms/);
    expect(requests).toHaveLength(1);
    expect(listTree(modelsDir)).toEqual([]);
  });

  it("leaves nothing half-written when the connection drops in the middle of the model file", async () => {
    const { url, requests } = await hub("cut-model");
    const modelsDir = join(useTempDir(), "models");
    const result = await kindred(["model", "fetch", tinyBertModelId, "--models-dir", modelsDir, "--hub-url", url]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^kindred model: lost the connection to the Hugging Face Hub .*; nothing was written\./);
    expect(requests.at(-1)).toMatch(/onnx\/model\.onnx$/);
    expect(listTree(modelsDir)).toEqual([]);
  });

  it("says when the Hub has no such model or no ONNX files for it", async () => {
    const { url } = await hub("serve");
    const result = await kindred(["model", "fetch", "someone/not-a-model", "--models-dir", join(useTempDir(), "models"), "--hub-url", url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/resolve\/main\/config\.json does not exist: "someone\/not-a-model" has no Transformers\.js \(ONNX\) files there/);
  });

  it("downloads every file through Transformers.js' hub code into models/<org>/<name>/, then lists it", async () => {
    const { url, requests } = await hub("serve");
    const modelsDir = join(useTempDir(), "models");
    const result = await kindred(["model", "fetch", tinyBertModelId, "--models-dir", modelsDir, "--hub-url", url]);
    expect(result.stderr).not.toMatch(/kindred model:/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/fetched kindred-test\/tiny-bert into .* \(4 files, .* MiB\); switch an index to it with: kindred reindex --model kindred-test\/tiny-bert/);
    expect(requests).toEqual(["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"].map((file) => `/${tinyBertModelId}/resolve/main/${file}`));
    const directory = join(modelsDir, tinyBertModelId);
    for (const file of ["config.json", "tokenizer.json", "onnx/model.onnx"]) {
      expect(readFileSync(join(directory, file)).equals(readFileSync(join(fixtureModelsDir, tinyBertModelId, file)))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(directory, "fetched.json"), "utf8"))).toMatchObject({ model: tinyBertModelId, source: url, revision: "main" });
    expect(readdirSync(join(modelsDir, "kindred-test"))).toEqual(["tiny-bert"]);

    const again = await kindred(["model", "fetch", tinyBertModelId, "--models-dir", modelsDir, "--hub-url", url]);
    expect(again.stdout).toMatch(/is installed in .*; --force fetches it again/);

    const quantized = await kindred(["model", "fetch", tinyBertModelId, "--quantized", "--force", "--models-dir", modelsDir, "--hub-url", url]);
    expect(quantized.code).toBe(0);
    expect(readdirSync(join(directory, "onnx"))).toEqual(["model_quantized.onnx"]);

    const list = await kindred(["model", "list", "--models-dir", modelsDir, "--data-dir", join(modelsDir, "no-index")]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/google\/use-lite \(bundled\)\s+512\s+built in/);
    expect(list.stdout).toMatch(/kindred-test\/tiny-bert\s+32\s+mean\s+- \/ -\s+onnx\/model_quantized\.onnx \d+ KiB/);
  });
});

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModelsDir, tinyBertModelId } from "../support/fixture-models.ts";
import { startKindredServer, type KindredServer } from "../support/kindred-server.ts";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";
import { defaultModelId } from "../../src/config/config.ts";

/**
 * A Hugging Face model end to end, offline: `kindred index --model` with the tiny BERT fixture
 * (loaded through Transformers.js in the embedding workers), then `kindred related`, `similar`
 * and `kindred serve` on that index, and the refusal to open it with another model.
 */
describe(`kindred with ${tinyBertModelId} from the models directory`, () => {
  const dir = useTempDir();
  const dataDir = join(dir, "index");
  const feed = join(dir, "feed.jsonl");
  const shared = ["--data-dir", dataDir, "--models-dir", fixtureModelsDir, "--model", tinyBertModelId, "--workers", "1"];
  writeFileSync(
    feed,
    [
      { id: "c1", title: "Central bank raises interest rates to fight inflation", topics: ["Economy"] },
      { id: "c2", title: "Stock markets fall as investors fear a recession", topics: ["Economy"] },
      { id: "s1", title: "Home side wins the cup final on penalties", topics: ["Sport"] },
      { id: "s2", title: "Striker scores twice as the club reaches the semifinal", topics: ["Sport"] },
      { id: "w1", title: "Storm floods coastal towns after days of rain", topics: ["Weather"] },
    ]
      .map((item) => JSON.stringify(item))
      .join("\n"),
  );
  let server: KindredServer | null = null;
  afterAll(() => {
    server?.child.kill("SIGKILL");
  });

  it("indexes with the model and answers related and similar queries", async () => {
    const indexed = await kindred(["index", feed, ...shared]);
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(indexed.stdout).toMatch(/indexed 5, updated 0, unchanged 0, failed 0/);
    const related = await kindred(["related", "c1", "--k", "1", "--json", ...shared]);
    expect(JSON.parse(related.stdout)).toMatchObject({ article: "c1", results: [{ id: "c2" }] });
    const similar = await kindred(["similar", "--text", "football final decided by a penalty shootout", "--k", "2", "--json", ...shared]);
    expect(JSON.parse(similar.stdout).results.map((result: { id: string }) => result.id).sort()).toEqual(["s1", "s2"]);
    const list = await kindred(["model", "list", ...shared]);
    expect(list.stdout).toMatch(/kindred-test\/tiny-bert\s+32\s+mean\s+.*index \(5 articles\)/);
  });

  it("refuses to open the index with another model, naming both and the command to switch", async () => {
    const other = await kindred(["related", "c1", "--data-dir", dataDir, "--models-dir", fixtureModelsDir, "--model", defaultModelId]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `holds vectors of model "${tinyBertModelId}", but kindred is configured for "${defaultModelId}". Start with --model ${tinyBertModelId} (or KINDRED_MODEL=${tinyBertModelId}), or re-embed with \`kindred reindex --model ${defaultModelId}\``,
    );
  });

  it("opens the index with the model it holds when no model is configured", async () => {
    const unset = await kindred(["related", "c1", "--k", "1", "--json", "--data-dir", dataDir, "--models-dir", fixtureModelsDir]);
    expect(unset.code, unset.stderr).toBe(0);
    expect(JSON.parse(unset.stdout)).toMatchObject({ article: "c1", results: [{ id: "c2" }] });
  });

  it("serves it over HTTP: related by id, by text, and a write embedded by the model", async () => {
    const key = "round-trip-writer-key-0123456789";
    server = await startKindredServer(dataDir, { KINDRED_MODELS_DIR: fixtureModelsDir, KINDRED_MODEL: tinyBertModelId, KINDRED_EMBED_WORKERS: "1", KINDRED_API_KEYS: `rt:write:${key}` });
    const get = async (path: string) => (await fetch(`${server!.baseUrl}${path}`)).json() as Promise<Record<string, any>>;
    expect(await get("/readyz")).toMatchObject({ status: "ready", articles: 5, model: tinyBertModelId });
    expect(await get("/v1/articles/s1/related?k=1")).toMatchObject({ results: [{ id: "s2" }], model: tinyBertModelId });
    const put = await fetch(`${server.baseUrl}/v1/articles/w2?wait=true`, {
      method: "PUT",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "Hurricane winds and heavy rain hit the coast" }),
    });
    expect(put.status).toBe(201);
    expect(await get("/v1/articles/w1/related?k=1")).toMatchObject({ results: [{ id: "w2" }] });
    const byText = await fetch(`${server.baseUrl}/v1/related`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "the central bank and inflation", k: 2 }) });
    expect(((await byText.json()) as { results: { id: string }[] }).results.map((result) => result.id).sort()).toEqual(["c1", "c2"]);
  });
});

// A child process for the concurrent-save test: saves a small graph into a shared directory
// `rounds` times, loading the saved graph after each save, and exits 2 naming the first load
// that found no usable graph.
import { loadGraph, saveGraph } from "../../src/vectors/graph-files.ts";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import { clusteredUnitVectors } from "./synthetic-vectors.ts";

const [dataDir, roundsText, seedText] = process.argv.slice(2);
const parameters = { m: 8, efConstruction: 32, efSearch: 32 };
const graph = HnswVectorIndex.create(16, parameters, 256);
clusteredUnitVectors(200, 16, 4, Number(seedText)).forEach((vector, label) => graph.upsert(label, vector));

for (let round = 0; round < Number(roundsText); round++) {
  saveGraph(dataDir!, graph, { modelId: "test/model", seq: round });
  const loaded = loadGraph(dataDir!, parameters);
  if (loaded.status !== "loaded") {
    console.error(`round ${round}: ${loaded.status === "unusable" ? loaded.reason : "no manifest"}`);
    process.exit(2);
  }
}

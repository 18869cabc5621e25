import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadGraph } from "../../src/vectors/graph-files.ts";
import { useTempDir } from "../support/temp-dir.ts";

const saver = fileURLToPath(new URL("../support/save-graphs-repeatedly.ts", import.meta.url));

/** Runs the saver in a child process; resolves with its exit code and what it printed. */
function runSaver(dataDir: string, rounds: number, seed: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", ["--import", "tsx", saver, dataDir, String(rounds), String(seed)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("graph saves from two processes into one directory", () => {
  // kindred reindex puts the new model's graph in place while kindred serve, following the
  // switch, saves its own: neither may fail, and no load may find a manifest naming a removed file.
  it("never fails a save nor leaves a manifest naming a missing graph", async () => {
    const dataDir = useTempDir();
    const results = await Promise.all([runSaver(dataDir, 60, 1), runSaver(dataDir, 60, 2)]);
    expect(results).toEqual([
      { code: 0, stderr: "" },
      { code: 0, stderr: "" },
    ]);

    const loaded = loadGraph(dataDir, { m: 8, efConstruction: 32, efSearch: 32 });
    expect(loaded.status).toBe("loaded");
    expect(readdirSync(dataDir).filter((name) => name.endsWith(".hnsw"))).toHaveLength(1);
    expect(readdirSync(dataDir).filter((name) => name.endsWith(".tmp") || name.endsWith(".lock"))).toEqual([]);
  }, 60_000);
});

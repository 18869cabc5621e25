import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { loadConfig } from "../../src/config/config.ts";
import { openEngine } from "../../src/engine/open-engine.ts";
import { indexFiles } from "../../src/indexer/index-files.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { readDemoSlice } from "./demo-slice.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A data directory with the demo slice indexed by the real model; copy it before writing. */
    demoIndexDir: string;
    /** The demo slice as JSON Lines. */
    demoSlicePath: string;
  }
}

/**
 * Indexes a real slice of the demo corpus (two weeks around the Hegseth story) once, with the
 * real model, for every test file that needs a populated index.
 */
export default async function setup(project: TestProject) {
  const root = mkdtempSync(join(tmpdir(), "kindred-test-"));
  const slicePath = join(root, "demo-slice.jsonl");
  const items = await readDemoSlice("2025-02-24", "2025-03-09");
  writeFileSync(slicePath, `${items.map((item) => JSON.stringify(item)).join("\n")}\n`);
  const dataDir = join(root, "demo-index");
  const config = loadConfig({ flags: { dataDir }, env: {}, configFile: undefined });
  const { engine, close } = await openEngine(config, silentLogger());
  await indexFiles(engine, [slicePath]);
  await close();
  project.provide("demoIndexDir", dataDir);
  project.provide("demoSlicePath", slicePath);
  return () => rmSync(root, { recursive: true, force: true });
}

import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { graphFormatVersion, graphManifestSchema, type GraphManifest } from "./graph-manifest.ts";
import { HnswVectorIndex, type HnswParameters } from "./hnsw-vector-index.ts";

export const manifestFileName = "graph.manifest.json";

/** Why a saved graph could not be used as it is. */
export type GraphLoadResult =
  | { status: "loaded"; index: HnswVectorIndex; manifest: GraphManifest }
  | { status: "missing" }
  | { status: "unusable"; reason: string; manifest: GraphManifest | null };

/** Reads the manifest, or null when there is none. Throws on a manifest that is not ours. */
export function readGraphManifest(dataDir: string): GraphManifest | null {
  const path = join(dataDir, manifestFileName);
  if (!existsSync(path)) return null;
  const parsed = graphManifestSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  return parsed.success ? parsed.data : null;
}

/**
 * Loads the saved graph if its manifest and file are intact; the caller decides what a model
 * mismatch means and rebuilds from the store when the graph is missing or unusable.
 */
export function loadGraph(dataDir: string, parameters: HnswParameters): GraphLoadResult {
  const manifestPath = join(dataDir, manifestFileName);
  if (!existsSync(manifestPath)) return { status: "missing" };
  let manifest: GraphManifest;
  try {
    const parsed = graphManifestSchema.safeParse(JSON.parse(readFileSync(manifestPath, "utf8")));
    if (!parsed.success) return { status: "unusable", reason: `manifest does not match format ${graphFormatVersion}`, manifest: null };
    manifest = parsed.data;
  } catch (error) {
    return { status: "unusable", reason: `manifest is not JSON (${(error as Error).message})`, manifest: null };
  }
  const graphPath = join(dataDir, manifest.graph_file);
  if (!existsSync(graphPath)) return { status: "unusable", reason: `graph file ${manifest.graph_file} is missing`, manifest };
  const bytes = statSync(graphPath).size;
  if (bytes !== manifest.graph_bytes) {
    return { status: "unusable", reason: `graph file has ${bytes} bytes, manifest says ${manifest.graph_bytes}`, manifest };
  }
  if (manifest.hnsw.m !== parameters.m) {
    return { status: "unusable", reason: `graph was built with M=${manifest.hnsw.m}, configuration says ${parameters.m}`, manifest };
  }
  try {
    const index = HnswVectorIndex.load(graphPath, manifest.dimensions, parameters, manifest.deleted_labels);
    return { status: "loaded", index, manifest };
  } catch (error) {
    return { status: "unusable", reason: `graph file unreadable (${(error as Error).message})`, manifest };
  }
}

/**
 * Saves the graph atomically: the graph goes to a new file (write, fsync), then the manifest
 * naming it replaces the old manifest by rename, which is the commit point; a crash at any
 * moment leaves either the old pair or the new pair. Older graph files are removed afterwards.
 */
export function saveGraph(dataDir: string, index: HnswVectorIndex, info: { modelId: string; seq: number }): GraphManifest {
  const graphFile = `graph-${info.seq}-${Date.now().toString(36)}.hnsw`;
  const graphPath = join(dataDir, graphFile);
  index.writeTo(`${graphPath}.tmp`);
  fsyncFile(`${graphPath}.tmp`);
  renameSync(`${graphPath}.tmp`, graphPath);

  const manifest: GraphManifest = {
    format_version: graphFormatVersion,
    model_id: info.modelId,
    dimensions: index.dimensions,
    metric: "ip",
    hnsw: { m: index.parameters.m, ef_construction: index.parameters.efConstruction },
    count: index.size(),
    seq: info.seq,
    graph_file: graphFile,
    graph_bytes: statSync(graphPath).size,
    deleted_labels: index.deletedLabels(),
    saved_at: new Date().toISOString(),
  };
  const manifestPath = join(dataDir, manifestFileName);
  writeFileSync(`${manifestPath}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  fsyncFile(`${manifestPath}.tmp`);
  renameSync(`${manifestPath}.tmp`, manifestPath);
  fsyncFile(dataDir);

  for (const name of readdirSync(dataDir)) {
    if (name !== graphFile && /^graph-.*\.hnsw(\.tmp)?$/.test(name)) unlinkSync(join(dataDir, name));
  }
  return manifest;
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

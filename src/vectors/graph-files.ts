import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { withDirectoryLock } from "./directory-lock.ts";
import { type GraphManifest, graphFormatVersion, graphManifestSchema } from "./graph-manifest.ts";
import { type HnswParameters, HnswVectorIndex, type RelabeledNode } from "./hnsw-vector-index.ts";

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
 * The links per node (M) the saved graph was built with, or undefined when there is no readable
 * manifest (the loader then builds a new graph).
 */
export function savedGraphM(dataDir: string): number | undefined {
  try {
    return readGraphManifest(dataDir)?.hnsw.m;
  } catch {
    return undefined;
  }
}

/**
 * Loads the saved graph if its manifest and file are intact; the caller decides what a model
 * mismatch means and rebuilds from the store when the graph is missing or unusable.
 */
export function loadGraph(dataDir: string, parameters: HnswParameters): GraphLoadResult {
  const manifestPath = join(dataDir, manifestFileName);
  // Another process may put a new graph in place (and remove the old file) while this one reads:
  // then the manifest has changed, and the new pair is read.
  for (let attempt = 1; ; attempt++) {
    const text = readFileIfExists(manifestPath);
    if (text === null) return { status: "missing" };
    const result = loadGraphOnce(dataDir, text, parameters);
    if (result.status !== "unusable" || attempt === 3 || readFileIfExists(manifestPath) === text) return result;
  }
}

function readFileIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

function loadGraphOnce(dataDir: string, manifestText: string, parameters: HnswParameters): GraphLoadResult {
  let manifest: GraphManifest;
  try {
    const parsed = graphManifestSchema.safeParse(JSON.parse(manifestText));
    if (!parsed.success) return { status: "unusable", reason: `manifest does not match format ${graphFormatVersion}`, manifest: null };
    manifest = parsed.data;
  } catch (error) {
    return { status: "unusable", reason: `manifest is not JSON (${(error as Error).message})`, manifest: null };
  }
  const graphPath = join(dataDir, manifest.graph_file);
  // One stat, not a check then a stat: another process's save may remove the file in between.
  const bytes = statSync(graphPath, { throwIfNoEntry: false })?.size;
  if (bytes === undefined) return { status: "unusable", reason: `graph file ${manifest.graph_file} is missing`, manifest };
  if (bytes !== manifest.graph_bytes) {
    return { status: "unusable", reason: `graph file has ${bytes} bytes, manifest says ${manifest.graph_bytes}`, manifest };
  }
  if (manifest.hnsw.m !== parameters.m) {
    return { status: "unusable", reason: `graph was built with M=${manifest.hnsw.m}, configuration says ${parameters.m}`, manifest };
  }
  try {
    const index = HnswVectorIndex.load(graphPath, manifest.dimensions, parameters, manifest.deleted_labels, manifest.relabeled_nodes);
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
  const temporaryPath = join(dataDir, `${uniqueGraphName(info.seq)}.hnsw.tmp`);
  index.writeTo(temporaryPath);
  return commitGraphFile(dataDir, temporaryPath, describeGraphFile(index, info));
}

/** What the manifest will say of `index` as it is now. */
function describeGraphFile(index: HnswVectorIndex, info: { modelId: string; seq: number }): GraphFileInfo {
  return {
    modelId: info.modelId,
    seq: info.seq,
    dimensions: index.dimensions,
    parameters: index.parameters,
    count: index.size(),
    deletedNodes: index.deletedNodes(),
    relabeledNodes: index.relabeledNodes(),
  };
}

/**
 * `saveGraph` with the costly part off the event loop: hnswlib writes the file on a libuv
 * thread and the fsync of it runs there too, so reads go on meanwhile. The graph must not change
 * until this resolves (the engine holds writes off); what the manifest says of it is taken first.
 * When `cancelled()` says so once the file is written, it is removed and nothing is committed
 * (the process closed meanwhile and saved a newer graph itself); then null.
 */
export async function saveGraphInBackground(
  dataDir: string,
  index: HnswVectorIndex,
  info: { modelId: string; seq: number },
  cancelled: () => boolean,
): Promise<GraphManifest | null> {
  const temporaryPath = join(dataDir, `${uniqueGraphName(info.seq)}.hnsw.tmp`);
  const fileInfo = describeGraphFile(index, info);
  await index.writeToInBackground(temporaryPath);
  const file = await open(temporaryPath, "r");
  try {
    await file.sync();
  } finally {
    await file.close();
  }
  if (cancelled()) {
    rmSync(temporaryPath, { force: true });
    return null;
  }
  // Synchronous from here on: nothing else runs between the check and the commit. The commit's
  // own fsync of the file finds nothing left to write.
  return commitGraphFile(dataDir, temporaryPath, fileInfo);
}

/** What the manifest says about a graph file being committed. */
export interface GraphFileInfo {
  modelId: string;
  /** The store change sequence number the file includes. */
  seq: number;
  dimensions: number;
  parameters: Pick<HnswParameters, "m" | "efConstruction">;
  count: number;
  /** Tombstoned node ids. */
  deletedNodes: number[];
  /** Live nodes whose id is not their label (none in a freshly built graph). */
  relabeledNodes: RelabeledNode[];
}

/**
 * Makes a graph file written elsewhere (by `saveGraph`, or by the compaction worker) the saved
 * graph: fsync, rename into place, then the manifest by rename (the commit point).
 */
export function commitGraphFile(dataDir: string, temporaryPath: string, info: GraphFileInfo): GraphManifest {
  fsyncFile(temporaryPath);
  // Under the lock: another process putting its own graph in place (kindred reindex beside
  // kindred serve) must not remove this graph file between its rename and the manifest naming it.
  return withDirectoryLock(dataDir, saveLockFileName, () => {
    const graphFile = `${uniqueGraphName(info.seq)}.hnsw`;
    const graphPath = join(dataDir, graphFile);
    renameSync(temporaryPath, graphPath);

    const manifest: GraphManifest = {
      format_version: graphFormatVersion,
      model_id: info.modelId,
      dimensions: info.dimensions,
      metric: "ip",
      hnsw: { m: info.parameters.m, ef_construction: info.parameters.efConstruction },
      count: info.count,
      seq: info.seq,
      graph_file: graphFile,
      graph_bytes: statSync(graphPath).size,
      deleted_labels: info.deletedNodes,
      relabeled_nodes: info.relabeledNodes,
      saved_at: new Date().toISOString(),
    };
    const manifestPath = join(dataDir, manifestFileName);
    const manifestTemporaryPath = `${manifestPath}.${process.pid}.tmp`;
    writeFileSync(manifestTemporaryPath, `${JSON.stringify(manifest, null, 2)}\n`);
    fsyncFile(manifestTemporaryPath);
    renameSync(manifestTemporaryPath, manifestPath);
    fsyncFile(dataDir);

    const staleBefore = Date.now() - staleGraphFileMs;
    for (const name of readdirSync(dataDir)) {
      const path = join(dataDir, name);
      if (name !== graphFile && /^graph-.*\.hnsw$/.test(name)) rmSync(path, { force: true });
      // Being written by another process saving into the same directory, or left behind by a
      // save or compaction that crashed: removed only once stale.
      else if (
        (name.startsWith(compactionFilePrefix) || /^graph\..*\.tmp$|^graph-.*\.hnsw\.tmp$/.test(name)) &&
        (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < staleBefore
      ) {
        rmSync(path, { force: true });
      }
    }
    return manifest;
  });
}

/**
 * Removes graph files that a save or compaction killed mid-way left behind (`graph-*.hnsw.tmp`,
 * `compacting-*.hnsw.tmp`, a manifest's `.tmp`, a document index's `documents.index.*.tmp`): each name carries the pid of the process that
 * wrote it, and a file is removed only when that process is gone, so another live process's
 * save in progress is left alone. Runs under `graph.lock`, like every other change to the
 * directory's graph files. Returns the names removed.
 */
export function removeAbandonedGraphFiles(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return withDirectoryLock(dataDir, saveLockFileName, () => {
    const removed: string[] = [];
    for (const name of readdirSync(dataDir)) {
      const pid = abandonedFilePid(name);
      if (pid === null || isProcessAlive(pid)) continue;
      rmSync(join(dataDir, name), { force: true });
      removed.push(name);
    }
    return removed;
  });
}

/** The writer's pid in a temporary graph file's name, or null for any other file. */
function abandonedFilePid(name: string): number | null {
  const match =
    /^graph-\d+-(\d+)-[0-9a-z]+\.hnsw\.tmp$/.exec(name) ??
    new RegExp(`^${compactionFilePrefix}(\\d+)-[0-9a-z]+\\.hnsw\\.tmp$`).exec(name) ??
    /^graph\.manifest\.json\.(\d+)\.tmp$/.exec(name) ??
    // The document index saved beside the graph (engine/document-index-file.ts).
    /^documents\.index\.(\d+)\.[0-9a-z]+\.tmp$/.exec(name);
  return match === null ? null : Number(match[1]);
}

/**
 * Whether a process with this pid runs. This process counts as running (another engine in it
 * may be compacting); a file of an earlier process given the same pid is left to the stale-file
 * sweep in `commitGraphFile`.
 */
function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Held while a graph file and its manifest are put in place. */
const saveLockFileName = "graph.lock";

/** Graph file names unique across processes saving into one directory. */
function uniqueGraphName(seq: number): string {
  return `graph-${seq}-${process.pid}-${Date.now().toString(36)}`;
}

/**
 * Where `kindred reindex` builds the next model's graph, beside the live one (a directory of
 * its own, so saves of the live graph leave it alone), until the switch puts it in place.
 */
export function nextGraphDir(dataDir: string): string {
  return join(dataDir, "next-graph");
}

/**
 * Removes the next model's graph once it is superseded: when it is of `modelId` (the model now
 * in place), or unconditionally without one (a reindex starting afresh).
 */
export function removeNextGraph(dataDir: string, modelId?: string): void {
  const directory = nextGraphDir(dataDir);
  if (!existsSync(directory)) return;
  if (modelId !== undefined) {
    const manifest = (() => {
      try {
        return readGraphManifest(directory);
      } catch {
        return null;
      }
    })();
    // No manifest yet: a reindex may be saving it right now.
    if (manifest === null || manifest.model_id !== modelId) return;
  }
  rmSync(directory, { recursive: true, force: true });
}

/** Graph files being built by a compaction are named so that saves leave them alone. */
export const compactionFilePrefix = "compacting-";
/** How old an unfinished graph file must be before a save removes it. */
const staleGraphFileMs = 10 * 60_000;

/** A fresh path for a compaction's graph file in `dataDir`. */
export function compactionFilePath(dataDir: string): string {
  return join(dataDir, `${compactionFilePrefix}${process.pid}-${Date.now().toString(36)}.hnsw.tmp`);
}

/** Syncs a file, or a directory (so a rename in it survives a crash), to disk. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

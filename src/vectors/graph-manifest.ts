import { z } from "zod";

/** Bumped whenever the graph files or the manifest change shape. */
export const graphFormatVersion = 1;

/**
 * The manifest saved beside every HNSW graph file (hnswlib's own format has no header, so
 * this is what says which model, dimensions and parameters the graph was built with, and up
 * to which change of the store it is current).
 */
export const graphManifestSchema = z.object({
  format_version: z.literal(graphFormatVersion),
  model_id: z.string().min(1),
  dimensions: z.number().int().positive(),
  metric: z.literal("ip"),
  hnsw: z.object({ m: z.number().int().positive(), ef_construction: z.number().int().positive() }),
  count: z.number().int().nonnegative(),
  /** The store's change sequence number the graph includes. */
  seq: z.number().int().nonnegative(),
  graph_file: z.string().regex(/^[\w.-]+\.hnsw$/),
  graph_bytes: z.number().int().nonnegative(),
  /** Tombstoned node ids (a node's id is its label unless `relabeled_nodes` says otherwise). */
  deleted_labels: z.array(z.number().int().nonnegative()),
  /**
   * Live nodes whose id is not their label, as [node, label]: a changed vector is inserted as a
   * new node (hnsw-vector-index.ts). Absent in manifests written before there were any.
   */
  relabeled_nodes: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])).default([]),
  saved_at: z.string(),
});

export type GraphManifest = z.infer<typeof graphManifestSchema>;

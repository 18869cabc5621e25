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
  deleted_labels: z.array(z.number().int().nonnegative()),
  saved_at: z.string(),
});

export type GraphManifest = z.infer<typeof graphManifestSchema>;

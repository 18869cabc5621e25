/**
 * Every default that more than one layer needs, defined once: the configuration schema
 * (config.ts) defaults to these, and the engine and the HTTP app fall back to the same values
 * when a caller (a test, a bench) leaves an option out. Why each value is what it is:
 * docs/tuning.md and docs/operations.md.
 */
export const defaults = Object.freeze({
  /** Related lists kept in memory (0: no cache)... */
  relatedCacheEntries: 10_000,
  /** ...and at most this many bytes of them (an estimate per list). */
  relatedCacheBytes: 64 * 1024 * 1024,
  /** Characters of article text per store transaction within one write. */
  writeChunkChars: 4 * 1024 * 1024,
  /** Body limit of the write endpoints: a batch of 1,000 articles. */
  maxWriteRequestBytes: 32 * 1024 * 1024,
  /**
   * Links per node of a new graph (a saved graph keeps the M it was built with). At 16, small
   * tight stories lose every link into them as neighbour lists are pruned, from some hundreds of
   * thousands of articles; 24 keeps them reachable (docs/performance.md, docs/tuning.md).
   */
  hnswM: 24,
  /** Rebuild the graph once tombstones are this share of its slots... */
  compactDeletedFraction: 0.1,
  /** ...and at least this many. */
  compactMinDeleted: 1_000,
  /** Articles the graph's recall self-check samples... */
  recallCheckQueries: 200,
  /** ...recall@k at this k... */
  recallCheckK: 10,
  /** ...below which the graph is rebuilt in the background. */
  recallFloor: 0.95,
  /** POST /v1/events requests one client may send per minute. */
  eventsPerMinutePerClient: 120,
  /** The widget's and fragment's site defaults (docs/news-page.md). */
  widgetK: 5,
  widgetMinResults: 3,
  widgetMinCosine: 0.6,
  widgetHeading: "Related",
});

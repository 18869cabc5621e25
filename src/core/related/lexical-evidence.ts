import type { CatalogEntry } from "./catalog-entry.ts";
import type { FusionContext } from "./fuse-candidates.ts";

/**
 * Same-event evidence for a pair the dates cannot speak for (either article undated): `weight`
 * times how far the whole-document cosine has risen from `from` toward `full`, capped at 1. It
 * stands where date proximity stands for a dated pair (up to 1 for the same day): an article and
 * another report of its event share the names, places and numbers of one incident, a cosine that
 * articles on another event of the same kind (another shooting, another earthquake) seldom
 * reach, while standardised scores only rank the pool. Measured: docs/evaluation.md.
 *
 * @example
 *   lexicalEvidencePart(context, entry, 0.25) // weight 2 from 0.1 to 0.4, undated: 2 * 0.5 = 1
 */
export function lexicalEvidencePart(context: FusionContext, entry: CatalogEntry, cosine: number): number {
  const evidence = context.lexicalEvidence;
  if (evidence == null || !context.standardize) return 0;
  if (context.query.publishedMs !== null && entry.publishedMs !== null) return 0;
  return evidence.weight * Math.min(1, Math.max(0, (cosine - evidence.from) / (evidence.full - evidence.from)));
}

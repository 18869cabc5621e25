import type { CatalogEntry } from "./catalog-entry.ts";
import { dateProximity } from "./date-proximity.ts";
import type { FusionContext } from "./fuse-candidates.ts";

/**
 * Same-event evidence from the whole-document cosine's own level: `weight` times how far the
 * cosine has risen from `from` toward `full`, capped at 1. An article and another report of its
 * event share the names, places and numbers of one incident, a cosine that articles on another
 * event of the same kind (another shooting, another earthquake) seldom reach, while standardised
 * scores only rank the pool. Where both articles are dated, it is discounted by how far apart
 * they were published (exp(-days apart / `days`), as date proximity): one event is reported within
 * days, and another incident in the same town years later shares its words too. It counts only
 * for a pair sharing at least `minSharedTerms` scoring content terms (function words left out:
 * engine/document-index.ts, `sharedTermCounter`): on a few words one shared term (a five-word
 * draft sharing only "the") makes a high cosine by chance, and a count of what is shared says so
 * whatever the query's length. Measured: docs/evaluation.md.
 *
 * @example
 *   lexicalEvidencePart(context, entry, 0.25, 12) // weight 2 from 0.1 to 0.4, undated: 2 * 0.5 = 1
 */
export function lexicalEvidencePart(context: FusionContext, entry: CatalogEntry, cosine: number, sharedTerms: number): number {
  if (!evidenceCanCount(context, cosine)) return 0;
  const evidence = context.lexicalEvidence!;
  if (sharedTerms < evidence.minSharedTerms) return 0;
  const queryMs = context.query.publishedMs;
  const apart = queryMs === null || entry.publishedMs === null ? 1 : dateProximity(queryMs, entry.publishedMs, evidence.days);
  return evidence.weight * apart * Math.min(1, Math.max(0, (cosine - evidence.from) / (evidence.full - evidence.from)));
}

/**
 * Whether `lexicalEvidencePart` can be anything but 0 for a cosine: the part is off, or the
 * cosine has not risen above `from`, whatever the shared terms. Counting a candidate's shared
 * terms walks its whole vector, so the ranking counts them only where this holds.
 */
export function evidenceCanCount(context: FusionContext, cosine: number): boolean {
  const evidence = context.lexicalEvidence;
  return evidence != null && context.standardize && cosine > evidence.from;
}

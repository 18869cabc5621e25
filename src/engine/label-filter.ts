import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { createFilterPredicate, isNarrowing, type QueryExclusions, type RelatedFilters } from "../core/related/related-filters.ts";
import type { ArticleCatalog } from "./article-catalog.ts";

/** A query's filter over labels and over entries: one rule, two forms. */
export interface QueryFilter {
  accept: (entry: CatalogEntry) => boolean;
  /** The same rule by label (false for a label the catalog does not hold), as the searches call it. */
  acceptLabel: (label: number) => boolean;
  /**
   * Set when `acceptLabel` accepts exactly the catalog's labels not in this set (a query with no
   * narrowing filter), so a graph search may exclude these few instead of asking the predicate
   * of every node (search-candidates.ts).
   */
  rejectedLabels?: ReadonlySet<number>;
}

/**
 * The filter of a related query by label, which the vector search calls for every node it
 * considers. Without a narrowing filter (the usual query), all it rejects is a handful of
 * articles known in advance (the query, its copies by text hash, excluded ids), so it is one
 * set lookup rather than an entry lookup and the general predicate; it accepts exactly what
 * `createFilterPredicate` accepts.
 */
export function createQueryFilter(catalog: ArticleCatalog, filters: RelatedFilters, exclusions: QueryExclusions): QueryFilter {
  const accept = createFilterPredicate(filters, exclusions);
  if (isNarrowing(filters)) {
    return {
      accept,
      acceptLabel: (label) => {
        const entry = catalog.get(label);
        return entry !== undefined && accept(entry);
      },
    };
  }
  const rejected = new Set<number>(exclusions.labels);
  for (const textHash of exclusions.textHashes) for (const label of catalog.labelsWithTextHash(textHash)) rejected.add(label);
  for (const id of filters.excludeIds) {
    const label = catalog.labelOf(id);
    if (label !== undefined && catalog.get(label)?.id === id) rejected.add(label);
  }
  return { accept, acceptLabel: (label) => !rejected.has(label) && catalog.get(label) !== undefined, rejectedLabels: rejected };
}

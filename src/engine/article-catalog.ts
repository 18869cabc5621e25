import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { signatureLength } from "../core/related/shingle-signature.ts";
import { topicKeyVector } from "../core/related/topic-similarity.ts";
import type { ArticleSummary } from "../store/article-store.ts";

/** The signature of an article stored without one: matches no other text. */
const noSignature = new Uint32Array(signatureLength).fill(0xffffffff);

/**
 * In-memory metadata of every article, with the lookups query planning needs: id -> label,
 * topic -> labels (posting lists) and labels sorted by publication time. Filters run against
 * this inside the vector search, so they cost no database round trip.
 */
export class ArticleCatalog {
  readonly #byLabel = new Map<number, CatalogEntry>();
  /** The same entries indexed by label: the vector search's filter looks one up per node it visits. */
  readonly #entryAt: (CatalogEntry | undefined)[] = [];
  /**
   * Labels by text hash: the query's own copies, excluded from its list without a lookup per
   * node. A text held once (nearly all) maps to its label, not to an array of one: an array per
   * article was two heap objects each for every full collection to mark.
   */
  readonly #labelsByTextHash = new Map<string, number | number[]>();
  readonly #labelById = new Map<string, number>();
  readonly #labelsByTopic = new Map<string, Set<number>>();
  /** Dated labels sorted by time; rebuilt lazily after changes. */
  #byTime: { ms: Float64Array; labels: Int32Array } | null = null;

  size(): number {
    return this.#byLabel.size;
  }

  get(label: number): CatalogEntry | undefined {
    return this.#entryAt[label];
  }

  /** Labels of the articles with this text hash (the article itself and its exact copies). */
  labelsWithTextHash(textHash: string): readonly number[] {
    const labels = this.#labelsByTextHash.get(textHash);
    return labels === undefined ? [] : typeof labels === "number" ? [labels] : labels;
  }

  labelOf(id: string): number | undefined {
    return this.#labelById.get(id);
  }

  entries(): IterableIterator<CatalogEntry> {
    return this.#byLabel.values();
  }

  upsert(article: ArticleSummary): CatalogEntry {
    this.remove(article.label);
    const topics = Object.freeze([...article.topics]);
    const entry: CatalogEntry = Object.freeze({
      label: article.label,
      id: article.id,
      title: article.title,
      url: article.url,
      topics,
      topicKeys: topicKeyVector(topics),
      publishedAt: article.publishedAt,
      publishedMs: article.publishedMs,
      textHash: article.textHash,
      signature: article.signature ?? noSignature,
      words: article.words ?? 0,
      lang: article.lang ?? null,
      imageUrl: article.imageUrl ?? null,
      section: article.section ?? null,
      author: article.author ?? null,
    });
    this.#byLabel.set(entry.label, entry);
    this.#entryAt[entry.label] = entry;
    const sameText = this.#labelsByTextHash.get(entry.textHash);
    if (sameText === undefined) this.#labelsByTextHash.set(entry.textHash, entry.label);
    else if (typeof sameText === "number") this.#labelsByTextHash.set(entry.textHash, [sameText, entry.label]);
    else sameText.push(entry.label);
    this.#labelById.set(entry.id, entry.label);
    for (const topic of entry.topics) {
      let labels = this.#labelsByTopic.get(topic);
      if (labels === undefined) {
        labels = new Set();
        this.#labelsByTopic.set(topic, labels);
      }
      labels.add(entry.label);
    }
    if (entry.publishedMs !== null) this.#byTime = null;
    return entry;
  }

  remove(label: number): CatalogEntry | undefined {
    const entry = this.#byLabel.get(label);
    if (entry === undefined) return undefined;
    this.#byLabel.delete(label);
    this.#entryAt[label] = undefined;
    const sameText = this.#labelsByTextHash.get(entry.textHash)!;
    if (typeof sameText === "number") this.#labelsByTextHash.delete(entry.textHash);
    else {
      sameText.splice(sameText.indexOf(label), 1);
      if (sameText.length === 1) this.#labelsByTextHash.set(entry.textHash, sameText[0]!);
    }
    if (this.#labelById.get(entry.id) === label) this.#labelById.delete(entry.id);
    for (const topic of entry.topics) {
      const labels = this.#labelsByTopic.get(topic);
      labels?.delete(label);
      if (labels?.size === 0) this.#labelsByTopic.delete(topic);
    }
    if (entry.publishedMs !== null) this.#byTime = null;
    return entry;
  }

  /** Labels having any of the topics (a union of posting lists). */
  labelsWithAnyTopic(topics: readonly string[]): Set<number> {
    if (topics.length === 1) return this.#labelsByTopic.get(topics[0]!) ?? new Set();
    const union = new Set<number>();
    for (const topic of topics) for (const label of this.#labelsByTopic.get(topic) ?? []) union.add(label);
    return union;
  }

  /** Number of articles having this topic. */
  topicCount(topic: string): number {
    return this.#labelsByTopic.get(topic)?.size ?? 0;
  }

  /** Labels published within [sinceMs, untilMs] (either bound may be null), via binary search. */
  labelsPublishedBetween(sinceMs: number | null, untilMs: number | null): Int32Array {
    const { ms, labels } = this.#timeIndex();
    const start = sinceMs === null ? 0 : lowerBound(ms, sinceMs);
    const end = untilMs === null ? ms.length : lowerBound(ms, untilMs, true);
    return labels.subarray(start, Math.max(start, end));
  }

  #timeIndex(): { ms: Float64Array; labels: Int32Array } {
    if (this.#byTime !== null) return this.#byTime;
    const dated = [...this.#byLabel.values()].filter((entry) => entry.publishedMs !== null);
    dated.sort((a, b) => a.publishedMs! - b.publishedMs! || a.label - b.label);
    this.#byTime = {
      ms: Float64Array.from(dated, (entry) => entry.publishedMs!),
      labels: Int32Array.from(dated, (entry) => entry.label),
    };
    return this.#byTime;
  }
}

/** First index whose value is >= target (or > target when `after`). */
function lowerBound(values: Float64Array, target: number, after = false): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < target || (after && values[mid] === target)) low = mid + 1;
    else high = mid;
  }
  return low;
}

import { grow } from "../core/grow-typed-array.ts";
import { type DocumentWeighting, defaultDocumentWeighting, documentTermWeight, idfOf, usableTerm } from "../core/related/document-weights.ts";
import type { KeptList } from "../core/related/kept-neighbourhoods.ts";
import type { LexicalProfile } from "../core/related/lexical-profile.ts";
import { isStopStem } from "../core/related/query-terms.ts";
import { MinHeap } from "./label-min-heap.ts";
import { type PackedPairLists, PairLists } from "./pair-lists.ts";
import { TermDictionary, type TermDictionarySnapshot } from "./term-dictionary.ts";

/**
 * A sparse document vector before idf: term ids ascending, with their idf-free weights. A stored
 * article's (`termsOf`) views the index's arrays and keeps reading the same vector after later writes.
 */
export interface SparseTerms {
  terms: Int32Array;
  weights: Float32Array;
  /** Tokens in the text it came from. */
  words: number;
  /** The index's term epoch when it was made (see engine/term-dictionary.ts); absent: no terms to check. */
  epoch?: number;
}

/**
 * The whole-document lexical channel (docs/architecture.md, "The query"): one sparse weighted vector per article over all
 * its terms (core/related/document-weights.ts), an inverted index to find candidates, and exact
 * cosine over them, all in memory in typed arrays and kept in step with every write (the engine
 * replays the store's change log onto it as onto the catalog and the vector indexes), so a
 * query reads no SQL. Idf moves with every write, so weights are stored without it and it is
 * applied when scoring; each article's norm is cached with the write count it was computed at
 * and recomputed when it is older (exact scores), except while merely choosing candidates.
 * Vectors and postings live in two slabs (engine/pair-lists.ts), not in arrays of their own.
 *
 * @example
 *   const index = new DocumentIndex();
 *   index.upsert(7, profile);
 *   index.search(index.termsOf(7)!, 50, (label) => label !== 7); // [{ label: 12, score: 0.41 }, ...]
 */
export class DocumentIndex {
  readonly #weighting: DocumentWeighting;
  #dictionary = new TermDictionary();
  #documentFrequency = new Int32Array(1024);
  /** By term id: the labels of the articles holding the term, with the term's weight in each. */
  #postings = new PairLists();
  /** By label: the article's term ids ascending, with their weights (`SparseTerms`). */
  #documents = new PairLists();
  /**
   * Each article's kept related list (core/related/kept-neighbourhoods.ts), neighbour labels and
   * their scores. Kept here because it lives as the article's vector does: written with it,
   * dropped with it, saved and loaded with the index at the same change.
   */
  #kept = new PairLists();
  /** By label: 1 once a list is kept (it may be empty), 0 for an article whose list is still to be made. */
  #hasKept = new Uint8Array(1024);
  /** By label: how many articles the collection held when its kept list was made. */
  #keptAt = new Int32Array(1024);
  /** Articles re-texted or removed since `dropOutdatedMembers` was last called. */
  #outdatedMembers = new Set<number>();
  /** The model whose rankings made the kept lists (null: none kept yet). */
  keptModelId: string | null = null;
  /** By label: 1 when the article is indexed (its vector may be empty). */
  #stored = new Uint8Array(1024);
  #words = new Int32Array(1024);
  #documentCount = 0;
  #norms = new Float64Array(1024);
  #normVersions = new Float64Array(1024).fill(-1);
  #scores = new Float64Array(1024);
  #touched = new Int32Array(1024);
  /** Goes up with every write: idf (and so every norm) may have moved. */
  #version = 0;
  /**
   * The query being scored, spread over term ids: its weight (with idf twice) where
   * `#queryStamps[term]` is its stamp, so a candidate's cosine walks the candidate's terms alone.
   */
  #queryWeights = new Float64Array(1024);
  #queryStamps = new Int32Array(1024);
  /** 1 where the spread query's term is a content word (not a stop word's stem): what `sharedTermCounter` counts. */
  #queryContent = new Uint8Array(1024);
  #lastStamp = 0;
  #activeQuery: PreparedQuery | null = null;
  /** The last query weighed, while no write has moved idf: search and scorer of one query share it. */
  #lastQuery: { terms: SparseTerms; version: number; prepared: PreparedQuery } | null = null;

  constructor(weighting: DocumentWeighting = defaultDocumentWeighting) {
    this.#weighting = weighting;
  }

  /** How its weights are made (a saved copy is of one weighting: engine/document-index-file.ts). */
  get weighting(): DocumentWeighting {
    return this.#weighting;
  }

  size(): number {
    return this.#documentCount;
  }

  has(label: number): boolean {
    return this.#stored[label] === 1;
  }

  /** The labels indexed, ascending. */
  labels(): number[] {
    const labels: number[] = [];
    for (let label = 0; label < this.#stored.length; label++) if (this.#stored[label] === 1) labels.push(label);
    return labels;
  }

  /** Stems some stored article holds (forgotten once none does). */
  termCount(): number {
    return this.#dictionary.size();
  }

  /** Indexes (or re-indexes) an article from its lexical profile. */
  upsert(label: number, profile: LexicalProfile): void {
    if (this.has(label)) this.#outdatedMembers.add(label);
    // The old version's terms are forgotten only after the new one is in: a stem both hold keeps its id.
    const dropped = this.#unindex(label);
    this.#ensureLabel(label);
    // A new text needs a new kept list.
    this.#dropKeptList(label);
    const vector = this.#vectorOf(profile, true);
    this.#documents.set(label, vector.terms, vector.weights);
    this.#stored[label] = 1;
    this.#words[label] = vector.words;
    this.#documentCount++;
    vector.terms.forEach((term, index) => {
      this.#documentFrequency[term]!++;
      this.#postings.append(term, label, vector.weights[index]!);
    });
    this.#normVersions[label] = -1;
    this.#version++;
    this.#forgetUnused(dropped);
  }

  /**
   * What a saved copy holds (engine/document-index-file.ts): the term dictionary, the postings
   * and vectors pair for pair, and which labels are indexed with their word counts. Document
   * frequencies are the postings' lengths; norms are a cache, recomputed after a load.
   */
  snapshot(): DocumentIndexSnapshot {
    const labels = this.#stored.length;
    return {
      dictionary: this.#dictionary.snapshot(),
      postings: this.#postings.packed(),
      documents: this.#documents.packed(),
      stored: this.#stored.slice(),
      words: this.#words.slice(0, labels),
      kept: this.#kept.packed(),
      hasKept: this.#hasKept.slice(0, labels),
      keptAt: this.#keptAt.slice(0, labels),
      keptModelId: this.keptModelId,
    };
  }

  /** An index that answers, and goes on under writes, exactly as the one `snapshot()` was taken of. */
  static fromSnapshot(snapshot: DocumentIndexSnapshot, weighting: DocumentWeighting = defaultDocumentWeighting): DocumentIndex {
    const index = new DocumentIndex(weighting);
    const { dictionary, postings, documents, stored, words, kept, hasKept } = snapshot;
    if (hasKept.length !== stored.length) throw new Error(`${stored.length} labels but ${hasKept.length} kept-list flags`);
    if (snapshot.keptAt.length !== stored.length) throw new Error(`${stored.length} labels but ${snapshot.keptAt.length} kept-list sizes`);
    if (words.length !== stored.length) throw new Error(`${stored.length} labels but ${words.length} word counts`);
    index.#dictionary = TermDictionary.fromSnapshot(dictionary);
    index.#postings = PairLists.fromPacked(postings);
    index.#documents = PairLists.fromPacked(documents);
    index.#kept = PairLists.fromPacked(kept);
    index.#ensureLabel(stored.length - 1);
    index.#growTerms(dictionary.stems.length);
    index.#stored.set(stored);
    index.#words.set(words);
    index.#hasKept.set(hasKept);
    index.#keptAt.set(snapshot.keptAt);
    index.keptModelId = snapshot.keptModelId;
    for (const flag of stored) index.#documentCount += flag;
    // Each posting is one article holding the term: its list's length is the term's frequency.
    index.#documentFrequency.set(postings.lengths.subarray(0, Math.min(postings.lengths.length, index.#documentFrequency.length)));
    return index;
  }

  /** Gives back the room a bulk load leaves in the index's slabs (engine/pair-lists.ts): call once it is loaded. */
  trim(): void {
    this.#postings.trim();
    this.#documents.trim();
    this.#kept.trim();
  }

  remove(label: number): void {
    if (this.has(label)) this.#outdatedMembers.add(label);
    this.#forgetUnused(this.#unindex(label));
    this.#dropKeptList(label);
  }

  /** Whether an indexed article's list is kept (else it is still to be made: engine/keep-neighbourhood.ts). */
  hasKeptList(label: number): boolean {
    return this.has(label) && this.#hasKept[label] === 1;
  }

  /** An indexed article's kept list (empty when none is kept), valid until the next change to the lists. */
  keptList(label: number): KeptList {
    if (!this.has(label)) return { labels: new Int32Array(0), scores: new Float32Array(0) };
    const { ints, floats } = this.#kept.view(label);
    return { labels: ints, scores: floats };
  }

  /**
   * Takes each article re-texted or removed since the last call out of every kept list that
   * names it (the list was made from what it was; a re-texted article's new list takes it into
   * the lists of its new neighbours). Returns the articles whose lists changed, ascending.
   */
  dropOutdatedMembers(): number[] {
    const changed: number[] = [];
    if (this.#outdatedMembers.size === 0) return changed;
    // Every list is read, so a member is marked by label: a typed array reads faster than a set.
    const marked = new Uint8Array(this.#hasKept.length);
    for (const member of this.#outdatedMembers) if (member < marked.length) marked[member] = 1;
    this.#outdatedMembers.clear();
    for (let label = 0; label < this.#hasKept.length; label++) {
      if (this.#hasKept[label] === 1 && this.#kept.removeMarked(label, marked) > 0) changed.push(label);
    }
    return changed;
  }

  /** Forgets every kept list (another model's: they are made again with the new one). */
  forgetKeptLists(): void {
    for (let label = 0; label < this.#hasKept.length; label++) this.#dropKeptList(label);
  }

  /** An article's kept list goes: it is still to be made (a label never indexed has none). */
  #dropKeptList(label: number): void {
    if (this.#hasKept[label] !== 1) return;
    this.#kept.clear(label);
    this.#hasKept[label] = 0;
  }

  /** How many articles the collection held when an article's kept list was made (0: none kept). */
  keptListMadeAt(label: number): number {
    return this.hasKeptList(label) ? this.#keptAt[label]! : 0;
  }

  /**
   * Keeps an indexed article's list (engine/keep-neighbourhood.ts): made anew when the collection
   * held `madeAt` articles, or, without it, the list it had with one article taken in.
   */
  keepList(label: number, list: KeptList, madeAt?: number): void {
    if (!this.has(label)) return;
    this.#kept.set(label, list.labels, list.scores);
    this.#hasKept[label] = 1;
    if (madeAt !== undefined) this.#keptAt[label] = madeAt;
  }

  /** Takes an article out of the postings and frequencies; returns its terms (empty when it was not indexed). */
  #unindex(label: number): Int32Array {
    if (!this.has(label)) return new Int32Array(0);
    // A view: clearing leaves the slots as they are (see PairLists).
    const terms = this.#documents.view(label).ints;
    this.#documents.clear(label);
    this.#stored[label] = 0;
    this.#documentCount--;
    for (const term of terms) {
      this.#documentFrequency[term]!--;
      this.#postings.removeValue(term, label);
    }
    this.#version++;
    return terms;
  }

  /** Forgets the terms no stored article holds any more, giving back their postings' room. */
  #forgetUnused(terms: Int32Array): void {
    for (const term of terms) {
      if (this.#documentFrequency[term] !== 0) continue;
      this.#dictionary.release(term);
      this.#postings.clear(term);
    }
  }

  /** A stored article's vector (before idf), or undefined when it is not indexed. */
  termsOf(label: number): SparseTerms | undefined {
    if (!this.has(label)) return undefined;
    const { ints, floats } = this.#documents.view(label);
    // Every id a stored article holds has been current since it was stored: today's epoch says as much as that day's.
    return { terms: ints, weights: floats, words: this.#words[label]!, epoch: this.#dictionary.epoch };
  }

  /** Tokens in a stored article's title and body (0 when it is not indexed). */
  wordsOf(label: number): number {
    return this.has(label) ? this.#words[label]! : 0;
  }

  /** The vector of a text that is not stored (a draft); terms the index has never seen are left out, as they match nothing. */
  termsOfProfile(profile: LexicalProfile): SparseTerms {
    return this.#vectorOf(profile, false);
  }

  /** The stems of a vector that take part in scoring (within the document-frequency bounds). */
  usableStems(query: SparseTerms): Set<string> {
    const stems = new Set<string>();
    for (const term of query.terms) if (this.#current(query, term) && this.#usable(term)) stems.add(this.#dictionary.stemOf(term));
    return stems;
  }

  /**
   * The `want` best articles by cosine with the query that `accept` lets through, best first
   * (ties by label). Candidates come from the postings of the query's terms, strongest first,
   * until a budget of postings is read (MoreLikeThis-style truncation, so a long article in a
   * large collection stays cheap); those found are then scored exactly.
   */
  search(query: SparseTerms, want: number, accept: (label: number) => boolean): { label: number; score: number }[] {
    if (want <= 0) return [];
    const prepared = this.#prepare(query);
    const { weighted } = prepared;
    // Comparators answer -1, 0 or 1: one returning a difference of doubles allocates a heap number per call.
    const { weights } = weighted;
    const order: number[] = [];
    for (let index = 0; index < weights.length; index++) order.push(index);
    order.sort((a, b) => (weights[b]! > weights[a]! ? 1 : weights[b]! < weights[a]! ? -1 : a - b));
    // Labels touched, in the order first touched, in a buffer kept across queries (a large
    // collection touches thousands per query: no array grown and dropped each time).
    const touched = this.#touched;
    let touchedCount = 0;
    const scores = this.#scores;
    let read = 0;
    const postings = this.#postings;
    const postingLabels = postings.ints;
    const postingWeights = postings.floats;
    for (const index of order) {
      const term = weighted.terms[index]!;
      const length = postings.length(term);
      if (read > 0 && read + length > this.#weighting.postingBudget) continue;
      read += length;
      const idf = weighted.idf[index]!;
      const factor = weighted.weights[index]! * idf * idf;
      const start = postings.start(term);
      for (let i = start; i < start + length; i++) {
        const label = postingLabels[i]!;
        if (scores[label] === 0) touched[touchedCount++] = label;
        scores[label]! += factor * postingWeights[i]!;
      }
    }
    // Rank by the partial dot product over a (possibly stale) norm, keeping the best few in a
    // min-heap (no sort of every article touched), then score those exactly.
    const keep = Math.max(want * 2, want + 20);
    const heap = new MinHeap(keep);
    for (let t = 0; t < touchedCount; t++) {
      const label = touched[t]!;
      const score = scores[label]! / (this.#cachedNorm(label) || 1);
      if (heap.wouldKeep(label, score) && accept(label)) heap.offer(label, score);
      scores[label] = 0;
    }
    const shortlist = heap.items();
    const exact = shortlist.map(({ label }) => ({ label, score: this.#cosinePrepared(prepared, label) }));
    exact.sort((a, b) => (b.score > a.score ? 1 : b.score < a.score ? -1 : a.label - b.label));
    return exact.slice(0, want);
  }

  /** A scorer of exact cosines between the query and stored articles (0 for one not indexed). */
  scorer(query: SparseTerms): (label: number) => number {
    const prepared = this.#prepare(query);
    return (label) => this.#cosinePrepared(prepared, label);
  }

  /**
   * How many scoring terms (those within the document-frequency bounds) the query shares with a
   * stored article, stop words left out (0 for one not indexed): the evidence behind a cosine,
   * which on a few words one shared term makes high by chance. Function words score, but are not
   * evidence: on one-line items "of", "to" and "by" sit in under half of the articles, so two
   * items that only name one person reached the evidence gate on the name and function words.
   */
  sharedTermCounter(query: SparseTerms): (label: number) => number {
    const prepared = this.#prepare(query);
    return (label) => {
      if (!this.has(label)) return 0;
      if (this.#activeQuery !== prepared) this.#spread(prepared);
      const stamp = prepared.stamp;
      const stamps = this.#queryStamps;
      const content = this.#queryContent;
      const terms = this.#documents.ints;
      const start = this.#documents.start(label);
      const end = start + this.#documents.length(label);
      let shared = 0;
      for (let j = start; j < end; j++) {
        const term = terms[j]!;
        if (stamps[term] === stamp && content[term] === 1) shared++;
      }
      return shared;
    };
  }

  #prepare(query: SparseTerms): PreparedQuery {
    const last = this.#lastQuery;
    if (last !== null && last.terms === query && last.version === this.#version) return last.prepared;
    const prepared = { weighted: this.#weighQuery(query), stamp: 0 };
    this.#lastQuery = { terms: query, version: this.#version, prepared };
    return prepared;
  }

  /**
   * Cosine of the weighted query (unit length over usable terms) with a stored article: the
   * products of the terms they share, added in ascending term order, over the article's norm.
   * The query is read spread over term ids, so only the article's terms are walked.
   */
  #cosinePrepared(prepared: PreparedQuery, label: number): number {
    if (!this.has(label)) return 0;
    if (this.#activeQuery !== prepared) this.#spread(prepared);
    const stamp = prepared.stamp;
    const stamps = this.#queryStamps;
    const weights = this.#queryWeights;
    const terms = this.#documents.ints;
    const termWeights = this.#documents.floats;
    const start = this.#documents.start(label);
    const end = start + this.#documents.length(label);
    let dotProduct = 0;
    for (let j = start; j < end; j++) {
      const term = terms[j]!;
      if (stamps[term] === stamp) dotProduct += weights[term]! * termWeights[j]!;
    }
    const norm = this.#freshNorm(label);
    return norm === 0 ? 0 : dotProduct / norm;
  }

  /** Spreads a query over term ids under a new stamp (another query may have been spread since: a pgvector search awaits). */
  #spread(prepared: PreparedQuery): void {
    if (this.#lastStamp === 0x7fffffff) {
      this.#queryStamps.fill(0);
      this.#lastStamp = 0;
    }
    const stamp = ++this.#lastStamp;
    const { terms, weights, idf, content } = prepared.weighted;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      this.#queryStamps[term] = stamp;
      this.#queryContent[term] = content[i]!;
      this.#queryWeights[term] = weights[i]! * idf[i]! * idf[i]!;
    }
    prepared.stamp = stamp;
    this.#activeQuery = prepared;
  }

  #weighQuery(query: SparseTerms): PreparedQuery["weighted"] {
    const kept: number[] = [];
    for (let i = 0; i < query.terms.length; i++) if (this.#current(query, query.terms[i]!) && this.#usable(query.terms[i]!)) kept.push(i);
    const terms = new Int32Array(kept.length);
    const weights = new Float64Array(kept.length);
    const idf = new Float64Array(kept.length);
    const content = new Uint8Array(kept.length);
    let normSquared = 0;
    kept.forEach((i, index) => {
      const term = query.terms[i]!;
      terms[index] = term;
      content[index] = isStopStem(this.#dictionary.stemOf(term)) ? 0 : 1;
      idf[index] = idfOf(this.#documentFrequency[term]!, this.#documentCount);
      weights[index] = query.weights[i]!;
      normSquared += (weights[index]! * idf[index]!) ** 2;
    });
    const norm = Math.sqrt(normSquared) || 1;
    for (let index = 0; index < weights.length; index++) weights[index]! /= norm;
    return { terms, weights, idf, norm, content };
  }

  #cachedNorm(label: number): number {
    return this.#normVersions[label]! < 0 ? this.#freshNorm(label) : this.#norms[label]!;
  }

  #freshNorm(label: number): number {
    if (this.#normVersions[label] === this.#version) return this.#norms[label]!;
    const terms = this.#documents.ints;
    const weights = this.#documents.floats;
    const start = this.#documents.start(label);
    const end = start + this.#documents.length(label);
    let normSquared = 0;
    for (let j = start; j < end; j++) {
      const term = terms[j]!;
      if (!this.#usable(term)) continue;
      normSquared += (weights[j]! * idfOf(this.#documentFrequency[term]!, this.#documentCount)) ** 2;
    }
    this.#norms[label] = Math.sqrt(normSquared);
    this.#normVersions[label] = this.#version;
    return this.#norms[label]!;
  }

  /** Whether a vector's term id still means the stem it meant when the vector was made (ids of forgotten stems are reused). */
  #current(vector: SparseTerms, term: number): boolean {
    return vector.epoch === undefined || this.#dictionary.isCurrent(term, vector.epoch);
  }

  /** Terms in fewer than 2 articles match nothing; terms in more than half say nothing about one story. */
  #usable(term: number): boolean {
    return usableTerm(this.#documentFrequency[term]!, this.#documentCount);
  }

  #vectorOf(profile: LexicalProfile, addTerms: boolean): SparseTerms {
    const pairs: [number, number][] = [];
    const dictionary = this.#dictionary;
    for (const term of profile.terms) {
      // A term of no weight gets no id: nothing would ever hold it, so nothing would forget it.
      const weight = documentTermWeight(term, this.#weighting);
      if (weight <= 0) continue;
      const id = addTerms ? dictionary.add(term.stem) : dictionary.idOf(term.stem);
      if (id !== undefined) pairs.push([id, weight]);
    }
    this.#growTerms(dictionary.capacity());
    pairs.sort((a, b) => a[0] - b[0]);
    return {
      terms: Int32Array.from(pairs, (pair) => pair[0]),
      weights: Float32Array.from(pairs, (pair) => pair[1]),
      words: profile.tokens,
      epoch: dictionary.epoch,
    };
  }

  #growTerms(count: number): void {
    if (count > this.#documentFrequency.length) {
      const size = Math.max(count, this.#documentFrequency.length * 2);
      this.#documentFrequency = grow(this.#documentFrequency, size);
      this.#queryWeights = grow(this.#queryWeights, size);
      this.#queryStamps = grow(this.#queryStamps, size);
      this.#queryContent = grow(this.#queryContent, size);
    }
    this.#postings.ensureKeys(count);
  }

  #ensureLabel(label: number): void {
    if (label < this.#norms.length) return;
    const size = Math.max(label + 1, this.#norms.length * 2);
    this.#norms = grow(this.#norms, size);
    const versions = new Float64Array(size).fill(-1);
    versions.set(this.#normVersions);
    this.#normVersions = versions;
    this.#scores = grow(this.#scores, size);
    this.#touched = new Int32Array(size);
    this.#stored = grow(this.#stored, size);
    this.#words = grow(this.#words, size);
    this.#hasKept = grow(this.#hasKept, size);
    this.#keptAt = grow(this.#keptAt, size);
    this.#documents.ensureKeys(size);
    this.#kept.ensureKeys(size);
  }
}

/** A document index's state (`DocumentIndex.snapshot`). */
export interface DocumentIndexSnapshot {
  dictionary: TermDictionarySnapshot;
  postings: PackedPairLists;
  documents: PackedPairLists;
  /** By label: 1 when indexed. */
  stored: Uint8Array;
  words: Int32Array;
  /** Each label's kept list: neighbour labels and their scores. */
  kept: PackedPairLists;
  /** By label: 1 when its list is kept. */
  hasKept: Uint8Array;
  /** By label: the collection's size when its list was made. */
  keptAt: Int32Array;
  keptModelId: string | null;
}

/** A query weighed once (`#weighQuery`), and the stamp it was last spread under (0: never). */
interface PreparedQuery {
  weighted: { terms: Int32Array; weights: Float64Array; idf: Float64Array; norm: number; content: Uint8Array };
  stamp: number;
}

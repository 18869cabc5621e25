import type { Article } from "../core/article.ts";
import type { LexicalProfile } from "../core/related/lexical-profile.ts";
import type { TermStatistics } from "../core/related/query-terms.ts";

/** An article as stored: the article, its dense label, hashes and change sequence number. */
export interface StoredArticle extends Article {
  /** Dense integer id used by the vector index; never leaves the store/vectors layer. */
  label: number;
  /** Hash of the normalised title and body: equal hashes mean copies of the same text. */
  textHash: string;
  /** Hash of the exact model input and model id: equal means the stored vector is current. */
  embedHash: string;
  /** Sequence number of the last change to this article. */
  seq: number;
  /** MinHash signature of the body's word shingles (core/related/shingle-signature.ts), for folding copies. */
  signature: Uint32Array;
  /** Words in title and body: how complete a copy is. */
  words: number;
}

/** What the in-memory catalog keeps of an article: its metadata, without body or vector. */
export type ArticleSummary = Pick<
  StoredArticle,
  "label" | "id" | "title" | "url" | "topics" | "publishedAt" | "publishedMs" | "textHash" | "embedHash" | "seq"
> &
  Partial<Pick<StoredArticle, "signature" | "words" | "lang" | "imageUrl" | "section" | "author">>;

/** What the write path hands to the store for one article. */
export interface ArticleWrite {
  article: Article;
  textHash: string;
  embedHash: string;
  /** The vector, or null to keep the stored one (metadata-only change). */
  vector: Float32Array | null;
}

export type WriteStatus = "created" | "updated" | "unchanged";

export interface WriteOutcome {
  id: string;
  label: number;
  status: WriteStatus;
  seq: number;
  /** The embed hash the article's row holds after the write. */
  embedHash: string;
}

export interface ModelPin {
  modelId: string;
  dimensions: number;
}

/** A vector of the next model, staged by `kindred reindex` while the pinned model keeps serving. */
export interface StagedVector {
  label: number;
  /** The article's `embedHash` (under the pinned model) when it was embedded: while unchanged, the staged vector is current. */
  sourceEmbedHash: string;
  /** The article's `embedHash` under the staged model, which it takes at the switch. */
  embedHash: string;
  vector: Float32Array;
}

/** What a switch attempt did: switched, or not because articles changed since they were staged, or another process switched first. */
export type ModelSwitchResult =
  | { switched: true; seq: number }
  | { switched: false; reason: "stale"; stale: number }
  | { switched: false; reason: "pin_changed"; pin: ModelPin | null };

export interface Change {
  seq: number;
  label: number;
  kind: "upsert" | "delete";
}

/**
 * Articles acknowledged before they are embedded and stored (store/sqlite-write-journal.ts):
 * durable from `append`'s return until `remove`. Only a store that serves one writer process
 * has it (SQLite); without it, writes are answered once stored.
 */
/** One acknowledged operation waiting in the journal: a write (its article) or a delete (no article). */
export interface JournalEntry {
  ackSeq: number;
  id: string;
  /** Null: a delete of article `id`. */
  article: Article | null;
  /** When it was acknowledged (epoch milliseconds). */
  acceptedMs: number;
}

/** The accepted-writes journal (store/sqlite-write-journal.ts). */
export interface WriteJournal {
  append(articles: readonly Article[], acceptedMs: number): number[];
  appendDeletes(ids: readonly string[], acceptedMs: number): number[];
  remove(entries: readonly { id: string; throughSeq: number }[]): void;
  list(): JournalEntry[];
  count(): number;
}

/** A result a port may give at once (SQLite) or later (PostgreSQL); callers `await` it. */
export type Awaitable<T> = T | Promise<T>;

/**
 * Port 1 of 3, articles and the change log: what the write path, start-up and the change
 * follower use. Writes may be asynchronous (the PostgreSQL store commits over the network);
 * reads are synchronous, because the read path is in memory (a PostgreSQL replica answers them
 * from its local copy; docs/deployment.md, "Deployment").
 */
export interface ArticleLog {
  /** The model whose vectors the store holds, or null while empty. */
  getModelPin(): ModelPin | null;
  setModelPin(pin: ModelPin): Awaitable<void>;
  count(): number;
  findById(id: string): StoredArticle | null;
  findByLabel(label: number): StoredArticle | null;
  /**
   * The id of the article whose URL is this one once both are normalised
   * (core/urls/normalize-article-url.ts), or null. A write that gives an article a URL another
   * article has is refused with `url_conflict`: a URL belongs to one live article.
   */
  findIdByUrl(url: string): string | null;
  /** The stored `embedHash` of each of these ids that exists, to skip unchanged text. */
  findEmbedHashes(ids: readonly string[]): Map<string, string>;
  getVector(label: number): Float32Array | null;
  /**
   * Writes articles in one transaction; a write whose fields all match is "unchanged". With
   * `modelId` (the model the vectors and hashes are of), the write is refused with
   * `model_switched` unless that model is still the pinned one: a write embedded just before
   * `kindred reindex` switched models must be embedded again, never stored.
   */
  writeArticles(writes: readonly ArticleWrite[], modelId?: string): Awaitable<WriteOutcome[]>;
  /** Deletes by id; null when the id is unknown. */
  deleteArticle(id: string): Awaitable<{ label: number; seq: number } | null>;
  /** Deletes several by id in one transaction; returns those that existed. */
  deleteArticles(ids: readonly string[]): Awaitable<{ id: string; label: number; seq: number }[]>;
  /** Every stored article in label order, without vectors. */
  listArticles(): Iterable<StoredArticle>;
  /** Every stored article's summary in label order: what start-up loads, so no body is read. */
  listSummaries(): Iterable<ArticleSummary>;
  /** Every stored vector in label order. */
  listVectors(): Iterable<{ label: number; vector: Float32Array }>;
  /** The latest change per label with sequence number above `seq`. */
  listChangesSince(seq: number): Change[];
  /** The sequence number of the latest change (0 when none). */
  latestSeq(): number;
  /** Drops change-log entries up to `seq`, once a saved graph contains them. */
  pruneChangesThrough(seq: number): void;
  /** Changes after this sequence number are all still in the log. */
  oldestReplayableSeq(): number;
  /**
   * Brings a local copy up to date with a shared store of record (a PostgreSQL replica), so a
   * write is checked against what other replicas wrote; absent where the store is the truth.
   */
  catchUp?(): Promise<number>;
}

/**
 * Port 2 of 3, the lexical statistics: what BM25 ranking reads. Each article's terms
 * are indexed for BM25 and profiled when it is written, in the same transaction.
 * `getLexicalProfile` is the stored profile; `analyzeText` profiles a text that is not stored;
 * `getTermStatistics` gives the article count and these stems' document frequencies;
 * `searchLexical` ranks articles holding any of the words by BM25 (higher is better), best first.
 */
export interface LexicalStatistics {
  getLexicalProfile(label: number): LexicalProfile | null;
  analyzeText(title: string, body: string): LexicalProfile;
  getTermStatistics(stems: readonly string[]): TermStatistics;
  searchLexical(words: readonly string[], limit: number): { label: number; score: number }[];
  /** A number that changes whenever any article's text is added, replaced or removed (BM25 statistics moved). */
  lexicalVersion(): number;
}

/**
 * Port 3 of 3, model staging (`kindred reindex`): vectors of the next model are staged beside
 * the live ones; `listUnstaged` names the articles whose staged vector is missing or older than
 * their text, and staged labels whose article is gone; `listStagedVectors` gives the current
 * ones; `switchModel` re-checks everything under the write lock and, if all is staged, moves
 * the staged vectors in and pins the new model in one transaction.
 */
export interface ModelStaging {
  stageVectors(modelId: string, vectors: readonly StagedVector[]): void;
  listUnstaged(modelId: string): { unstaged: number[]; orphaned: number[] };
  listStagedVectors(modelId: string): Iterable<{ label: number; vector: Float32Array }>;
  /** Drops staged vectors: of `modelId` (only `labels` if given), or with `{ exceptModelId }` of every other model. */
  discardStagedVectors(target: string | { exceptModelId: string }, labels?: readonly number[]): number;
  switchModel(from: string, to: ModelPin): ModelSwitchResult;
}

/**
 * The store (GUIDE.md, "Ports"): the source of truth for articles, topics and vectors, as the
 * three small ports above, each with one contract suite run against every implementation
 * (test/store/contracts/). SQLite implements all three; the PostgreSQL replica store
 * (store/postgres/) implements the first two and refuses model staging.
 */
export interface ArticleStore extends ArticleLog, LexicalStatistics, ModelStaging {
  /**
   * Runs `read` against one snapshot of the store: every read inside sees the same committed
   * state, whatever other processes write meanwhile (loading the indexes reads the catalog, the
   * change log and vectors, which must agree). `read` must not write.
   */
  readSnapshot<T>(read: () => T): T;
  /** The accepted-writes journal, where the store has one. */
  readonly writeJournal?: WriteJournal;
  close(): void;
}

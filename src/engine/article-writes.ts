import type { Article } from "../core/article.ts";
import { hashArticleText } from "../core/content-hash.ts";
import type { PassagePlan } from "../core/embed-text.ts";
import { isKindredError, KindredError, modelSwitchedError } from "../core/errors.ts";
import type { PassageVectorCache } from "../embed/passage-vector-cache.ts";
import type { ArticleStore, StoredArticle, WriteOutcome } from "../store/article-store.ts";
import { type EmbedderProvider, embedPassageGroups, embedPassageGroupsCached, prepareEmbedInput } from "./embed-articles.ts";
import { type EmbedSlices, FairEmbedding } from "./fair-embedding.ts";
import { GroupCommit } from "./group-commit.ts";
import type { LiveIndexes } from "./live-indexes.ts";
import { type PreparedArticle, prepareArticle, type StoreWriter } from "./store-writer.ts";
import { announceCommit } from "./write-commits.ts";
import type { WriteQueue } from "./write-queue.ts";
import { recordWritePhase, timeWritePhase } from "./write-timings.ts";

/** Attempts of a write that keeps meeting a model switch (one switch needs one retry). */
export const modelSwitchAttempts = 3;

/**
 * Title and text characters up to which a write is prepared (hashed and cut into passages) on
 * the calling thread: for a short article that is microseconds, while the store writer's thread
 * may be busy with another write's transaction, and a prepare sent there waits behind it. The
 * body parser cleans bodies of this size on the calling thread already (http/write-body-parser.ts).
 */
export const inlinePrepareMaxChars = 64 * 1024;

/** Consecutive runs of articles whose title and text together stay within `maxChars` (an article longer than that is a run of its own). */
export function chunkByChars(articles: readonly Article[], maxChars: number): Article[][] {
  const chunks: Article[][] = [];
  let current: Article[] = [];
  let chars = 0;
  for (const article of articles) {
    const size = charsOf(article);
    if (current.length > 0 && chars + size > maxChars) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(article);
    chars += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Title and text characters: what a write's size is counted in (chunks, inline prepare, group commit). */
function charsOf(article: Article): number {
  return article.title.length + article.body.length;
}

/**
 * The write path: embeds what changed, stores it through the store writer under the write
 * queue, then brings the live indexes up to date. A write refused because `kindred reindex`
 * switched models meanwhile follows the switch and runs again: it is delayed, never lost.
 */
export class ArticleWrites {
  readonly #store: ArticleStore;
  readonly #writer: StoreWriter;
  readonly #embedder: EmbedderProvider;
  readonly #live: LiveIndexes;
  readonly #queue: WriteQueue;
  readonly #chunkChars: number;
  readonly #passagePlan: PassagePlan;
  readonly #passageVectors: PassageVectorCache | undefined;
  /** Concurrent writes share the model slice by slice, smallest first (fair-embedding.ts). */
  readonly #fairEmbedding: FairEmbedding;
  readonly #groupCommit: GroupCommit;
  /** Models asked of the embedder provider already (it starts a model's workers once). */
  readonly #modelsRequested = new Set<string>();
  #pendingArticles = 0;

  constructor(parts: {
    store: ArticleStore;
    writer: StoreWriter;
    embedder: EmbedderProvider;
    live: LiveIndexes;
    queue: WriteQueue;
    chunkChars: number;
    passagePlan: PassagePlan;
    /** Passage vectors already computed (SQLite data directories); none: every stale passage is embedded. */
    passageVectors?: PassageVectorCache;
    /** How writes share the model (fair-embedding.ts); default slices of a few texts, for a server. */
    embedSlices?: EmbedSlices;
  }) {
    this.#fairEmbedding = new FairEmbedding(parts.embedSlices);
    this.#store = parts.store;
    this.#writer = parts.writer;
    this.#embedder = parts.embedder;
    this.#live = parts.live;
    this.#queue = parts.queue;
    this.#chunkChars = parts.chunkChars;
    this.#passagePlan = parts.passagePlan;
    this.#passageVectors = parts.passageVectors;
    this.#groupCommit = new GroupCommit({ store: parts.store, writer: parts.writer, live: parts.live, queue: parts.queue, maxChars: parts.chunkChars });
  }

  /** Articles given to `write` and not yet embedded and committed (the embedding queue, for /metrics). */
  get pendingArticles(): number {
    return this.#pendingArticles;
  }

  /**
   * Embeds and stores the articles; resolves once the indexes hold them. With `stillWanted`, an
   * article it refuses when its turn to be stored comes (a later write of the same article was
   * accepted meanwhile, engine/accepted-writes.ts) is left out, and has no outcome.
   */
  write(articles: readonly Article[], options: { stillWanted?: (id: string) => boolean } = {}): Promise<WriteOutcome[]> {
    this.#pendingArticles += articles.length;
    // Bounded by size as well as count: each chunk is one store transaction and one round of
    // model work, so a batch of long articles does not hold the write lock for all of them.
    const chunks = chunkByChars(articles, this.#chunkChars);
    const writeChunk = (chunk: readonly Article[]) => this.#retryOnModelSwitch(() => this.#writeWith(this.#live.current.modelId, chunk, options.stillWanted));
    const written =
      chunks.length <= 1
        ? writeChunk(articles)
        : (async () => {
            const outcomes: WriteOutcome[] = [];
            for (const chunk of chunks) outcomes.push(...(await writeChunk(chunk)));
            return outcomes;
          })();
    return written.finally(() => (this.#pendingArticles -= articles.length));
  }

  /** See `KindredEngine.updateArticleMetadata`. */
  updateMetadata(id: string, update: (current: StoredArticle) => Article): Promise<WriteOutcome | null> {
    return this.#retryOnModelSwitch(() =>
      this.#queue.run(async () => {
        const modelId = this.#live.current.modelId;
        await this.#store.catchUp?.();
        const current = this.#store.findById(id);
        if (current === null) return null;
        const next = update(current);
        const { embedHash } = prepareEmbedInput(modelId, next, this.#passagePlan);
        if (next.id !== id || embedHash !== current.embedHash || hashArticleText(next) !== current.textHash) {
          // The stored hash may be of a model `kindred reindex` has just switched to.
          const pinned = this.#store.getModelPin()?.modelId ?? modelId;
          if (pinned !== modelId) throw modelSwitchedError(modelId, pinned);
          throw new KindredError("invalid_body", `A metadata update cannot change the text or id of "${id}"; send the whole article with PUT.`, { id });
        }
        const [outcome] = await this.#store.writeArticles([{ article: next, textHash: current.textHash, embedHash, vector: null }], modelId);
        announceCommit([outcome!.seq]);
        await this.#live.applyChanges();
        return outcome!;
      }),
    );
  }

  /**
   * Deletes articles in one transaction; returns the ids that existed. With `stillWanted`, an
   * article it refuses when the delete's turn comes (a later write of it was accepted
   * meanwhile, engine/accepted-writes.ts) is left as it is: that write replaces it.
   */
  delete(ids: readonly string[], options: { stillWanted?: (id: string) => boolean } = {}): Promise<string[]> {
    const queued = performance.now();
    return this.#queue.run(async () => {
      recordWritePhase("queue", performance.now() - queued);
      const wanted = options.stillWanted === undefined ? ids : ids.filter(options.stillWanted);
      if (wanted.length === 0) return [];
      const deleted = await timeWritePhase("commit", () => this.#writer.deleteArticles(wanted));
      announceCommit(deleted.map((item) => item.seq));
      await timeWritePhase("apply", () => this.#live.applyChanges());
      return deleted.map((item) => item.id);
    });
  }

  async #writeWith(modelId: string, articles: readonly Article[], stillWanted?: (id: string) => boolean): Promise<WriteOutcome[]> {
    this.#startModelIfNeeded(modelId, articles);
    const chars = articles.reduce((sum, article) => sum + charsOf(article), 0);
    const prepared = (await timeWritePhase("prepare", () => this.#prepare(modelId, articles, chars))).map((item, index) => ({
      article: articles[index]!,
      ...item,
    }));
    const vectors = new Map<(typeof prepared)[number], Float32Array>();
    const passages: { articleId: string; passages: { key: string; vector: Float32Array }[] }[] = [];
    const embedStale = async () => {
      const stored = this.#store.findEmbedHashes(prepared.map((item) => item.article.id));
      const stale = prepared.filter((item) => !vectors.has(item) && stored.get(item.article.id) !== item.embedHash);
      if (stale.length === 0) return;
      // One call for every passage of every stale article (the pool batches them), then one mean each.
      const embedder = this.#fairEmbedding.through(await this.#embedder(modelId));
      const groups = stale.map((item) => item.passages);
      if (this.#passageVectors === undefined) {
        const embedded = await timeWritePhase("embed", () => embedPassageGroups(embedder, groups, "passage"));
        stale.forEach((item, index) => vectors.set(item, embedded[index]!));
        return;
      }
      const cache = this.#passageVectors;
      const embedded = await timeWritePhase("embed", () => embedPassageGroupsCached(embedder, groups, cache));
      stale.forEach((item, index) => {
        vectors.set(item, embedded.vectors[index]!);
        passages.push({ articleId: item.article.id, passages: embedded.passages[index]! });
      });
    };
    await embedStale();
    // Stored with any other writes waiting for the queue beside it (group-commit.ts).
    return this.#groupCommit.commit({
      modelId,
      chars,
      collect: async () => {
        // Decided with writes held off: a later write of the article that is stored first wins either way.
        const wanted = stillWanted === undefined ? prepared : prepared.filter((item) => stillWanted(item.article.id));
        await embedStale();
        return wanted.map((item) => ({ article: item.article, textHash: item.textHash, embedHash: item.embedHash, vector: vectors.get(item) ?? null }));
      },
      // Stored: their passages are worth remembering now (a refused write never gets here).
      onStored: () => this.#passageVectors?.remember(modelId, passages),
    });
  }

  /**
   * The first write with an article the store does not hold (it needs the model) starts the
   * model's workers now, so the model loads while the write is prepared rather than after; a
   * write that changes stored articles' metadata only never loads it. A failure to load
   * surfaces where the write asks for the embedder.
   */
  #startModelIfNeeded(modelId: string, articles: readonly Article[]): void {
    if (this.#modelsRequested.has(modelId)) return;
    const ids = new Set(articles.map((article) => article.id));
    if (this.#store.findEmbedHashes([...ids]).size === ids.size) return;
    this.#modelsRequested.add(modelId);
    this.#embedder(modelId).catch(() => this.#modelsRequested.delete(modelId));
  }

  /** Prepares on the calling thread up to `inlinePrepareMaxChars` of title and text (`chars`), on the store writer's beyond. */
  #prepare(modelId: string, articles: readonly Article[], chars: number): Promise<PreparedArticle[]> {
    if (chars > inlinePrepareMaxChars) return this.#writer.prepare(modelId, articles, this.#passagePlan);
    return Promise.resolve(articles.map((article) => prepareArticle(modelId, article, this.#passagePlan)));
  }

  /** Runs a write again after following a model switch that refused it. */
  async #retryOnModelSwitch<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isKindredError(error) || error.code !== "model_switched" || attempt >= modelSwitchAttempts) throw error;
        await this.#live.sync();
      }
    }
  }
}

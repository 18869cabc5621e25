import type Database from "better-sqlite3";
import type { ModelPin, ModelSwitchResult, StagedVector } from "./article-store.ts";
import { decodeVector, encodeTypedArray } from "./typed-array-blobs.ts";

/**
 * Vectors of the next model, staged by `kindred reindex` beside the live ones. Each staged row
 * remembers the article's `embed_hash` when it was embedded (`source_embed_hash`): while the
 * article's live hash still equals it, its text is unchanged and the staged vector is current;
 * an edit made meanwhile (by the server, still on the old model) shows as a mismatch and the
 * article is embedded again. No foreign key: a deleted article leaves its staged row behind,
 * and the switch drops it.
 */
export const stagingSchemaSql = `
CREATE TABLE IF NOT EXISTS staged_vectors (
  model_id TEXT NOT NULL,
  label INTEGER NOT NULL,
  source_embed_hash TEXT NOT NULL,
  embed_hash TEXT NOT NULL,
  vector BLOB NOT NULL,
  PRIMARY KEY (model_id, label)
) WITHOUT ROWID;
`;

/**
 * The SQL of a model switch, used by SqliteArticleStore (which owns the connection and the pin).
 * `promote` is the switch: one IMMEDIATE transaction that re-checks, under the write lock, that
 * the pin is still the old model and that every article has a current staged vector, then moves
 * the staged vectors and hashes into `articles` and pins the new model.
 */
export class SqliteModelStaging {
  readonly #db: Database.Database;
  readonly #statements;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#statements = {
      upsert: db.prepare<[string, number, string, string, Buffer]>(
        `INSERT INTO staged_vectors(model_id, label, source_embed_hash, embed_hash, vector) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(model_id, label) DO UPDATE SET source_embed_hash = excluded.source_embed_hash, embed_hash = excluded.embed_hash, vector = excluded.vector`,
      ),
      // Articles with no staged vector, or one embedded from text that has changed since.
      unstaged: db.prepare<[string], { label: number }>(
        `SELECT a.label FROM articles a LEFT JOIN staged_vectors s ON s.model_id = ? AND s.label = a.label AND s.source_embed_hash = a.embed_hash
         WHERE s.label IS NULL ORDER BY a.label`,
      ),
      orphaned: db.prepare<[string], { label: number }>(
        "SELECT s.label FROM staged_vectors s WHERE s.model_id = ? AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.label = s.label) ORDER BY s.label",
      ),
      current: db.prepare<[string], { label: number; vector: Buffer }>(
        `SELECT s.label, s.vector FROM staged_vectors s JOIN articles a ON a.label = s.label AND a.embed_hash = s.source_embed_hash
         WHERE s.model_id = ? ORDER BY s.label`,
      ),
      deleteOne: db.prepare<[string, number]>("DELETE FROM staged_vectors WHERE model_id = ? AND label = ?"),
      deleteModel: db.prepare<[string]>("DELETE FROM staged_vectors WHERE model_id = ?"),
      deleteOthers: db.prepare<[string]>("DELETE FROM staged_vectors WHERE model_id <> ?"),
      promote: db.prepare<[string, string]>(
        `UPDATE articles SET
           vector = (SELECT s.vector FROM staged_vectors s WHERE s.model_id = ? AND s.label = articles.label),
           embed_hash = (SELECT s.embed_hash FROM staged_vectors s WHERE s.model_id = ? AND s.label = articles.label)`,
      ),
    };
  }

  stage(modelId: string, vectors: readonly StagedVector[]): void {
    this.#db.transaction(() => {
      for (const item of vectors) this.#statements.upsert.run(modelId, item.label, item.sourceEmbedHash, item.embedHash, encodeTypedArray(item.vector));
    })();
  }

  listUnstaged(modelId: string): { unstaged: number[]; orphaned: number[] } {
    return this.#db.transaction(() => ({
      unstaged: this.#statements.unstaged.all(modelId).map((row) => row.label),
      orphaned: this.#statements.orphaned.all(modelId).map((row) => row.label),
    }))();
  }

  *listCurrent(modelId: string): Iterable<{ label: number; vector: Float32Array }> {
    for (const row of this.#statements.current.all(modelId)) yield { label: row.label, vector: decodeVector(row.vector) };
  }

  discard(modelId: string, labels?: readonly number[]): number {
    return this.#db.transaction(() => {
      if (labels === undefined) return this.#statements.deleteModel.run(modelId).changes;
      return labels.reduce((count, label) => count + this.#statements.deleteOne.run(modelId, label).changes, 0);
    })();
  }

  discardOthers(modelId: string): number {
    return this.#statements.deleteOthers.run(modelId).changes;
  }

  /** The switch; `readPin`/`writePin` and `latestSeq` are the store's, inside this transaction. */
  promote(from: string, to: ModelPin, store: { readPin(): ModelPin | null; writePin(pin: ModelPin): void; latestSeq(): number }): ModelSwitchResult {
    return this.#db
      .transaction((): ModelSwitchResult => {
        const pin = store.readPin();
        if (pin === null || pin.modelId !== from) return { switched: false, reason: "pin_changed", pin };
        const stale = this.#statements.unstaged.all(to.modelId).length;
        if (stale > 0) return { switched: false, reason: "stale", stale };
        this.#statements.promote.run(to.modelId, to.modelId);
        this.#statements.deleteModel.run(to.modelId);
        store.writePin(to);
        return { switched: true, seq: store.latestSeq() };
      })
      .immediate();
  }
}

import hnswlib from "hnswlib-node";
import { type GraphLease, RetirementLeases } from "./graph-leases.ts";
import type { LabelFilter, Neighbor, VectorIndex } from "./vector-index.ts";

const { HierarchicalNSW } = hnswlib;

/**
 * HNSW parameters (Malkov & Yashunin 2018; hnswlib ALGO_PARAMS.md). `m` links per node sets
 * memory and recall; `efConstruction` is build-time search width; `efSearch` is query-time
 * width, raised to k when k is larger.
 */
export interface HnswParameters {
  m: number;
  efConstruction: number;
  efSearch: number;
}

const initialCapacity = 1024;

/**
 * Node ids at or above this are nodes a changed vector was inserted as (see `upsert`); below it
 * a node's id is its label. Store labels (SQLite rowids) stay far below it.
 */
export const firstRelabeledNode = 2 ** 31;
const lastNodeId = 2 ** 32 - 2;

/**
 * hnswlib's index options for kindred's graphs (also used by the compaction worker, so a
 * rebuilt graph is built exactly like one grown in place). `allowReplaceDeleted` stays on only
 * as a guard: with it hnswlib refuses to revive a tombstoned node in place; kindred never asks
 * it to reuse a slot.
 */
export function hnswInitOptions(parameters: HnswParameters, capacity: number) {
  return {
    maxElements: Math.max(capacity, 16),
    m: parameters.m,
    efConstruction: parameters.efConstruction,
    randomSeed: 100,
    allowReplaceDeleted: true,
  };
}

/** A node inserted for a label whose vector changed: [node id, label], as the manifest lists them. */
export type RelabeledNode = [node: number, label: number];

/**
 * Approximate nearest-neighbour search with hnswlib (inner product on normalised vectors).
 *
 * Every vector enters the graph through hnswlib's full insertion (search, then links chosen by
 * the heuristic, both ways), which is what keeps a graph grown by writes as good as one built
 * at once. hnswlib's two shortcuts do not: moving a node to a new vector in place
 * (`updatePoint`, also what reusing a tombstoned slot does) re-links only the node's own
 * out-neighbours, so nodes that linked to it keep a link to wherever its vector went, and after
 * many writes some unchanged articles have no useful link left pointing to them and cannot be
 * found (bench/graph-recall.ts measures it). So a changed vector is inserted as a new node
 * (an id from `firstRelabeledNode` up, mapped to the label) and the old node is tombstoned; a
 * delete is a tombstone. Tombstones still route searches, are never returned, and are dropped
 * by compaction (engine/compact-graph.ts), which rebuilds with node id = label again.
 */
export class HnswVectorIndex implements VectorIndex {
  readonly dimensions: number;
  readonly parameters: Readonly<HnswParameters>;
  readonly #graph: InstanceType<typeof HierarchicalNSW>;
  /** The live node of each label. */
  readonly #nodeOfLabel = new Map<number, number>();
  /** Labels of live nodes whose id is not their label. */
  readonly #labelOfNode = new Map<number, number>();
  /** Tombstoned nodes: never returned, still routing searches until compaction. */
  readonly #tombstones = new Set<number>();
  #nextNode = firstRelabeledNode;
  /** Background writes of the graph file running: the graph's memory must not change under them. */
  #writesInFlight = 0;
  /** Users holding the graph across an await (see `lease`); a retired graph is released when the last ends. */
  readonly #leases = new RetirementLeases(() => this.#release());
  /**
   * The query as the array hnswlib-node takes, one per index and refilled by every search: a
   * fresh `Array.from(query)` per search walks the typed array's iterator into a growing array,
   * garbage that made a computed list's young-generation collections more frequent.
   */
  readonly #queryArray: number[];

  private constructor(dimensions: number, parameters: HnswParameters, graph: InstanceType<typeof HierarchicalNSW>) {
    this.dimensions = dimensions;
    this.parameters = Object.freeze({ ...parameters });
    this.#graph = graph;
    this.#queryArray = new Array<number>(dimensions).fill(0);
  }

  /** An empty index. */
  static create(dimensions: number, parameters: HnswParameters, capacity = initialCapacity): HnswVectorIndex {
    const graph = new HierarchicalNSW("ip", dimensions);
    graph.initIndex(hnswInitOptions(parameters, capacity));
    return new HnswVectorIndex(dimensions, parameters, graph);
  }

  /**
   * Reads a graph file written by `save`; `deletedNodes` and `relabeledNodes` come from its
   * manifest (a node not relabeled is its own label).
   */
  static load(
    path: string,
    dimensions: number,
    parameters: HnswParameters,
    deletedNodes: readonly number[],
    relabeledNodes: readonly RelabeledNode[] = [],
  ): HnswVectorIndex {
    const graph = new HierarchicalNSW("ip", dimensions);
    graph.readIndexSync(path, true);
    return HnswVectorIndex.#wrapLoaded(graph, dimensions, parameters, deletedNodes, relabeledNodes);
  }

  /** `load` with the file read on a libuv thread, so the event loop answers queries meanwhile. */
  static async loadInBackground(
    path: string,
    dimensions: number,
    parameters: HnswParameters,
    deletedNodes: readonly number[],
    relabeledNodes: readonly RelabeledNode[] = [],
  ): Promise<HnswVectorIndex> {
    const graph = new HierarchicalNSW("ip", dimensions);
    await graph.readIndex(path, true);
    return HnswVectorIndex.#wrapLoaded(graph, dimensions, parameters, deletedNodes, relabeledNodes);
  }

  static #wrapLoaded(
    graph: InstanceType<typeof HierarchicalNSW>,
    dimensions: number,
    parameters: HnswParameters,
    deletedNodes: readonly number[],
    relabeledNodes: readonly RelabeledNode[],
  ): HnswVectorIndex {
    const index = new HnswVectorIndex(dimensions, parameters, graph);
    const deleted = new Set(deletedNodes);
    const relabeled = new Map(relabeledNodes);
    for (const node of graph.getIdsList()) {
      if (node >= index.#nextNode) index.#nextNode = node + 1;
      if (deleted.has(node)) {
        index.#tombstones.add(node);
        continue;
      }
      const label = relabeled.get(node) ?? node;
      index.#nodeOfLabel.set(label, node);
      if (label !== node) index.#labelOfNode.set(node, label);
    }
    return index;
  }

  get searchWidth(): number {
    return this.parameters.efSearch;
  }

  size(): number {
    this.#native();
    return this.#nodeOfLabel.size;
  }

  has(label: number): boolean {
    this.#native();
    return this.#nodeOfLabel.has(label);
  }

  /** Number of nodes in the graph, live or tombstoned. */
  slotCount(): number {
    return this.#native().getCurrentCount();
  }

  /** Number of tombstoned nodes (deleted or replaced, not yet compacted away). */
  tombstoneCount(): number {
    this.#native();
    return this.#tombstones.size;
  }

  /** Tombstoned node ids, for the manifest . */
  deletedNodes(): number[] {
    this.#native();
    return [...this.#tombstones];
  }

  /** Live nodes whose id is not their label, for the manifest. */
  relabeledNodes(): RelabeledNode[] {
    this.#native();
    return [...this.#labelOfNode];
  }

  /**
   * Adds a vector, or replaces the vector of a label: a replaced vector is inserted as a new
   * node and the old one tombstoned (see the class comment). Upserting the vector a label
   * already has changes nothing. Invariant: a label, once removed, is never added again (the
   * store's labels are AUTOINCREMENT).
   */
  upsert(label: number, vector: Float32Array): void {
    if (vector.length !== this.dimensions) {
      throw new Error(`Vector for label ${label} has ${vector.length} dimensions; the index holds ${this.dimensions}.`);
    }
    if (!Number.isInteger(label) || label < 0 || label >= firstRelabeledNode) {
      throw new Error(`Label ${label} is outside the graph's label range (0 to ${firstRelabeledNode - 1}).`);
    }
    const graph = this.#native();
    const current = this.#nodeOfLabel.get(label);
    if (current !== undefined && sameVector(graph.getPoint(current), vector)) return;
    // A label's own id is used once: for its first vector (or after a compaction).
    const node = current === undefined && !this.#tombstones.has(label) ? label : this.#allocateNode();
    if (graph.getCurrentCount() >= graph.getMaxElements()) {
      graph.resizeIndex(Math.max(initialCapacity, graph.getMaxElements() * 2));
    }
    graph.addPoint(Array.from(vector), node, false);
    if (current !== undefined) this.#tombstone(current);
    this.#nodeOfLabel.set(label, node);
    if (node !== label) this.#labelOfNode.set(node, label);
  }

  remove(label: number): void {
    this.#native();
    const node = this.#nodeOfLabel.get(label);
    if (node === undefined) return;
    this.#tombstone(node);
    this.#nodeOfLabel.delete(label);
  }

  search(query: Float32Array, k: number, filter?: LabelFilter): Neighbor[] {
    const graph = this.#native();
    if (k <= 0 || this.#nodeOfLabel.size === 0) return [];
    graph.setEf(Math.max(this.parameters.efSearch, k));
    const relabeled = this.#labelOfNode;
    const labelOf = (node: number) => (node < firstRelabeledNode ? node : relabeled.get(node)!);
    const nodeFilter = filter === undefined ? undefined : (node: number) => filter(labelOf(node));
    const queryArray = this.#queryArray;
    // A query of another length is passed as it is, for hnswlib to refuse with its own message.
    if (query.length === queryArray.length) for (let i = 0; i < query.length; i++) queryArray[i] = query[i]!;
    const found = graph.searchKnn(query.length === queryArray.length ? queryArray : Array.from(query), Math.min(k, this.#nodeOfLabel.size), nodeFilter);
    // hnswlib's inner-product "distance" is 1 - dot.
    return found.neighbors.map((node, index) => ({ label: labelOf(node), score: 1 - found.distances[index]! }));
  }

  /**
   * `search` accepting every live label but `excluded`, or null when it cannot run now (a
   * background write of the graph file is reading its memory). hnswlib decides whether a node
   * may be returned by one test, "not marked deleted and accepted by the filter", at the one
   * place the walk consults either, so marking the excluded nodes deleted for the length of the
   * search walks the graph exactly as a filter rejecting them would, without a call back into
   * JavaScript for every node it considers. The marks are removed before it returns.
   *
   * @example
   *   graph.searchExcluding(vector, 100, new Set([queryLabel])); // the neighbours but the query itself
   */
  searchExcluding(query: Float32Array, k: number, excluded: ReadonlySet<number>): Neighbor[] | null {
    const graph = this.#native();
    if (this.#writesInFlight > 0) return null;
    if (k <= 0 || this.#nodeOfLabel.size === 0) return [];
    const marked: number[] = [];
    try {
      for (const label of excluded) {
        const node = this.#nodeOfLabel.get(label);
        if (node === undefined) continue;
        graph.markDelete(node);
        marked.push(node);
      }
      return this.search(query, k);
    } finally {
      for (const node of marked) graph.unmarkDelete(node);
    }
  }

  /** Writes the graph to `path` (hnswlib's own format; callers add the manifest). */
  writeTo(path: string): void {
    this.#native().writeIndexSync(path);
  }

  /** `writeTo` on a libuv thread; the graph must not change, nor be released, until it resolves. */
  async writeToInBackground(path: string): Promise<void> {
    const graph = this.#native();
    const lease = this.lease();
    this.#writesInFlight++;
    try {
      await graph.writeIndex(path);
    } finally {
      this.#writesInFlight--;
      lease.end();
    }
  }

  /**
   * Keeps the graph's memory for a user that holds it across an await (the recall check, a
   * background save): a graph retired meanwhile is released only once every lease has ended.
   * Synchronous users (a query's search) need none: a swap happens between two of them.
   */
  lease(): GraphLease {
    this.#native();
    return this.#leases.lease();
  }

  /**
   * Says another graph has replaced this one (a compaction, the writer's graph taken, a reload):
   * its native memory (hnswlib's node storage and links, hundreds of MB for a large graph) is
   * released now, or when the last lease ends, instead of whenever V8 gets round to collecting
   * the small JavaScript object that owns it. Any use after that throws rather than reading
   * freed memory.
   */
  retire(): void {
    this.#leases.retire();
  }

  /** True once `retire` has released the native memory. */
  get released(): boolean {
    return this.#leases.released;
  }

  #release(): void {
    // hnswlib-node's initIndex deletes the index it holds before allocating the new one (a
    // single slot here), so the old storage goes back to the allocator at once.
    this.#graph.initIndex(hnswInitOptions(this.parameters, 1));
    this.#nodeOfLabel.clear();
    this.#labelOfNode.clear();
    this.#tombstones.clear();
  }

  /** The native graph, or a clear error once it was released (never a search on freed memory). */
  #native(): InstanceType<typeof HierarchicalNSW> {
    if (this.#leases.released) {
      throw new Error("This HNSW graph was released after another replaced it (a compaction or reload); read the live indexes' current graph.");
    }
    return this.#graph;
  }

  #tombstone(node: number): void {
    this.#graph.markDelete(node);
    this.#labelOfNode.delete(node);
    this.#tombstones.add(node);
  }

  #allocateNode(): number {
    if (this.#nextNode > lastNodeId) throw new Error("The graph has used every node id; compact it (it rebuilds with fresh ids).");
    return this.#nextNode++;
  }
}

function sameVector(stored: readonly number[], vector: Float32Array): boolean {
  if (stored.length !== vector.length) return false;
  for (let i = 0; i < vector.length; i++) if (stored[i] !== vector[i]) return false;
  return true;
}

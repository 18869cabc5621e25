import type { Article } from "../../src/core/article.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";

/**
 * Topic filters of known selectivity. Each article draws each of them independently of its
 * vector, so a filter's matches are scattered over the whole space: the hard case for a
 * filtered graph search (real topics correlate with the embedding, which helps HNSW).
 */
export const selectivityTopics = [
  { topic: "share-50pct", share: 0.5 },
  { topic: "share-10pct", share: 0.1 },
  { topic: "share-1pct", share: 0.01 },
  { topic: "share-0.1pct", share: 0.001 },
] as const;

export interface SyntheticCorpusOptions {
  dimensions: number;
  seed: number;
}

/**
 * Shape of the synthetic embeddings: articles are noise around a story centre, stories sit
 * around a section centre, story sizes are skewed (a few large stories, many small), and every
 * level has a decaying spectrum (variance of dimension i ~ (i+1)^-spectrumDecay), as real
 * sentence embeddings do. Isotropic noise in 512 dimensions would make every neighbour almost
 * equally far, which no text corpus looks like. Calibrated at 10k vectors on the demo corpus's
 * real USE Lite vectors: mean cosine of the 1st / 10th neighbour 0.84 / 0.79 (real 0.86 / 0.79);
 * HNSW recall@10 0.995 / 0.999 / 1 at efSearch 16 / 32 / 64 (real 0.997 at 32, 0.9985 at 64,
 * 0.9995 at 128): a little easier for the graph than the real vectors, so read synthetic
 * recall as slightly optimistic.
 */
export const syntheticShape = {
  sections: 48,
  articlesPerStory: 20,
  /** Story sizes: a story is drawn as u^storySkew over the stories, so a few are large and most small. */
  storySkew: 2,
  sectionWeight: 1.0,
  storyWeight: 0.9,
  noiseWeight: 0.65,
  spectrumDecay: 0.5,
};

/**
 * A deterministic synthetic corpus: article `label` (1-based, like the store's) always gets the
 * same vector and metadata, so tiers, the store and the recall reference agree without holding
 * a copy of anything.
 */
export class SyntheticCorpus {
  readonly dimensions: number;
  readonly #seed: number;
  readonly #scale: Float32Array;
  readonly #sectionCentres: Float32Array[];
  readonly #storyCentres = new Map<number, Float32Array>();
  readonly #storyCount: number;

  constructor(count: number, options: SyntheticCorpusOptions) {
    this.dimensions = options.dimensions;
    this.#seed = options.seed;
    const spectrum = Float32Array.from({ length: options.dimensions }, (_, index) => (index + 1) ** (-syntheticShape.spectrumDecay / 2));
    // Scaled so that noise of weight w has expected length w whatever the dimensions.
    const length = Math.hypot(...spectrum);
    this.#scale = spectrum.map((value) => value / length);
    this.#storyCount = Math.max(1, Math.round(count / syntheticShape.articlesPerStory));
    this.#sectionCentres = Array.from({ length: syntheticShape.sections }, (_, section) => this.#randomDirection(createRandom(this.#seed * 7919 + section)));
  }

  /** Writes the unit vector of `label` into `out`. */
  fillVector(label: number, out: Float32Array): Float32Array {
    const random = createRandom(this.#seed * 104_729 + label);
    const story = Math.floor(random() ** syntheticShape.storySkew * this.#storyCount);
    const storyCentre = this.#storyCentre(story);
    const scale = this.#scale;
    let norm = 0;
    // Box-Muller gives two independent normal draws per pair of uniforms: use both (half the cost
    // of generating a million vectors).
    for (let i = 0; i < this.dimensions; i += 2) {
      const radius = syntheticShape.noiseWeight * Math.sqrt(-2 * Math.log(random() + 1e-12));
      const angle = 2 * Math.PI * random();
      const first = storyCentre[i]! + radius * Math.cos(angle) * scale[i]!;
      out[i] = first;
      norm += first * first;
      if (i + 1 < this.dimensions) {
        const second = storyCentre[i + 1]! + radius * Math.sin(angle) * scale[i + 1]!;
        out[i + 1] = second;
        norm += second * second;
      }
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < this.dimensions; i++) out[i]! /= norm;
    return out;
  }

  /** The article of `label`, with the selectivity topics it drew and a body of `bodyWords` words. */
  articleAt(label: number, bodyWords = 0): Article {
    const random = createRandom(this.#seed * 15_485_863 + label);
    const story = Math.floor(createRandom(this.#seed * 104_729 + label)() ** syntheticShape.storySkew * this.#storyCount);
    const topics = [`section-${story % syntheticShape.sections}`];
    for (const { topic, share } of selectivityTopics) if (random() < share) topics.push(topic);
    const publishedMs = Date.UTC(2024, 0, 1) + Math.floor(random() * 730) * 86_400_000;
    const words = Array.from({ length: bodyWords }, () => vocabulary[Math.floor(random() * vocabulary.length)]!);
    return {
      id: syntheticArticleId(label),
      title: `Synthetic story ${story}, report ${label}`,
      body: words.join(" "),
      url: `https://news.example/${label}`,
      topics,
      publishedAt: new Date(publishedMs).toISOString().slice(0, 10),
      publishedMs,
      lang: "en",
      source: "synthetic",
    };
  }

  #storyCentre(story: number): Float32Array {
    let centre = this.#storyCentres.get(story);
    if (centre !== undefined) return centre;
    const random = createRandom(this.#seed * 1_299_709 + story);
    const section = this.#sectionCentres[story % syntheticShape.sections]!;
    const own = this.#randomDirection(random);
    centre = Float32Array.from(section, (value, i) => syntheticShape.sectionWeight * value + syntheticShape.storyWeight * own[i]!);
    this.#storyCentres.set(story, centre);
    return centre;
  }

  /** A random vector with the decaying spectrum, scaled to unit expected length. */
  #randomDirection(random: () => number): Float32Array {
    const vector = Float32Array.from(this.#scale, (scale) => gaussian(random) * scale);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  }
}

export function syntheticArticleId(label: number): string {
  return `syn-${String(label).padStart(7, "0")}`;
}

const vocabulary =
  "the government said on tuesday that talks with the union over pay and pensions would resume next week after a strike closed schools hospitals and railway lines across the country while ministers warned that inflation".split(
    " ",
  );

/** The core's seeded generator, with the seed mixed so that small seeds start far apart. */
export function createRandom(seed: number): () => number {
  return mulberry32(seed ^ 0x9e3779b9);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/**
 * How a related list is ranked, per request. `hybrid` fuses the embedding (dense) and BM25
 * (lexical) channels with the same-story signals; `dense` and `lexical` are each channel alone,
 * kept for comparison (`kindred eval --compare`) and for sites that want one.
 */
export type RankingMode = "hybrid" | "dense" | "lexical";

export interface RankingOptions {
  mode: RankingMode;
  /** Fold copies and light edits of one text into one result (default on). */
  foldDuplicates: boolean;
  /** 0 (pure relevance) to 1 (most diverse): MMR over the candidate pool. */
  diversity: number;
  /** Recency: a result loses up to one unit of score as it ages, half of it per half-life. Null: off. */
  halfLifeDays: number | null;
  /** Results with any of these topics gain `fusionConstants.boostWeight`. */
  boostTopics: readonly string[];
  /**
   * Leave out results whose embedding cosine with the query is below this (null: no floor), so a
   * site with nothing really related shows nothing rather than the nearest unrelated story. The
   * list may then be shorter than k. Only where the model reads the query's language.
   */
  minCosine: number | null;
  /** Whether shared topics count as a signal. `kindred eval` turns it off: there the topics are the labels. */
  topicSignal: boolean;
  /** Return the parts of each score (and what was folded). */
  explain: boolean;
}

export const defaultRankingOptions: RankingOptions = Object.freeze({
  mode: "hybrid",
  foldDuplicates: true,
  diversity: 0,
  halfLifeDays: null,
  boostTopics: [],
  minCosine: null,
  topicSignal: true,
  explain: false,
});

/**
 * The fused score's constants: the same for every site and collection (no per-site
 * tuning). Channel parts are z-scores over the query's candidate pool, so each unit is "one
 * standard deviation above this query's typical candidate", whatever the channel's raw scale.
 * Where the numbers come from: the measurements in docs/evaluation.md ("How relatedness is
 * measured").
 */
export const fusionConstants = Object.freeze({
  /** Dense candidates taken by the hybrid (at least 2k + 50). */
  densePool: 100,
  /**
   * Lexical candidates added to the pool (the best by whole-document cosine): few, since a
   * shared name alone (another Hegseth story) is weak evidence. Every pool member gets its
   * exact lexical score whichever channel brought it.
   */
  lexicalPool: 30,
  /**
   * Weight of the lexical part (whole-document TF-IDF cosine, engine/document-index.ts). The
   * encoder reads about the first 90 words (128 tokens) of each passage and averages passages,
   * so it blurs what tells one long story from a similar one; the lexical channel reads
   * everything. So the lexical weight rises with the share of the query the lead window does
   * not cover: `short` when it covers all of it, up to `long`. Short items keep 0.25, which
   * keeps them on topic (the demo query; agnews); long articles grouped by event (the
   * giveme5w1h, gva and held-out sets) are told apart by their specifics, which the whole-document
   * cosine sees and the encoder does not, so `long` is 1.25: 2 gained nothing more on giveme5w1h
   * and cost bbc half a point of topic precision (docs/evaluation.md, "How relatedness is measured").
   */
  lexicalWeightShort: 0.25,
  lexicalWeightLong: 1.25,
  encoderWindowWords: 90,
  /**
   * The dense weight follows how well the channels agree over the pool (fuse-candidates.ts,
   * `denseAgreement`): kept whole while the Pearson correlation of their scores is at least
   * `denseAgreementFull`, falling to nothing at `denseAgreementNone`; only for a query longer
   * than `encoderWindowWords` (a short item is read whole by the encoder, and its few words are
   * thin lexical evidence: on a tiny collection one shared "the" would overrule the encoder). Only a pool where the
   * embedding runs counter to the words loses dense weight: where the encoder cannot tell one
   * event from another of its kind (every gva report is a shooting) its order is noise, while
   * topic sets (bbc) rarely disagree that much (README, "How relatedness is measured").
   */
  denseAgreementNone: -0.5,
  denseAgreementFull: 0,
  /**
   * Same-event evidence (fuse-candidates.ts, `lexicalEvidencePart`): a candidate gains up to
   * `lexicalEvidenceWeight` as its whole-document cosine with the query rises from
   * `lexicalEvidenceFrom` to `lexicalEvidenceFull`, if the two share at least
   * `lexicalEvidenceMinSharedTerms` scoring terms, stop words left out (on a few words a high
   * cosine comes by chance, and one-line items share function words by the handful);
   * where both are dated, times their date proximity (`proximityDays`). Pool z-scores rank
   * candidates against each other, so nothing said "this one shares the query's incident"
   * rather than "this one is the most similar shooting here"; dates alone say "the same week",
   * not "the same incident", and a site may send none (held-out set A, docs/evaluation.md).
   */
  lexicalEvidenceWeight: 2,
  lexicalEvidenceFrom: 0.1,
  lexicalEvidenceFull: 0.4,
  lexicalEvidenceMinSharedTerms: 6,
  /** Same story: published close in time to the query article, exp(-|days apart| / 14). */
  proximityWeight: 1,
  proximityDays: 14,
  /** Shared topics (topic-similarity.ts; noise topics left out). Not measurable on the eval sets, whose topics are their labels. */
  topicWeight: 0.5,
  boostWeight: 1,
  recencyWeight: 1,
  /**
   * Shared neighbours (kept-neighbourhoods.ts): each article keeps its own related list, its
   * first `sharedNeighbours` at a score of at least `sharedNeighbourMinScore`, made as it is
   * written; the best `sharedNeighbourCandidates` candidates of a query gain up to
   * `sharedNeighbourWeight` as their kept list is the query's first candidates. Reports of one
   * event list each other; a report of another event of the same kind, however near the query,
   * lists its own event's (held-out set A pairs such events; docs/evaluation.md, "Seventeenth
   * session").
   */
  sharedNeighbourCandidates: 30,
  sharedNeighbours: 10,
  sharedNeighbourMinScore: 3,
  sharedNeighbourWeight: 4,
  /** Pseudo-relevance feedback: the query vector moves toward the fused top 3 (Rocchio). */
  feedbackArticles: 3,
  /** Copies shown after folding are looked for among this many ranked candidates beyond k. */
  foldWindowExtra: 50,
});

/** The lexical weight for a query of `words` words (see `fusionConstants.lexicalWeightShort`). */
export function lexicalWeightFor(words: number): number {
  const { lexicalWeightShort: short, lexicalWeightLong: long, encoderWindowWords: window } = fusionConstants;
  const uncovered = words <= window ? 0 : 1 - window / words;
  return short + (long - short) * uncovered;
}

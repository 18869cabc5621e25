import { detectLanguage } from "../articles/detect-language.ts";
import { hashArticleText } from "../core/content-hash.ts";
import { buildEmbedPassages, type PassagePlan } from "../core/embed-text.ts";
import { KindredError, modelSwitchedError } from "../core/errors.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { bodyWithoutTitle } from "../core/related/lexical-profile.ts";
import { judgeQueryText } from "../core/related/query-text.ts";
import { shingleSignature } from "../core/related/shingle-signature.ts";
import { modelReadsLanguage } from "../embed/model-languages.ts";
import type { LexicalStatistics } from "../store/article-store.ts";
import { modelSwitchAttempts } from "./article-writes.ts";
import { type EmbedderProvider, embedPassageGroups } from "./embed-articles.ts";
import type { RelatedQueryArticle } from "./find-related-articles.ts";
import type { LiveIndexes } from "./live-indexes.ts";
import type { LoadedIndexes } from "./load-indexes.ts";
import type { RelatedRequest, TextRelatedAnswer } from "./related-request.ts";

/** A stored article (its label and vector in `indexes`) as the ranking's query. */
export function storedArticleQuery(
  indexes: LoadedIndexes,
  lexicon: Pick<LexicalStatistics, "getLexicalProfile">,
  article: CatalogEntry,
  vector: Float32Array,
): RelatedQueryArticle {
  const { label } = article;
  return {
    label,
    vector,
    modelReadsIt: modelReadsLanguage(indexes.modelId, article.lang),
    profile: () => lexicon.getLexicalProfile(label) ?? { terms: [], tokens: 0 },
    words: indexes.documents.wordsOf(label),
    documentTerms: indexes.documents.termsOf(label) ?? { terms: new Int32Array(0), weights: new Float32Array(0), words: 0 },
    publishedMs: article.publishedMs,
    topics: article.topics,
    textHash: article.textHash,
    signature: article.signature,
  };
}

/** A text that is not stored, as the ranking's query, with what the answer must warn of. */
export interface TextQuery {
  query: RelatedQueryArticle;
  warnings: string[];
  language: TextRelatedAnswer["language"];
}

/**
 * Turns a free text into a query: its language (`input.lang` or detected), whether the model
 * reads it, the verdict on its words (core/related/query-text.ts, which may refuse it), and
 * its vector, embedded again if a model switch lands meanwhile.
 */
export async function textQuery(
  parts: { live: LiveIndexes; lexicon: Pick<LexicalStatistics, "analyzeText" | "getTermStatistics">; embedder: EmbedderProvider; passagePlan?: PassagePlan },
  input: { title?: string; text: string; lang?: string | null },
  request: RelatedRequest,
): Promise<TextQuery> {
  const { live, lexicon } = parts;
  if (request.relativeDates?.beforeArticle || request.relativeDates?.afterArticle) {
    throw new KindredError("invalid_parameter", 'A text has no publication date: "article" works as a date bound only for a stored article.', {
      parameter: "published_before",
    });
  }
  const draft = { title: input.title ?? "", body: input.text };
  const profile = lexicon.analyzeText(draft.title, draft.body);
  const verdict = judgeQueryText(profile, lexicon.getTermStatistics(profile.terms.map((term) => term.stem)));
  if (verdict.kind === "refuse") throw new KindredError("query_too_short", verdict.reason, { parameter: "text" });
  const given = input.lang == null ? null : input.lang.trim().toLowerCase();
  const lang = given ?? detectLanguage(`${draft.title}\n${draft.body}`);
  const language = { code: lang, source: given !== null ? ("given" as const) : lang !== null ? ("detected" as const) : null };
  const warnings: string[] = [];
  const readable = modelReadsLanguage(live.current.modelId, lang);
  if (!readable) {
    warnings.push(
      `The model ${live.current.modelId} does not read this text's language (${lang}, ${language.source}): it is ranked by shared words alone, and min_cosine is not applied.`,
    );
  }
  if (verdict.kind === "words_only") warnings.push(verdict.warning);
  const passages = buildEmbedPassages(draft, parts.passagePlan);
  let vector: Float32Array;
  for (let attempt = 1; ; attempt++) {
    const modelId = live.current.modelId;
    vector = (await embedPassageGroups(await parts.embedder(modelId), [passages], "query"))[0]!;
    // A model switch while embedding: the vector is of the old model, the indexes of the new.
    if (live.current.modelId === modelId) break;
    if (attempt >= modelSwitchAttempts) throw modelSwitchedError(modelId, live.current.modelId);
  }
  const query: RelatedQueryArticle = {
    label: null,
    vector,
    modelReadsIt: readable && verdict.kind === "full",
    profile: () => profile,
    words: profile.tokens,
    documentTerms: live.current.documents.termsOfProfile(profile),
    publishedMs: null,
    topics: [],
    textHash: hashArticleText(draft),
    signature: shingleSignature(bodyWithoutTitle(draft.title, draft.body) || draft.title),
  };
  return { query, warnings, language };
}

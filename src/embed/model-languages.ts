import { isUseLiteModel } from "./use-lite/use-lite-constants.ts";

/**
 * Whether a model can read a language (ISO 639-1; null when unknown). The bundled Universal
 * Sentence Encoder Lite was trained on English only: on German news it ranks worse than words
 * alone (`kindred eval` on 10kGNAD: P@10 0.46 dense, 0.59 BM25), so kindred ranks such queries
 * lexically. Other models are assumed to read what they are given.
 */
export function modelReadsLanguage(modelId: string, lang: string | null): boolean {
  if (lang === null || !isUseLiteModel(modelId)) return true;
  return lang.toLowerCase().split(/[-_]/)[0] === "en";
}

import { RESERVED_PIECE_COUNT, UNKNOWN_ID, type UseLiteVocabulary } from "../use-lite-tokenizer.ts";

/**
 * Describes the USE Lite tokenizer in the Hugging Face `tokenizers` JSON format, so that
 * Transformers.js' `AutoTokenizer` loads it from `models/google/use-lite/` like any other model.
 *
 * Mapping of the reference behaviour (see use-lite-tokenizer.ts):
 * - normalizer: NFKC, then `▁` before non-empty text, then every U+0020 to `▁`. Not a Metaspace
 *   pre-tokenizer: it would not prepend to text that already starts with a space, and it splits
 *   the text. Not a Prepend normalizer: it turns "" into "▁", where the reference gives no ids.
 *   The "start of a non-empty string" pattern uses lookarounds, not `^`, because Oniguruma (the
 *   Rust `tokenizers` regex engine) reads `^` as start of any line;
 * - no pre-tokenizer: the unigram lattice spans the whole text, as in the reference;
 * - Unigram model with the vocab's scores (`null` scores as 0, as the reference adds them).
 *   The six reserved pieces get a very low score so they are never chosen over real pieces,
 *   because the reference never matches them against text; their ids still exist for padding.
 * Known, measured differences remain (unknown-character scoring, exact ties); kindred's own
 * `UseLiteTokenizer` is exact and is what the embedder uses.
 *
 * @example
 *   const json = buildUseLiteTokenizerJson(vocabulary);
 *   await writeFile("models/google/use-lite/tokenizer.json", JSON.stringify(json));
 */
export function buildUseLiteTokenizerJson(vocabulary: UseLiteVocabulary): object {
  const vocab = vocabulary.map(([piece, score], id) => [piece, id < RESERVED_PIECE_COUNT ? RESERVED_PIECE_SCORE : (score ?? 0)]);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFKC" },
        { type: "Replace", pattern: { Regex: "(?<![\\s\\S])(?=[\\s\\S])" }, content: WORD_START },
        { type: "Replace", pattern: { String: " " }, content: WORD_START },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Metaspace", replacement: WORD_START, add_prefix_space: true, prepend_scheme: "always" },
    model: { type: "Unigram", unk_id: UNKNOWN_ID, vocab, byte_fallback: false },
  };
}

/** tokenizer_config.json: no BOS/EOS, 128 tokens read by the model, `</s>` as a harmless pad. */
export function buildUseLiteTokenizerConfig(maxTokens: number): object {
  return {
    tokenizer_class: "PreTrainedTokenizer",
    model_max_length: maxTokens,
    unk_token: "\uFFFD",
    pad_token: "</s>",
    add_bos_token: false,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
  };
}

/** Low enough never to win against a path of real pieces; the lowest real score is about -15. */
const RESERVED_PIECE_SCORE = -1000;
const WORD_START = "\u2581";

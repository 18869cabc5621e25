import { join } from "node:path";
import { AutoTokenizer, env } from "@xenova/transformers";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTfjsUseLiteReference, type TfjsUseLiteReference } from "../../../test/support/tfjs-use-lite-reference.ts";
import { USE_LITE_TEST_TEXTS } from "../../../test/support/use-lite-test-texts.ts";
import { ensureUseLiteOnnx, findUseLiteSourceDirectory } from "./convert/convert-use-lite-to-onnx.ts";
import { loadUseLiteTokenizer, type UseLiteTokenizer } from "./use-lite-tokenizer.ts";

let reference: TfjsUseLiteReference;
let tokenizer: UseLiteTokenizer;

beforeAll(async () => {
  [reference, tokenizer] = await Promise.all([loadTfjsUseLiteReference(), loadUseLiteTokenizer(join(findUseLiteSourceDirectory(), "vocab.json"))]);
});

describe("UseLiteTokenizer", () => {
  it("gives the same ids as the @energetic-ai tokenizer on varied texts", () => {
    for (const text of USE_LITE_TEST_TEXTS) expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(reference.tokenize(text));
  });

  it("keeps the reference quirks: leading-colon zero scores, exact ties, fused unknowns", () => {
    for (const text of [":) hi", ": x", "$3.999 per gallon", "WEEE (EEE)", "😀😀 \u0007\u0008 x", "\uFFFD <s>"]) {
      expect(tokenizer.encode(text), text).toEqual(reference.tokenize(text));
    }
    // Two unknown characters in a row become one unknown id.
    expect(tokenizer.encode("😀😀").filter((id) => id === 0)).toHaveLength(1);
  });

  it("returns exactly the first maxTokens ids of the full encoding while reading only a prefix", () => {
    const long = USE_LITE_TEST_TEXTS.filter((text) => text.length > 600);
    expect(long.length).toBeGreaterThan(1);
    for (const text of long) {
      for (const maxTokens of [1, 17, 128]) expect(tokenizer.encode(text, maxTokens)).toEqual(reference.tokenize(text).slice(0, maxTokens));
    }
  });

  it("loads the same vocabulary from the converted tokenizer.json", async () => {
    const { outputDirectory } = await ensureUseLiteOnnx();
    const fromTokenizerJson = await loadUseLiteTokenizer(join(outputDirectory, "tokenizer.json"));
    for (const text of USE_LITE_TEST_TEXTS) expect(fromTokenizerJson.encode(text)).toEqual(tokenizer.encode(text));
  });
});

describe("tokenizer.json in Transformers.js", () => {
  it("gives the reference ids except on exact score ties, which it breaks the other way", async () => {
    const { outputDirectory } = await ensureUseLiteOnnx();
    env.allowRemoteModels = false;
    env.localModelPath = join(outputDirectory, "..", "..");
    const transformersTokenizer = await AutoTokenizer.from_pretrained("google/use-lite");
    const mismatched = USE_LITE_TEST_TEXTS.filter((text) => JSON.stringify(transformersTokenizer.encode(text)) !== JSON.stringify(tokenizer.encode(text)));
    // "ooooo" scores the same as oo+ooo and ooo+oo; the reference keeps the split whose last piece
    // starts later, Transformers.js the other one. That is the only difference in this set.
    expect(mismatched).toEqual(["Ooooooooooooooooooooh nooooooooooo!!!!!!!!!!!"]);
    expect(transformersTokenizer.encode("")).toEqual([]);
  });
});

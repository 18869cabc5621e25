/**
 * Converts the bundled Universal Sentence Encoder Lite into ONNX under models/google/use-lite/.
 * Idempotent: does nothing when the output matches the installed source (by SHA-256).
 *
 *   npx tsx scripts/convert-use-lite.ts            # convert if needed
 *   npx tsx scripts/convert-use-lite.ts --force    # convert again
 *   npx tsx scripts/convert-use-lite.ts --output some/dir
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { convertUseLiteToOnnx, DEFAULT_USE_LITE_ONNX_DIRECTORY, ensureUseLiteOnnx } from "../src/embed/use-lite/convert/convert-use-lite-to-onnx.ts";

const argsSchema = z.object({
  force: z.boolean().default(false),
  output: z.string().min(1).default(DEFAULT_USE_LITE_ONNX_DIRECTORY),
  source: z.string().min(1).optional(),
});

const { values } = parseArgs({
  options: { force: { type: "boolean" }, output: { type: "string" }, source: { type: "string" } },
  strict: true,
});
const args = argsSchema.parse(values);

const startedMs = performance.now();
const options = { outputDirectory: args.output, ...(args.source ? { sourceDirectory: args.source } : {}) };
const result = args.force ? await convertUseLiteToOnnx(options) : await ensureUseLiteOnnx(options);
const elapsedMs = Math.round(performance.now() - startedMs);
console.log(
  result.converted
    ? `converted USE Lite to ONNX in ${result.outputDirectory} (${elapsedMs} ms, source sha256 ${result.sourceSha256.slice(0, 12)})`
    : `${result.outputDirectory} is up to date (source sha256 ${result.sourceSha256.slice(0, 12)}); use --force to convert again`,
);

import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { KindredError } from "../../core/errors.ts";
import { writeDirectoryAtomically } from "../write-directory-atomically.ts";
import { modelDirectory } from "./model-profiles.ts";

export interface FetchModelOptions {
  modelsDir: string;
  /** A Hugging Face id, e.g. `Xenova/all-MiniLM-L6-v2`. */
  modelId: string;
  /** The 8-bit `onnx/model_quantized.onnx` (about 4x smaller, slightly different vectors) instead of `onnx/model.onnx`. */
  quantized?: boolean;
  /** A branch, tag or commit of the repository; default `main`. */
  revision?: string;
  /** The Hub (or a mirror); default https://huggingface.co/. */
  hubUrl?: string;
  /** Give up when no data arrives for this long (a Hub that cannot be reached, or stalls). */
  stallTimeoutMs?: number;
  /** Fetch again even if the model is installed. */
  force?: boolean;
  onProgress?: (progress: { file: string; loadedBytes: number; totalBytes: number | null }) => void;
}

export interface FetchedModel {
  directory: string;
  /** False when it was installed already (and not `force`). */
  fetched: boolean;
  files: { path: string; bytes: number }[];
}

/** What kindred needs of a model repository, besides the ONNX file. */
const requiredFiles = ["config.json", "tokenizer.json", "tokenizer_config.json"];
/** Written beside the files: where they came from, when, and their SHA-256. */
export const fetchRecordFileName = "fetched.json";
const defaultHubUrl = "https://huggingface.co/";

/**
 * Downloads a model from the Hugging Face Hub into `models/<org>/<name>/` with Transformers.js'
 * own hub code (its URL layout, `HF_TOKEN` for gated models). Every file is downloaded before
 * anything is written; then they are written into a temporary directory renamed into place
 * (write-directory-atomically.ts), so an interrupted or failed fetch leaves nothing behind, and
 * never half a model. A Hub that cannot be reached fails within `stallTimeoutMs` with a
 * `model_unavailable` error of one line.
 *
 * @example
 *   await fetchModel({ modelsDir: "models", modelId: "Xenova/all-MiniLM-L6-v2" });
 */
export async function fetchModel(options: FetchModelOptions): Promise<FetchedModel> {
  const { modelsDir, modelId } = options;
  const directory = modelDirectory(modelsDir, modelId);
  const onnxFile = options.quantized ? "onnx/model_quantized.onnx" : "onnx/model.onnx";
  if (!options.force && existsSync(join(directory, "config.json")) && existsSync(join(directory, onnxFile))) {
    return { directory, fetched: false, files: [] };
  }
  const hubUrl = new URL(options.hubUrl ?? defaultHubUrl).href;
  const revision = options.revision ?? "main";
  const files: Record<string, Uint8Array> = {};
  let receivedAny = false;
  // Loaded before the stall timer starts: it measures the network, and a cold import of
  // Transformers.js on a busy machine can take longer than a short --timeout-ms by itself.
  const [{ env }, hub] = await Promise.all([import("@xenova/transformers"), import("@xenova/transformers/src/utils/hub.js")]);
  try {
    await withStallTimeout(options.stallTimeoutMs ?? 15_000, async (onData) => {
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      env.remoteHost = hubUrl;
      env.useFSCache = false;
      env.useBrowserCache = false;
      for (const file of [...requiredFiles, onnxFile]) {
        files[file] = await hub.getModelFile(modelId, file, true, {
          revision,
          progress_callback: (progress) => {
            if (progress.status !== "progress") return;
            receivedAny = true;
            onData();
            options.onProgress?.({ file, loadedBytes: progress.loaded, totalBytes: progress.total > 0 ? progress.total : null });
          },
        });
        receivedAny = true;
      }
    });
  } catch (error) {
    throw describeFetchFailure(error as Error, { modelId, hubUrl, receivedAny });
  }
  const record = {
    model: modelId,
    source: hubUrl,
    revision,
    fetched_at: new Date().toISOString(),
    files: Object.fromEntries(
      Object.entries(files).map(([path, bytes]) => [path, { bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") }]),
    ),
  };
  try {
    await writeDirectoryAtomically(directory, { ...files, [fetchRecordFileName]: `${JSON.stringify(record, null, 2)}\n` }, async () => false);
  } finally {
    removeIfEmpty(dirname(directory));
  }
  return { directory, fetched: true, files: Object.entries(files).map(([path, bytes]) => ({ path, bytes: bytes.byteLength })) };
}

/**
 * Runs `work` with every `fetch` it makes tied to an abort signal that fires when `onData` has
 * not been called for `timeoutMs`. Transformers.js takes no signal of its own, so the global
 * `fetch` is wrapped for the duration (a command-line process that does nothing else meanwhile).
 */
async function withStallTimeout(timeoutMs: number, work: (onData: () => void) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
  };
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    arm();
    return originalFetch(input, { ...init, signal: controller.signal });
  };
  arm();
  try {
    await work(arm);
  } finally {
    clearTimeout(timer);
    globalThis.fetch = originalFetch;
  }
}

/** One line that says what happened and what to do. */
function describeFetchFailure(error: Error, context: { modelId: string; hubUrl: string; receivedAny: boolean }): KindredError {
  const { modelId, hubUrl } = context;
  const notFound = /^Could not locate file: "(.*)"/.exec(error.message);
  if (notFound !== null) {
    return new KindredError(
      "model_unavailable",
      `${notFound[1]} does not exist: "${modelId}" has no Transformers.js (ONNX) files there; the Xenova/ copies of sentence-transformers models have them. Nothing was written.`,
      { model: modelId },
    );
  }
  if (/Unauthorized|Forbidden/.test(error.message)) {
    return new KindredError(
      "model_unavailable",
      `The Hub refused "${modelId}" (${error.message.split(":")[0]}): a gated or private model needs HF_TOKEN. Nothing was written.`,
      { model: modelId },
    );
  }
  const cause = (error.cause as { code?: string; message?: string } | undefined) ?? undefined;
  const reason = cause?.code ?? cause?.message ?? error.message;
  const where = context.receivedAny ? "lost the connection to" : "cannot reach";
  return new KindredError(
    "model_unavailable",
    `${where} the Hugging Face Hub at ${hubUrl} (${reason}); nothing was written. Fetch "${modelId}" where the Hub is reachable and copy its directory into models/ (docs/models.md, "Other models").`,
    { model: modelId },
  );
}

function removeIfEmpty(directory: string): void {
  try {
    if (readdirSync(directory).length === 0) rmdirSync(directory);
  } catch {
    // Gone already, or not ours to remove.
  }
}

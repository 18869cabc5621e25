import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaultModelId } from "../../config/config.ts";
import { KindredError } from "../../core/errors.ts";
import { fetchModel } from "../../embed/transformers/fetch-model.ts";
import { type InstalledModel, listInstalledModels } from "../../embed/transformers/installed-models.ts";
import { databaseFileName, SqliteArticleStore } from "../../store/sqlite-article-store.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { createProgressBar } from "../progress-bar.ts";
import { print } from "./index-command.ts";

export const modelHelp = `Usage: kindred model list [--json] [options]
       kindred model fetch ID [--quantized] [--revision REV] [--force] [options]

list    the models under the models directory (the bundled google/use-lite included), their
        dimensions, pooling and prefixes, and which one the index in --data-dir uses
fetch   downloads a Hugging Face sentence-embedding model in the Transformers.js layout
        (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx) into
        models/ORG/NAME/, e.g. Xenova/all-MiniLM-L6-v2; all files or nothing is written

Options of fetch:
  --quantized        the 8-bit onnx/model_quantized.onnx (about 4x smaller) instead of onnx/model.onnx
  --revision REV     a branch, tag or commit (default main)
  --force            fetch again even if installed
  --hub-url URL      the Hub or a mirror (default https://huggingface.co/)
  --timeout-ms N     give up when no data arrives for this long (default 15000)
${sharedOptionsHelp}

Then switch an index to it with \`kindred reindex --model ID\` (docs/models.md, "Other models").`;

/** `kindred model list|fetch` */
export async function runModelCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === "list") return listModels(rest);
  if (action === "fetch") return fetchModelCommand(rest);
  if (action === undefined || action === "--help" || action === "-h" || action === "help") return print(modelHelp);
  process.stderr.write(`kindred model: unknown action "${action}"; use list or fetch.\n\n${modelHelp}\n`);
  return 2;
}

async function listModels(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: "boolean" } });
  if (values.help) return print(modelHelp);
  const config = configFromFlags(values);
  const models = listInstalledModels(config.modelsDir);
  const index = readIndexModel(config.dataDir);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ models_dir: config.modelsDir, configured_model: config.model ?? null, index, models }, null, 2)}\n`);
    return 0;
  }
  const rows = models.map((model) => [
    `${model.id}${model.bundled ? " (bundled)" : ""}`,
    String(model.dimensions ?? "?"),
    model.profile?.pooling ?? "built in",
    model.profile === null ? "-" : `${quoted(model.profile.queryPrefix)} / ${quoted(model.profile.passagePrefix)}`,
    describeFiles(model),
    [index?.model === model.id ? `index (${index.articles} articles)` : "", modelNote(model.id, config.model, index?.model), ...model.problems]
      .filter((note) => note !== "")
      .join("; "),
  ]);
  const header = ["model", "dims", "pooling", "prefixes (query / passage)", "files", ""];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  if (index !== null && !models.some((model) => model.id === index.model)) {
    process.stdout.write(`The index in ${config.dataDir} uses ${index.model}, which is not installed under ${config.modelsDir}.\n`);
  }
  return 0;
}

/** "configured" beside an explicit `model`; unset, the default beside the model a new index would get. */
function modelNote(modelId: string, configured: string | undefined, indexModel: string | undefined): string {
  if (configured !== undefined) return modelId === configured ? "configured" : "";
  return indexModel === undefined && modelId === defaultModelId ? "default for a new index" : "";
}

async function fetchModelCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      quantized: { type: "boolean" },
      revision: { type: "string" },
      force: { type: "boolean" },
      "hub-url": { type: "string" },
      "timeout-ms": { type: "string" },
    },
    true,
  );
  if (values.help) return print(modelHelp);
  if (positionals.length !== 1) {
    process.stderr.write(`kindred model fetch: give one model id, e.g. Xenova/all-MiniLM-L6-v2.\n`);
    return 2;
  }
  const modelId = positionals[0]!;
  const timeoutMs = values["timeout-ms"] === undefined ? 15_000 : Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
    throw new KindredError("invalid_parameter", "--timeout-ms must be a whole number of milliseconds, at least 100.");
  const config = configFromFlags(values);
  const progress: { file: string; bar: ReturnType<typeof createProgressBar> | null } = { file: "", bar: null };
  try {
    const result = await fetchModel({
      modelsDir: config.modelsDir,
      modelId,
      quantized: values.quantized === true,
      force: values.force === true,
      stallTimeoutMs: timeoutMs,
      ...(values.revision === undefined ? {} : { revision: values.revision }),
      ...(values["hub-url"] === undefined ? {} : { hubUrl: values["hub-url"] }),
      onProgress: ({ file, loadedBytes, totalBytes }) => {
        // A bar for the large files (the model); configuration and tokenizer files take a moment.
        if (totalBytes !== null && totalBytes < 1024 * 1024) return;
        if (progress.bar === null || progress.file !== file) {
          progress.bar?.stop();
          progress.file = file;
          progress.bar = createProgressBar(`${file} (KiB)`, totalBytes === null ? null : Math.ceil(totalBytes / 1024));
        }
        progress.bar.update(Math.floor(loadedBytes / 1024));
      },
    });
    progress.bar?.stop();
    if (!result.fetched) {
      process.stdout.write(`${modelId} is installed in ${result.directory}; --force fetches it again.\n`);
      return 0;
    }
    const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
    process.stdout.write(
      `fetched ${modelId} into ${result.directory} (${result.files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB); ` +
        `switch an index to it with: kindred reindex --model ${modelId}\n`,
    );
    return 0;
  } finally {
    progress.bar?.stop();
  }
}

/** The model the index in `dataDir` holds vectors of, without creating an index where there is none. */
function readIndexModel(dataDir: string): { model: string; dimensions: number; articles: number } | null {
  if (!existsSync(join(dataDir, databaseFileName))) return null;
  const store = SqliteArticleStore.open(dataDir);
  try {
    const pin = store.getModelPin();
    return pin === null ? null : { model: pin.modelId, dimensions: pin.dimensions, articles: store.count() };
  } finally {
    store.close();
  }
}

function describeFiles(model: InstalledModel): string {
  if (model.onnxFiles.length === 0) return model.bundled ? "converted on first use" : "-";
  return model.onnxFiles.map((file) => `${file.path} ${formatBytes(file.bytes)}`).join(", ");
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

function quoted(prefix: string): string {
  return prefix === "" ? "-" : JSON.stringify(prefix);
}

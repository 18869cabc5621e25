import { type ParseArgsConfig, parseArgs } from "node:util";
import { type Config, type ConfigInput, loadConfig } from "../config/config.ts";
import { KindredError } from "../core/errors.ts";

type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Flags every command accepts; each maps to a configuration setting. */
export const sharedOptions = {
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  "vector-search": { type: "string" },
  model: { type: "string" },
  "models-dir": { type: "string" },
  workers: { type: "string" },
  "log-level": { type: "string" },
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

export const sharedOptionsHelp = `Shared options:
  --data-dir DIR     index directory (env KINDRED_DATA_DIR, default index/)
  --database-url URL PostgreSQL store of record shared by replicas (env KINDRED_DATABASE_URL;
                     default: none, the SQLite store in the data directory)
  --vector-search WHERE  memory|pgvector: the related search in each process's graph, or in
                     PostgreSQL with pgvector (needs --database-url; env KINDRED_VECTOR_SEARCH,
                     default memory)
  --model ID         embedding model (env KINDRED_MODEL); unset: the model the index holds,
                     google/use-lite-int8 for a new index
  --models-dir DIR   where Transformers.js models live (env KINDRED_MODELS_DIR, default models/)
  --workers N        embedding worker threads (env KINDRED_EMBED_WORKERS; default: one per core, at
                     most 4; a server uses more than one only while cores are idle)
  --log-level LEVEL  fatal|error|warn|info|debug|silent (env KINDRED_LOG_LEVEL, default info)
  --config FILE      JSON settings file (env KINDRED_CONFIG, default kindred.config.json if present)
  -h, --help         this help`;

/** Parses a command's arguments, rejecting unknown flags with a message naming them. */
export function parseCommandArgs<T extends OptionSpec>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options: { ...sharedOptions, ...options }, allowPositionals, strict: true });
  } catch (error) {
    throw new KindredError("invalid_parameter", `${(error as Error).message.replace(/\. To specify.*$/s, "")}. See --help.`);
  }
}

/**
 * Builds the one configuration from flags (over environment, file and defaults). `extra` holds
 * command-specific settings; an explicit shared flag still wins over them.
 */
export function configFromFlags(values: Record<string, unknown>, extra: Partial<Record<keyof ConfigInput, unknown>> = {}): Config {
  const shared: Partial<Record<keyof ConfigInput, unknown>> = {
    dataDir: values["data-dir"],
    databaseUrl: values["database-url"],
    vectorSearch: values["vector-search"],
    model: values.model,
    modelsDir: values["models-dir"],
    embedWorkers: values.workers,
    logLevel: values["log-level"],
  };
  const flags = { ...extra, ...Object.fromEntries(Object.entries(shared).filter(([, value]) => value !== undefined)) };
  return loadConfig({
    flags,
    ...(typeof values.config === "string" ? { configFile: values.config } : {}),
  });
}

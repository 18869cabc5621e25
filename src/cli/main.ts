import { isKindredError } from "../core/errors.ts";

/**
 * Each command's module is imported when that command runs, not at start: `kindred index` of an
 * unchanged feed then never loads the HTTP server, the ONNX runtime or the graph library, whose
 * loading was a large part of such a run (docs/performance.md, "Re-indexing").
 */
const commands: Record<string, { run: (args: string[]) => Promise<number>; summary: string }> = {
  index: {
    run: async (args) => (await import("./commands/index-command.ts")).runIndexCommand(args),
    summary: "index articles from JSON Lines, JSON or CSV files",
  },
  serve: { run: async (args) => (await import("./commands/serve-command.ts")).runServeCommand(args), summary: "serve the HTTP API" },
  related: {
    run: async (args) => (await import("./commands/related-command.ts")).runRelatedCommand(args),
    summary: "list articles related to an indexed article",
  },
  similar: {
    run: async (args) => (await import("./commands/similar-command.ts")).runSimilarCommand(args),
    summary: "list articles related to a free text",
  },
  story: {
    run: async (args) => (await import("./commands/story-command.ts")).runStoryCommand(args),
    summary: "the story thread of an indexed article: what came before, after, and copies",
  },
  eval: { run: async (args) => (await import("./commands/eval-command.ts")).runEvalCommand(args), summary: "measure relatedness on a labelled file" },
  model: {
    run: async (args) => (await import("./commands/model-command.ts")).runModelCommand(args),
    summary: "list installed embedding models, or fetch one from the Hugging Face Hub",
  },
  reindex: {
    run: async (args) => (await import("./commands/reindex-command.ts")).runReindexCommand(args),
    summary: "switch the index to another model, re-embedding beside the live index",
  },
  migrate: {
    run: async (args) => (await import("./commands/migrate-command.ts")).runMigrateCommand(args),
    summary: "apply the PostgreSQL store's schema migrations (--database-url)",
  },
  check: {
    run: async (args) => (await import("./commands/check-command.ts")).runCheckCommand(args),
    summary: "measure the graph's recall against the exact index, rebuilding it when below the floor",
  },
};

const usage = `kindred: which of your articles are really related to this one

Usage: kindred COMMAND [options]   (kindred COMMAND --help for details)

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`)
  .join("\n")}`;

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`kindred: unknown command "${name}".\n\n${usage}\n`);
    return 2;
  }
  try {
    return await command.run(args);
  } catch (error) {
    process.stderr.write(`kindred ${name}: ${isKindredError(error) ? error.message : ((error as Error).stack ?? String(error))}\n`);
    return 1;
  }
}

import { isKindredError } from "../core/errors.ts";
import { runCheckCommand } from "./commands/check-command.ts";
import { runEvalCommand } from "./commands/eval-command.ts";
import { runIndexCommand } from "./commands/index-command.ts";
import { runMigrateCommand } from "./commands/migrate-command.ts";
import { runModelCommand } from "./commands/model-command.ts";
import { runReindexCommand } from "./commands/reindex-command.ts";
import { runRelatedCommand } from "./commands/related-command.ts";
import { runServeCommand } from "./commands/serve-command.ts";
import { runSimilarCommand } from "./commands/similar-command.ts";
import { runStoryCommand } from "./commands/story-command.ts";

const commands: Record<string, { run: (args: string[]) => Promise<number>; summary: string }> = {
  index: { run: runIndexCommand, summary: "index articles from JSON Lines, JSON or CSV files" },
  serve: { run: runServeCommand, summary: "serve the HTTP API" },
  related: { run: runRelatedCommand, summary: "list articles related to an indexed article" },
  similar: { run: runSimilarCommand, summary: "list articles related to a free text" },
  story: { run: runStoryCommand, summary: "the story thread of an indexed article: what came before, after, and copies" },
  eval: { run: runEvalCommand, summary: "measure relatedness on a labelled file" },
  model: { run: runModelCommand, summary: "list installed embedding models, or fetch one from the Hugging Face Hub" },
  reindex: { run: runReindexCommand, summary: "switch the index to another model, re-embedding beside the live index" },
  migrate: { run: runMigrateCommand, summary: "apply the PostgreSQL store's schema migrations (--database-url)" },
  check: { run: runCheckCommand, summary: "measure the graph's recall against the exact index, rebuilding it when below the floor" },
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

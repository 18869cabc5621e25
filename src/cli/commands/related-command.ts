import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { openIndexForReading } from "../open-index.ts";
import { print } from "./index-command.ts";
import { printResults, queryOptions, queryOptionsHelp, toRelatedRequest } from "./query-options.ts";

export const relatedHelp = `Usage: kindred related ID [options]

Lists the articles most related to the indexed article ID (never itself, never a copy of it).

${queryOptionsHelp}
${sharedOptionsHelp}`;

/** `kindred related ID` */
export async function runRelatedCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, queryOptions, true);
  if (values.help) return print(relatedHelp);
  if (positionals.length !== 1) {
    process.stderr.write(`kindred related: give exactly one article ID.\n\n${relatedHelp}\n`);
    return 2;
  }
  const request = toRelatedRequest(values);
  // Logs only when asked for (--log-level info) or when something is wrong: the table is the output.
  const config = configFromFlags(values, { logLevel: "warn" });
  const { engine, close } = await openIndexForReading(config);
  try {
    const answer = await engine.findRelatedToArticleAsync(positionals[0]!, request);
    if (!values.json) process.stdout.write(`related to ${answer.article.id}: ${answer.article.title}\n`);
    printResults(answer.results, values.json === true, { article: answer.article.id, folded_copies: answer.foldedCopies });
  } finally {
    await close();
  }
  return 0;
}

import { KindredError } from "../../core/errors.ts";
import { openEngine } from "../../engine/open-engine.ts";
import { createLogger } from "../../log/logger.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { print } from "./index-command.ts";
import { printResults, queryOptions, queryOptionsHelp, toRelatedRequest } from "./query-options.ts";

export const similarHelp = `Usage: kindred similar --text "..." [--title "..."] [options]

Lists the indexed articles most related to a free text (a draft, a question); nothing is stored.

Options:
  --text TEXT        the text to match (required)
  --title TITLE      an optional title, embedded before the text
${queryOptionsHelp}
${sharedOptionsHelp}`;

/** `kindred similar --text "..."` */
export async function runSimilarCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { ...queryOptions, text: { type: "string" }, title: { type: "string" } });
  if (values.help) return print(similarHelp);
  if (values.text === undefined || values.text.trim() === "") {
    throw new KindredError("invalid_parameter", 'kindred similar needs --text "...". See --help.', { parameter: "text" });
  }
  const request = toRelatedRequest(values);
  const config = configFromFlags(values, { embedWorkers: 1 });
  const { engine, close } = await openEngine(config, createLogger(config.logLevel));
  try {
    const answer = await engine.findRelatedToText({ text: values.text, ...(values.title === undefined ? {} : { title: values.title }) }, request);
    printResults(answer.results, values.json === true, { folded_copies: answer.foldedCopies });
  } finally {
    await close();
  }
  return 0;
}

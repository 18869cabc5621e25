import { readFile } from "node:fs/promises";
import { KindredError } from "../../core/errors.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { openIndexForReading } from "../open-index.ts";
import { print } from "./index-command.ts";
import { printResults, textQueryOptions, textQueryOptionsHelp, toRelatedRequest } from "./query-options.ts";

export const similarHelp = `Usage: kindred similar (--text "..." | --text - | --file PATH) [--title "..."] [options]

Lists the indexed articles most related to a free text (a draft, a question); nothing is stored.
A text in a language the model does not read is ranked by words alone, and a text with no word
that could tell one story from another is refused; either is said on stderr.

Options:
  --text TEXT        the text to match; "-" reads it from standard input
  --file PATH        read the text from a file (UTF-8)
  --title TITLE      an optional title, embedded before the text
  --lang CODE        the text's language (ISO 639-1, e.g. de); detected when not given
${textQueryOptionsHelp}
${sharedOptionsHelp}`;

/** `kindred similar --text "..."` */
export async function runSimilarCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...textQueryOptions,
    text: { type: "string" },
    file: { type: "string" },
    title: { type: "string" },
    lang: { type: "string" },
  });
  if (values.help) return print(similarHelp);
  if (values.text !== undefined && values.file !== undefined) {
    throw new KindredError("invalid_parameter", "Give the text once: --text or --file, not both. See --help.", { parameter: "text" });
  }
  const text = values.file !== undefined ? await readTextFile(values.file) : values.text === "-" ? await readStdin() : values.text;
  if (text === undefined || text.trim() === "") {
    const where =
      values.file !== undefined
        ? `The file ${values.file} is empty.`
        : values.text === "-"
          ? "Standard input was empty."
          : 'kindred similar needs --text "...", --text - (standard input) or --file PATH.';
    throw new KindredError("invalid_parameter", `${where} See --help.`, { parameter: "text" });
  }
  const request = toRelatedRequest(values);
  // Logs only when asked for (--log-level info) or when something is wrong: the table is the output.
  const config = configFromFlags(values, { embedWorkers: 1, logLevel: "warn" });
  const { engine, close } = await openIndexForReading(config);
  try {
    const answer = await engine.findRelatedToText(
      { text, ...(values.title === undefined ? {} : { title: values.title }), ...(values.lang === undefined ? {} : { lang: values.lang }) },
      request,
    );
    for (const warning of answer.warnings) process.stderr.write(`warning: ${warning}\n`);
    printResults(answer.results, values.json === true, { folded_copies: answer.foldedCopies, lang: answer.language.code, warnings: answer.warnings });
  } finally {
    await close();
  }
  return 0;
}

async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new KindredError("invalid_parameter", `Cannot read --file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      parameter: "file",
    });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

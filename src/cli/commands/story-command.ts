import { z } from "zod";
import { parseIsoTimestamp } from "../../articles/article-schema.ts";
import { KindredError } from "../../core/errors.ts";
import { findStory } from "../../engine/find-story.ts";
import { presentEntry } from "../../wire/present.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { openIndexForReading } from "../open-index.ts";
import { formatTable, terminalWidth } from "../text-table.ts";
import { print } from "./index-command.ts";

export const storyHelp = `Usage: kindred story ID [options]

Prints the story thread of the indexed article ID: the stored articles about the same event or
running story, oldest first, each marked earlier, later or copy (undated when a date is
missing). Which articles belong is decided by a same-story score (docs/analysts.md, "Story threads").

Options:
  --since DATE       only what was published on or after DATE (ISO 8601): what is new since
  --json             print JSON instead of a table
${sharedOptionsHelp}`;

const sinceSchema = z.string().refine((value) => parseIsoTimestamp(value) !== null, "--since must be an ISO 8601 date (2025-03-02) or date-time");

/** `kindred story ID` */
export async function runStoryCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { since: { type: "string" }, json: { type: "boolean" } }, true);
  if (values.help) return print(storyHelp);
  if (positionals.length !== 1) {
    process.stderr.write(`kindred story: give exactly one article ID.\n\n${storyHelp}\n`);
    return 2;
  }
  let sinceMs: number | null = null;
  if (values.since !== undefined) {
    const parsed = sinceSchema.safeParse(values.since);
    if (!parsed.success) throw new KindredError("invalid_parameter", `${parsed.error.issues[0]!.message}; got "${values.since}".`, { parameter: "since" });
    sinceMs = parseIsoTimestamp(values.since)!;
  }
  const config = configFromFlags(values, { logLevel: "warn" });
  const { engine, close } = await openIndexForReading(config);
  try {
    const { article, thread } = findStory(engine, positionals[0]!, { sinceMs });
    if (values.json) {
      const members = thread.members.map((member) => ({
        ...presentEntry(member.entry),
        relation: member.relation,
        same_story: member.sameStory,
        cosine: member.cosine,
        days_apart: member.daysApart,
      }));
      process.stdout.write(`${JSON.stringify({ article: presentEntry(article), thread: members, before_since: thread.beforeSince }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`story of ${article.id} (${article.publishedAt?.slice(0, 10) ?? "undated"}): ${article.title}\n`);
    if (thread.members.length === 0) {
      process.stdout.write(
        thread.beforeSince > 0
          ? `nothing new since ${values.since} (${thread.beforeSince} earlier in the thread)\n`
          : "no other article of this story is indexed\n",
      );
      return 0;
    }
    const rows = thread.members.map((member) => [
      member.entry.publishedAt?.slice(0, 10) ?? "",
      member.relation,
      member.sameStory.toFixed(2),
      member.cosine.toFixed(3),
      member.entry.id,
      member.entry.title,
      member.entry.url ?? "",
    ]);
    const columns = [
      { header: "date" },
      { header: "relation" },
      { header: "same", align: "right" as const },
      { header: "cosine", align: "right" as const },
      { header: "id" },
      { header: "title", flexible: true },
      { header: "url" },
    ];
    process.stdout.write(formatTable(columns, rows, terminalWidth()));
    if (thread.beforeSince > 0) process.stdout.write(`(${thread.beforeSince} before ${values.since} not shown)\n`);
  } finally {
    await close();
  }
  return 0;
}

import { defaults } from "../../config/defaults.ts";
import { openEngine } from "../../engine/open-engine.ts";
import { createLogger } from "../../log/logger.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { print } from "./index-command.ts";

export const checkHelp = `Usage: kindred check [options]

Opens the index (loading the saved graph and replaying the changes since it was saved, as a
restart does) and measures the HNSW graph's recall@10 against the exact index on a sample of
articles, half of them recently written. Below the floor it rebuilds the graph from the stored
vectors (no model), saves it, and measures again. Exit status 0 when the graph ends at or above
the floor, 1 otherwise. It says first the graph's M (links per node), which a saved graph keeps
from when it was built until hnswM asks for another.

Options:
  --queries N    articles sampled (env KINDRED_RECALL_CHECK_QUERIES, default 200)
  --floor R      recall below which the graph is rebuilt (env KINDRED_RECALL_FLOOR, default 0.95)
  --json         print the report as JSON
${sharedOptionsHelp}`;

const checkOptions = {
  queries: { type: "string" },
  floor: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The graph's links per node, and how to change them when the graph is not what a new one would get. */
export function describeGraphM(m: number, configuredM: number | undefined): string {
  if (configuredM !== undefined || m === defaults.hnswM) return `graph M ${m}`;
  return `graph M ${m}, kept from when it was built (a new graph gets ${defaults.hnswM}; set hnswM to rebuild this one on the next start, docs/tuning.md)`;
}

/** `kindred check` */
export async function runCheckCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, checkOptions);
  if (values.help) return print(checkHelp);
  const config = configFromFlags(values, {
    ...(values.queries === undefined ? {} : { recallCheckQueries: values.queries }),
    ...(values.floor === undefined ? {} : { recallFloor: values.floor }),
  });
  // The check runs here, in the foreground, rather than in the background on open.
  const { engine, close } = await openEngine(config, createLogger(config.logLevel), { checkRecallOnOpen: false });
  try {
    const first = await engine.checkGraphRecall("on_demand");
    const reports = first === null ? [] : [first];
    if (first?.rebuild_started) {
      await engine.waitForCompaction();
      const again = await engine.checkGraphRecall("after_rebuild");
      if (again !== null) reports.push(again);
    }
    const last = reports[reports.length - 1] ?? null;
    const m = engine.graphStats().m;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ graph: engine.graphSource, m, articles: engine.size(), checks: reports }, null, 2)}\n`);
    } else if (last === null) {
      process.stdout.write("kindred check: the index is empty; nothing to check.\n");
    } else {
      if (m !== null) process.stdout.write(`${describeGraphM(m, config.hnswM)}\n`);
      for (const report of reports) {
        process.stdout.write(
          `graph recall@${report.k} ${report.recall.toFixed(4)} over ${report.queries} articles (${report.recentQueries} recently written), floor ${report.floor}` +
            `${report.reason === "after_rebuild" ? " after rebuilding the graph" : ""} (${report.ms} ms)\n`,
        );
      }
      if (last.below_floor) process.stdout.write("the graph is below the floor even rebuilt: raise hnswEfSearch (or hnswM and rebuild).\n");
    }
    return last === null || !last.below_floor ? 0 : 1;
  } finally {
    await close();
  }
}

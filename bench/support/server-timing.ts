import { summariseLatencies } from "./latency-stats.ts";

/** `embed;dur=12.5, commit;dur=3.1` -> phase -> milliseconds (W3C Server Timing; other parameters ignored). */
export function parseServerTiming(header: string): Map<string, number> {
  const phases = new Map<string, number>();
  for (const entry of header.split(",")) {
    const [name, ...parameters] = entry.trim().split(";");
    const duration = parameters.map((parameter) => /^\s*dur=([\d.]+)\s*$/.exec(parameter)).find((match) => match !== null);
    if (name !== undefined && name !== "" && duration !== undefined) phases.set(name, Number(duration![1]));
  }
  return phases;
}

/** Phase -> p50 / p99 / mean ms over every write, and the mean over the slowest 5% of the writes (by their whole latency). */
export type WritePhaseSummary = Record<string, { p50Ms: number; p99Ms: number; meanMs: number; slowestMeanMs: number }>;

/** Summarises the phases of one operation's writes: `totalMs` is each write's whole latency as the client saw it. */
export function summariseWritePhases(samples: readonly { totalMs: number; phases: Map<string, number> }[]): WritePhaseSummary {
  const names = new Set(samples.flatMap((sample) => [...sample.phases.keys()]));
  const sortedTotals = samples.map((sample) => sample.totalMs).sort((a, b) => a - b);
  const slowFrom = sortedTotals[Math.floor(sortedTotals.length * 0.95)] ?? Number.POSITIVE_INFINITY;
  const slowest = samples.filter((sample) => sample.totalMs >= slowFrom);
  const round = (value: number) => Math.round(value * 10) / 10;
  return Object.fromEntries(
    [...names].map((name) => {
      const summary = summariseLatencies(samples.map((sample) => sample.phases.get(name) ?? 0));
      const slowestMean = slowest.reduce((sum, sample) => sum + (sample.phases.get(name) ?? 0), 0) / Math.max(1, slowest.length);
      return [name, { p50Ms: round(summary.p50Ms), p99Ms: round(summary.p99Ms), meanMs: round(summary.meanMs), slowestMeanMs: round(slowestMean) }];
    }),
  );
}

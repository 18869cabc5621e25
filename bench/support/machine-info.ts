import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { type LatencySummary, summariseLatencies, timeSync } from "./latency-stats.ts";

/** What the figures were measured on: they mean little without it on a shared machine. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export function describeMachine(): MachineInfo {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** The 1-minute load average: above the core count, other work competed for the CPU. */
export function readLoadAverage(): number {
  return Number(loadavg()[0]!.toFixed(2));
}

/**
 * The latency this machine gives work that needs no more than `workMs` of CPU: `count` busy
 * loops of `workMs` each, timed one by one the way a query is. Their p99 is the floor a measured
 * p99 of work that long sits on here: on a virtual machine the host takes the CPU away for
 * milliseconds at a time (steal), and no code change moves that.
 */
export function measureBusyLoopLatency(workMs: number, count: number): LatencySummary {
  const samplesMs: number[] = [];
  for (let index = 0; index < count; index++) {
    samplesMs.push(
      timeSync(() => {
        const startedMs = performance.now();
        while (performance.now() - startedMs < workMs) {
          // Spinning: the loop's only work is reading the clock.
        }
      }).elapsedMs,
    );
  }
  return summariseLatencies(samplesMs);
}

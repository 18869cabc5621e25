import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

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

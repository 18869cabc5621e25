/**
 * Progress goes to stderr with a timestamp and the load average, so a slow figure can be read
 * against what else the machine was doing; stdout is left for the final table.
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";

const startedMs = performance.now();

export function logProgress(message: string): void {
  const elapsedS = ((performance.now() - startedMs) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[${elapsedS} s, load ${loadavg()[0]!.toFixed(2)}] ${message}\n`);
}

/** True when the module at `moduleUrl` is the script node was asked to run (not an import). */
export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The repository root: children run from here so `models/` and `bin/` resolve as for a user. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const kindredBin = fileURLToPath(new URL("../../bin/kindred.js", import.meta.url));

/**
 * The environment for child processes: no KINDRED_* settings from the caller's shell, so every
 * run measures the defaults plus the flags given here.
 */
function childEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("KINDRED_") && name !== "PORT" && name !== "HOST"));
}

export interface CommandRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/**
 * Runs `node bin/kindred.js ARGS` to completion, timing it from spawn to exit; `root` runs
 * another checkout's entry point from its own directory (an older commit, as a baseline).
 */
export function runKindred(args: readonly string[], root: string = repoRoot): Promise<CommandRun> {
  return runNode([root === repoRoot ? kindredBin : `${root}/bin/kindred.js`, ...args], undefined, root);
}

/** Runs `node ARGS` (e.g. `node --import tsx script.ts`) to completion, from `cwd` (the repository root). */
export function runNode(args: readonly string[], onStderr?: (chunk: string) => void, cwd: string = repoRoot): Promise<CommandRun> {
  const startedMs = performance.now();
  const child = spawn(process.execPath, args, { cwd, env: childEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(chunk.toString());
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ exitCode: code ?? 1, stdout, stderr, wallMs: performance.now() - startedMs }));
  });
}

export interface RunningServer {
  child: ChildProcess;
  baseUrl: string;
  /** Milliseconds from spawn until /readyz answered 200 (the index is open). */
  readyMs: number;
  stop(): Promise<void>;
  /** HTTP processes, as the ready line says (1 until it has come). */
  httpWorkers(): number;
}

/**
 * Starts `kindred serve` on a data directory and resolves once `/readyz` answers 200, timing
 * from spawn: what a process manager waits for after a restart. `root` serves another checkout's
 * built entry point from its own directory (an older commit, as a baseline).
 */
export async function startKindredServer(
  dataDir: string,
  options: { env?: Record<string, string>; timeoutMs?: number; args?: readonly string[]; allWorkers?: boolean; root?: string } = {},
): Promise<RunningServer> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const port = await findFreePort();
  const startedMs = performance.now();
  const root = options.root ?? repoRoot;
  const child = spawn(
    process.execPath,
    [
      root === repoRoot ? kindredBin : `${root}/bin/kindred.js`,
      "serve",
      "--data-dir",
      dataDir,
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--log-level",
      "warn",
      ...(options.args ?? []),
    ],
    { cwd: root, env: { ...childEnvironment(), ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  // The ready line comes once every HTTP worker takes connections (/readyz answers as soon as one does).
  let httpWorkers = 1;
  const readyLine = new Promise<void>((resolve) => {
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.includes("kindred ready:")) return;
      httpWorkers = Number(stdout.match(/(\d+) HTTP workers/)?.[1] ?? 1);
      resolve();
    });
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`kindred serve exited with ${code} before ready:\n${stderr}`))),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await gone;
  };
  exited.catch(() => undefined);
  try {
    const readyAtMs = await Promise.race([waitForReady(baseUrl, timeoutMs), exited]);
    if (options.allWorkers) await Promise.race([readyLine, exited]);
    return { child, baseUrl, readyMs: readyAtMs - startedMs, stop, httpWorkers: () => httpWorkers };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Polls GET /readyz every 5 ms (connection refused while the process is still starting, 503
 * while the index opens) and returns the moment it answered 200.
 */
async function waitForReady(baseUrl: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${baseUrl}/readyz did not answer 200 within ${timeoutMs} ms`);
}

/**
 * Waits until the server's graph recall self-check, which every HTTP process runs once after it
 * opens the index, has finished in each of them (/readyz `graph_recall` set in `confirmations`
 * answers in a row, which round-robin spreads over the processes), so a load run measures
 * the steady state rather than the start. Returns the milliseconds waited.
 */
export async function waitForRecallCheck(baseUrl: string, options: { confirmations?: number; timeoutMs?: number } = {}): Promise<number> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 600_000);
  const confirmations = options.confirmations ?? 6;
  let inARow = 0;
  while (performance.now() < deadline) {
    const response = await fetch(`${baseUrl}/readyz`);
    const body = (await response.json()) as { graph_recall?: unknown };
    inARow = response.status === 200 && body.graph_recall !== null && body.graph_recall !== undefined ? inARow + 1 : 0;
    if (inARow >= confirmations) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, inARow > 0 ? 20 : 500));
  }
  throw new Error(`${baseUrl}: the graph recall check did not finish within ${options.timeoutMs ?? 600_000} ms`);
}

/**
 * CPU time (user + system, all threads) a process has used, from /proc (Linux): on a busy
 * machine it says what a start costs when wall-clock time mostly says how long it waited.
 */
export function readCpuMs(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
    .replace(/^.*\) /s, "")
    .split(" ");
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux architecture Node supports
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** CPU time of a server: the process and every process it forked (its HTTP workers), from /proc (Linux). */
export function readServerCpuMs(pid: number): number {
  return sumOverServer(pid, readCpuMs);
}

/** Resident set size of one process, from /proc (Linux). */
function processRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** The ids of a process's descendants (a server of several HTTP processes forks them). */
function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = readFileSync(`/proc/${name}/stat`, "utf8")
        .replace(/^.*\) /s, "")
        .split(" ");
      parentOf.set(Number(name), Number(fields[1]));
    } catch {
      // the process ended between the listing and the read
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parentOf) {
      if (ppid !== parent) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Resident set size of a server: the process and every process it forked (its HTTP workers), from /proc (Linux). */
export function readRssBytes(pid: number): number {
  return sumOverServer(pid, processRssBytes);
}

/** `read` of a process plus `read` of each process it forked; a worker that exited between the listing and its read counts nothing. */
function sumOverServer(pid: number, read: (pid: number) => number): number {
  let total = read(pid);
  for (const child of descendantPids(pid)) {
    try {
      total += read(child);
    } catch {
      // gone: no memory held, and its CPU time left with it
    }
  }
  return total;
}

/** A cluster worker's id (node:cluster numbers them 1, 2, ... in fork order), from its start environment (Linux). */
function clusterWorkerId(pid: number): number | null {
  const match = /(?:^|\0)NODE_UNIQUE_ID=(\d+)(?:\0|$)/.exec(readFileSync(`/proc/${pid}/environ`, "utf8"));
  return match === null ? null : Number(match[1]);
}

/**
 * Resident set size of each process of a server, by role: `server` for a single process; with
 * `--http-workers`, `primary`, `writer` (the first worker the primary forks, cli/serve-workers.ts)
 * and `reader-ID` for the others (Linux).
 */
export function readRssByProcess(pid: number): Record<string, number> {
  const children = descendantPids(pid);
  const sizes: Record<string, number> = { [children.length === 0 ? "server" : "primary"]: processRssBytes(pid) };
  for (const child of children) {
    try {
      const id = clusterWorkerId(child);
      const role = id === null ? `process-${child}` : id === 1 ? "writer" : `reader-${id}`;
      sizes[role] = (sizes[role] ?? 0) + processRssBytes(child);
    } catch {
      // a worker that exited between the listing and the read holds no memory
    }
  }
  return sizes;
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

import { type ChildProcess, spawn } from "node:child_process";
import { kindredBin } from "./run-kindred.ts";

export interface KindredServer {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the server wrote to stderr (its logs), for failure messages. */
  stderr: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<unknown>;
}

/**
 * Starts the real `kindred serve` in a child process on a free port and resolves once it
 * prints its ready line (the index is open), with the URL it listens on.
 */
export async function startKindredServer(
  dataDir: string,
  env: Record<string, string>,
  timeoutMs = 120_000,
  args: readonly string[] = [],
  bin = kindredBin,
): Promise<KindredServer> {
  // One process unless a test asks for more (`--http-workers`, test/http/http-workers.test.ts).
  const child = spawn("node", [bin, "serve", "--data-dir", dataDir, "--port", "0", "--host", "127.0.0.1", ...args], {
    env: { ...process.env, KINDRED_LOG_LEVEL: "warn", KINDRED_HTTP_WORKERS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kindred serve not ready within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = stdout.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`kindred serve exited before it was ready:\n${stderr}`));
    });
  });
  return { child, baseUrl, stderr: () => stderr, exited };
}

import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The `kindred` command of this checkout. */
export const kindredBin = new URL("../../bin/kindred.js", import.meta.url).pathname;

/** Runs the real `kindred` command (`bin`: another checkout's) in a child process; resolves with its exit code and output. */
export async function kindred(args: string[], env: Record<string, string> = {}, bin = kindredBin) {
  try {
    const { stdout, stderr } = await run("node", [bin, ...args], { env: { ...process.env, KINDRED_LOG_LEVEL: "warn", ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, runNode } from "./kindred-process.ts";
import { logProgress } from "./progress-log.ts";

/** A checkout of an older commit of this repository, runnable through its own entry point. */
export interface OldCheckout {
  /** The commit asked for, as given (e.g. `3adff60^1`), and its full hash. */
  ref: string;
  commit: string;
  root: string;
  /** Removes the checkout and its git worktree entry. */
  remove(): void;
}

/**
 * Checks out `ref` into a temporary git worktree under `workDir`, with this checkout's
 * node_modules hard-linked into it (`cp -al`: no copy of the packages), but with the
 * onnxruntime-node its own lockfile pins (from the npm registry, when it differs), and
 * converts its bundled model there before anything is timed, so a baseline run of the old
 * code measures its indexing, not a one-off conversion.
 */
export async function checkOutOldCommit(ref: string, workDir: string): Promise<OldCheckout> {
  const commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "--verify", `${ref}^{commit}`], { encoding: "utf8" }).trim();
  const root = join(workDir, `kindred-${commit.slice(0, 10)}`);
  execFileSync("git", ["-C", repoRoot, "worktree", "add", "--detach", root, commit], { stdio: "ignore" });
  const remove = () => {
    execFileSync("git", ["-C", repoRoot, "worktree", "remove", "--force", root], { stdio: "ignore" });
  };
  try {
    execFileSync("cp", ["-al", join(repoRoot, "node_modules"), join(root, "node_modules")]);
    for (const name of runtimesPinnedByCommit) installVersionOfCommit(root, commit, name, workDir);
    const converter = ["scripts/convert-use-lite.ts"].find((path) => existsSync(join(root, path)));
    if (converter !== undefined) {
      const run = await runNode(["--import", "tsx", converter], undefined, root);
      if (run.exitCode !== 0) throw new Error(`converting the model of ${ref} failed:\n${run.stderr}`);
    }
    logProgress(`checked out ${ref} (${commit.slice(0, 10)}) into ${root}`);
    return { ref, commit, root, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * Packages whose version sets an old commit's speed, installed at the version its lockfile
 * pinned: kindred moved from onnxruntime-node 1.14 (which ran every session on two threads) to a
 * later one, and the old code on the new runtime would not be the rate it had.
 */
const runtimesPinnedByCommit = ["onnxruntime-node"];

/** Puts `name` at the version `commit`'s package-lock.json pins into `root`'s node_modules, if another is there. */
function installVersionOfCommit(root: string, commit: string, name: string, workDir: string): void {
  const lock = JSON.parse(execFileSync("git", ["-C", repoRoot, "show", `${commit}:package-lock.json`], { encoding: "utf8" })) as {
    packages: Record<string, { version?: string }>;
  };
  const pinned = lock.packages[`node_modules/${name}`]?.version;
  const target = join(root, "node_modules", name);
  const installed = (JSON.parse(readFileSync(join(target, "package.json"), "utf8")) as { version: string }).version;
  if (pinned === undefined || pinned === installed) return;
  // Installed on its own (its scripts off: onnxruntime-node's only fetches GPU providers), then
  // moved in with its own dependencies nested, so nothing else in the checkout changes.
  const scratch = mkdtempSync(join(workDir, `${name}-${pinned}-`));
  execFileSync("npm", ["install", "--prefix", scratch, "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", `${name}@${pinned}`], { stdio: "ignore" });
  rmSync(target, { recursive: true, force: true });
  renameSync(join(scratch, "node_modules", name), target);
  for (const dependency of Object.keys(
    (JSON.parse(readFileSync(join(target, "package.json"), "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {},
  )) {
    const installedDependency = join(scratch, "node_modules", dependency);
    if (existsSync(installedDependency)) {
      mkdirSync(join(target, "node_modules"), { recursive: true });
      renameSync(installedDependency, join(target, "node_modules", dependency));
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  logProgress(`  ${name} ${pinned} installed into the old checkout, as its lockfile pins (this checkout has ${installed})`);
}

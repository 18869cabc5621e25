import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
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
 * node_modules hard-linked into it (`cp -al`: no copy of the packages, no network), and
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

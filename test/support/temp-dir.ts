import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A temporary directory removed after the test file. */
export function useTempDir(prefix = "kindred-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A private copy of a data directory, so a test can write without disturbing others. */
export function copyDataDir(source: string): string {
  const target = join(useTempDir("kindred-copy-"), "index");
  cpSync(source, target, { recursive: true });
  return target;
}

import { spawnSync } from "node:child_process";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withDirectoryLock } from "../../src/vectors/directory-lock.ts";
import { useTempDir } from "../support/temp-dir.ts";

describe("the directory lock graph saves take turns under", () => {
  const directory = useTempDir();
  const lockPath = join(directory, "test.lock");

  it("runs the section holding the lock, and releases it after, also when the section throws", () => {
    expect(withDirectoryLock(directory, "test.lock", () => existsSync(lockPath))).toBe(true);
    expect(existsSync(lockPath)).toBe(false);
    expect(() =>
      withDirectoryLock(directory, "test.lock", () => {
        throw new Error("inside");
      }),
    ).toThrow("inside");
    expect(existsSync(lockPath)).toBe(false);
  });

  it("takes over at once a lock left by a process that is gone (killed mid-save)", () => {
    const gone = spawnSync("node", ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(lockPath, `${gone.stdout}\n`);
    const started = performance.now();
    expect(withDirectoryLock(directory, "test.lock", () => "held")).toBe("held");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(existsSync(lockPath)).toBe(false);
  });

  it("takes over a lock of a running process only once it is stale", () => {
    writeFileSync(lockPath, `${process.ppid}\n`);
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lockPath, minuteAgo, minuteAgo);
    expect(withDirectoryLock(directory, "test.lock", () => "held")).toBe("held");
  });
});
